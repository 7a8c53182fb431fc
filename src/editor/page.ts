/**
 * @module GET /admin: the editor's page, a shell that holds no data and no secret (everything comes from the admin
 * API once the marketer signs in). The page, its script and its style are static files the build writes
 * (scripts/build-editor.mjs) and Workers Static Assets serves: the script and style directly under
 * /admin/assets/, cached for good under their content hash, without waking the Worker. The page comes through the
 * Worker (`[assets] run_worker_first` in wrangler.toml) because its Content-Security-Policy carries a nonce made
 * fresh for each page, which a static `_headers` rule cannot: the preview frame runs the real runtime inline under
 * it, and nothing else inline runs.
 */
import { Hono } from "hono";
import type { Env } from "../env";
import { readAsset } from "../http/assets";

/** Where the build puts the page in the assets directory; only the Worker reads it. */
const PAGE = "/admin/index.html";

export const editorRoutes = new Hono<{ Bindings: Env }>().get("/admin", async (c) => {
  // Never a 304 (readAsset sends no conditional header): the browser would pair the page it kept, with its old
  // nonce, with this response's policy.
  const shell = await readAsset(c.env, PAGE, c.req.url);
  const nonce = btoa(String.fromCharCode(...crypto.getRandomValues(new Uint8Array(16))));
  const page = new HTMLRewriter().on("script[nonce]", { element: (script) => void script.setAttribute("nonce", nonce) }).transform(shell);
  return new Response(page.body, {
    headers: {
      "content-type": "text/html; charset=utf-8",
      "cache-control": "no-store",
      "content-security-policy": `default-src 'self'; script-src 'self' 'nonce-${nonce}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
      "x-frame-options": "DENY",
      "referrer-policy": "no-referrer",
    },
  });
});
