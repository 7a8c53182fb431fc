/**
 * @module The editor's page and files: public, holding no data. The page comes from the Worker with a fresh nonce in
 * a strict content security policy; its script and style are static assets (wrangler.toml `[assets]`) cached for good
 * under their content hash; everything else under /admin still wants a token.
 *
 * The test pool hands requests straight to the Worker (`exports.default`), not through the assets router, so the
 * files are fetched here as the router fetches them, through the ASSETS binding; the browser suites (`wrangler dev`)
 * load them through the router.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fetchWithEnv } from "../faults";
import { call, errorOf, ORIGIN } from "../helpers";

/** The page's script and style URLs. */
function files(html: string): { script: string; style: string } {
  const script = /<script defer nonce="[^"]*" src="(\/admin\/assets\/editor\.[0-9a-f]{12}\.js)"><\/script>/.exec(html)?.[1];
  const style = /<link rel="stylesheet" href="(\/admin\/assets\/editor\.[0-9a-f]{12}\.css)">/.exec(html)?.[1];
  if (!script || !style) throw new Error(`the editor's page names no hashed script and style:\n${html}`);
  return { script, style };
}

function nonceOf(res: Response): string | undefined {
  return /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
}

async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

describe("editor page", () => {
  it("serves the shell without a token, with no data in it and a strict content security policy", async () => {
    const res = await call("/admin");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toBe(
      `default-src 'self'; script-src 'self' 'nonce-${nonceOf(res)}'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'`,
    );
    expect(res.headers.get("x-frame-options")).toBe("DENY");
    expect(res.headers.get("referrer-policy")).toBe("no-referrer");
    const html = await res.text();
    const nonce = nonceOf(res);
    expect(nonce).toMatch(/^[A-Za-z0-9+/]{22}==$/);
    expect(html).toContain(`<script defer nonce="${nonce}" src="${files(html).script}"></script>`);
    expect(html).not.toMatch(/token-[0-9a-f]|test-admin-token/);
  });

  it("gives every page its own nonce, also to a conditional request, and no validator to revalidate it with", async () => {
    const first = await call("/admin");
    const again = await call("/admin", { headers: { "if-none-match": first.headers.get("etag") ?? '"any"', "if-modified-since": new Date().toUTCString() } });
    expect(again.status).toBe(200);
    expect(nonceOf(again)).not.toBe(nonceOf(first));
    expect(await again.text()).toContain(`nonce="${nonceOf(again)}"`);
    expect(first.headers.get("etag")).toBeNull();
    expect(first.headers.get("last-modified")).toBeNull();
  });

  it("names its script and style by their content's hash, and the assets serve them cached for good", async () => {
    const html = await (await call("/admin")).text();
    for (const [path, type] of [[files(html).script, /^text\/javascript/], [files(html).style, /^text\/css/]] as const) {
      const res = await env.ASSETS?.fetch(new URL(path, ORIGIN));
      expect(res?.status).toBe(200);
      expect(res?.headers.get("content-type")).toMatch(type);
      expect(res?.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
      expect(res?.headers.get("x-content-type-options")).toBe("nosniff");
      const body = (await res?.text()) ?? "";
      expect(path).toContain(`.${(await sha256Hex(body)).slice(0, 12)}.`);
    }
  });

  it("answers 404 under /admin/assets for a file the assets do not hold, and keeps every admin route behind a token", async () => {
    expect((await call("/admin/assets/editor.000000000000.js")).status).toBe(404);
    expect((await call("/admin/assets/../sites/x/config")).status).not.toBe(200);
    expect((await call("/admin/sites/demo/config")).status).toBe(401);
    expect((await call("/admin/assets")).status).toBe(401);
    expect((await call("/admin/anything")).status).toBe(401);
    // The page as the build writes it, without its nonce, is the Worker's to read, not the public's.
    expect((await call("/admin/index.html")).status).toBe(401);
  });

  it("answers 500 BAD_ENVIRONMENT, naming the binding, when the deployment has no ASSETS binding", async () => {
    const res = await fetchWithEnv({ ASSETS: undefined }, "/admin");
    expect(res.status).toBe(500);
    const error = await errorOf(res);
    expect(error.code).toBe("BAD_ENVIRONMENT");
    expect(error.message).toContain("ASSETS");
  });
});
