/**
 * @module GET /v1/s/{site}.js: the runtime with this visitor's decision inlined, in one response.
 * Whatever goes wrong, the store gets 200 and valid JavaScript: at worst one that does nothing.
 */
import { Hono } from "hono";
import { RUNTIME_JS } from "../../snippet/dist/runtime";
import type { Decision } from "../core/decide";
import { serveDecision, serverTiming } from "../decision-service";
import type { Env } from "../env";
import { environmentProblem } from "../env";
import { scriptJson } from "../http/script-json";
import { SITE_ID } from "../storage/keys";

const JS_HEADERS = {
  "content-type": "text/javascript; charset=utf-8",
  "cache-control": "private, no-store",
  "x-content-type-options": "nosniff",
};

/** The snippet body: the runtime, then its call with the payload, all inside one function scope. */
export function snippetBody(site: string, decision: Decision, newVisitorId?: string, consent = true): string {
  const payload = { site, decision, ...(newVisitorId ? { newVisitorId } : {}), ...(consent ? {} : { consent: false }) };
  return `(function(){${RUNTIME_JS}\n__vbr.run(${scriptJson(payload)})})();\n`;
}

function noop(reason: string, headers: Record<string, string> = {}): Response {
  return new Response(`/* valuebar: ${reason} */\n`, { status: 200, headers: { ...JS_HEADERS, ...headers } });
}

export const snippetRoutes = new Hono<{ Bindings: Env }>().get("/v1/s/:file{[^/]+\\.js}", async (c) => {
  const site = c.req.param("file").slice(0, -3);
  if (!SITE_ID.test(site)) return noop("unknown site");
  const problem = environmentProblem(c.env);
  if (problem) {
    console.error(`valuebar: BAD_ENVIRONMENT: ${problem}`);
    return noop("unavailable");
  }
  try {
    const served = await serveDecision(c.env, site, c.req.raw, new URL(c.req.url), (work) => c.executionCtx.waitUntil(work));
    const timing = { "server-timing": serverTiming(served) };
    if (served.kind === "unknown-site") return noop("unknown site", timing);
    return new Response(snippetBody(site, served.decision, served.newVisitorId, served.consent), { status: 200, headers: { ...JS_HEADERS, ...timing } });
  } catch (error) {
    console.error("valuebar: snippet failed", error);
    return noop("unavailable");
  }
});
