/**
 * @module GET /v1/s/{site}.js: the runtime with this visitor's decision inlined, in one response.
 * Whatever goes wrong, the store gets 200 and valid JavaScript: at worst one that does nothing.
 */
import { Hono } from "hono";
import { RUNTIME_JS } from "../../snippet/dist/runtime";
import type { Decision } from "../core/decide";
import type { Env } from "../env";
import { environmentProblem } from "../env";
import { queryOf } from "../core/query";
import { runtimeCall } from "../core/script-json";
import { SITE_ID } from "../core/shared";
import { snippetRateLimited, withinLimit } from "../http/rate-limit";
import { serveDecision, serverTiming } from "../service/decision-service";
import { previewedDraft } from "../service/preview";

/** The snippet's content type and cache headers (also the bench's reference routes', src/routes/bench.ts). */
export const JS_HEADERS = {
  "content-type": "text/javascript; charset=utf-8",
  "cache-control": "private, no-store",
  "x-content-type-options": "nosniff",
};

/** The snippet body: the runtime, then its call with the payload, all inside one function scope. */
export function snippetBody(site: string, decision: Decision, newVisitorId?: string, consent = true, preview = false, token?: string): string {
  const payload = {
    site,
    decision,
    ...(newVisitorId ? { newVisitorId } : {}),
    ...(consent ? {} : { consent: false }),
    ...(preview ? { preview: true } : {}),
    ...(token ? { token } : {}),
  };
  return `${runtimeCall(RUNTIME_JS, payload)}\n`;
}

function noop(reason: string, headers: Record<string, string> = {}): Response {
  return new Response(`/* valuebar: ${reason} */\n`, { status: 200, headers: { ...JS_HEADERS, ...headers } });
}

// A plain parameter and the rate limit called here, not a `{[^/]+\.js}` pattern and a middleware on /v1/s/*: the
// router's regular expression and the middleware's extra dispatch were a tenth of the anonymous snippet's CPU in the
// bench's profile (bench/README.md, "Where the time goes").
export const snippetRoutes = new Hono<{ Bindings: Env }>().get("/v1/s/:file", async (c) => {
  const file = c.req.param("file");
  if (!file.endsWith(".js")) return c.notFound();
  if (!(await withinLimit(c.env, "PAGE_RATE_LIMIT", c.req.raw))) return snippetRateLimited();
  const site = file.slice(0, -3);
  // Anchored and at most 64 characters: a long or odd file name costs no more than a valid one.
  if (!SITE_ID.test(site)) return noop("unknown site");
  const problem = environmentProblem(c.env);
  if (problem) {
    console.error(`valuebar: BAD_ENVIRONMENT: ${problem}`);
    return noop("unavailable");
  }
  try {
    const query = queryOf(c.req.url);
    const previewToken = query.get("preview");
    const draft = previewToken === null ? undefined : await previewedDraft(c.env, site, previewToken);
    const served = await serveDecision(c.env, site, c.req.raw, query, (work) => c.executionCtx.waitUntil(work()), draft);
    const timing = { "server-timing": serverTiming(served) };
    if (served.kind === "unknown-site") return noop("unknown site", timing);
    // A draft's decision counts nowhere: without exposures the runtime sends no clicks or dismissals for it.
    const decision = draft ? { ...served.decision, exposures: [] } : served.decision;
    const body = snippetBody(site, decision, served.newVisitorId, served.consent, previewToken !== null, served.eventsToken);
    return new Response(body, { status: 200, headers: { ...JS_HEADERS, ...timing } });
  } catch (error) {
    console.error("valuebar: snippet failed", error);
    return noop("unavailable");
  }
});
