/**
 * @module Edge-rendered mode's proxy: a request to a store hostname of `EDGE_SITES` goes to that store's origin and
 * the origin's answer comes back. Only a `GET` answered 200 with `text/html` is the rewrite's (src/edge/rewrite.ts),
 * and only on a site whose `rewrite` is not false (a pass-through site gets every answer as the origin's);
 * everything else (assets, API calls, redirects, errors, `HEAD`, websocket upgrades, compressed bodies) is the
 * origin's Response object itself, returned unread: same status, same headers, same bytes.
 *
 * valuebar's own routes stay valuebar's on a store hostname too (`/v1/*`, `/admin`, `/admin/*`): the snippet,
 * decide and events routes then answer on the store's own origin, first-party.
 */
import type { EdgeSite } from "../core/edge-sites";
import type { Env } from "../env";
import { edgeSites } from "../env";
import { errorBody } from "../http/errors";
import { RUNTIME_JS } from "../../snippet/dist/runtime";
import type { Decision } from "../core/decide";
import { withTimeout } from "../core/timeout";
import type { ServedDecision } from "../service/decision-service";
import { CONFIG_TIMEOUT_MS, MEMBERSHIP_TIMEOUT_MS, serveDecision, serverTiming } from "../service/decision-service";
import type { EdgeVisitor } from "./identity";
import { CLEAR_VISITOR_COOKIE, edgeVisitorQuery, isCrawler, visitorCookie } from "./identity";
import type { EdgePayload } from "./rewrite";
import { EDGE_TIMING, rewritePage } from "./rewrite";

/** The paths a store hostname leaves to valuebar's routes; the same prefixes wrangler.toml runs the Worker or serves assets for. */
function isValuebarPath(pathname: string): boolean {
  return pathname.startsWith("/v1/") || pathname === "/admin" || pathname.startsWith("/admin/");
}

/**
 * What the Worker does with a request: `null` when it is not edge mode's (not a configured hostname, or one of
 * valuebar's paths), the store's site when it is, a Response when edge mode is misconfigured.
 */
export function edgeSiteOf(request: Request, env: Env): EdgeSite | Response | null {
  // No table (script mode only): no URL parsed, nothing added to the snippet route's hot path.
  if (env.EDGE_SITES === undefined) return null;
  const url = new URL(request.url);
  if (isValuebarPath(url.pathname)) return null;
  const table = edgeSites(env);
  if (!table.ok) {
    // Any page may be a store's we cannot route: say what is wrong, to the store's visitors and its owner alike.
    const message = "the deployment is misconfigured: EDGE_SITES is not a valid table of store hostnames (see wrangler.toml)";
    return Response.json(errorBody("BAD_ENVIRONMENT", message, table.issues), { status: 500, headers: { "cache-control": "no-store" } });
  }
  return table.sites.get(url.hostname) ?? null;
}

/** Only these responses are the rewrite's: a page a browser renders, as sent to a `GET`. */
export function isRewritable(request: Request, response: Response): boolean {
  if (request.method !== "GET" || response.status !== 200) return false;
  const type = response.headers.get("content-type");
  return type !== null && type.split(";", 1)[0]?.trim().toLowerCase() === "text/html";
}

/** The request as the origin gets it: the same method, headers and body, at the origin's address. */
function originRequest(request: Request, site: EdgeSite): Request {
  const url = new URL(request.url);
  const headers = new Headers(request.headers);
  // The origin's own hostname goes in Host (fetch sets it from the URL); the store's, which the origin needs to
  // build absolute links and redirects, in X-Forwarded-Host.
  headers.delete("host");
  const target = new URL(`${url.pathname}${url.search}`, site.origin);
  if (target.host !== url.host) headers.set("x-forwarded-host", url.host);
  // redirect "manual": the origin's 3xx goes to the browser as it is, so the address bar follows it.
  return new Request(target, { method: request.method, headers, body: request.body, redirect: "manual" });
}

/**
 * The origin's answer to the request. An origin that answers at all is passed on as it answered, 5xx included;
 * one that cannot be reached (DNS, refused, reset) is a 502, as Cloudflare answers for an unreachable origin without
 * a Worker: a gateway status monitoring reads as "the origin", not a thrown exception's 1101 page blaming the Worker.
 */
export async function proxyToOrigin(request: Request, site: EdgeSite, env: Env, ctx: ExecutionContext): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(originRequest(request, site));
  } catch (error) {
    console.error(`valuebar: origin ${site.origin} of site ${site.site} did not answer`, error);
    // The cause is logged, not echoed: it may name the origin's private address.
    return Response.json(errorBody("ORIGIN_UNREACHABLE", "the store's origin did not answer"), { status: 502, headers: { "cache-control": "no-store" } });
  }
  // ===== ISSUE 13 REWRITE CALL SITE =====
  // A pass-through site (`rewrite = false`) stops here: its pages are the origin's Response too, untouched.
  if (site.rewrite && isRewritable(request, response)) return personalisedPage(request, response, site, env, ctx);
  return response;
}

/**
 * How long the page waits for its decision before it goes out unchanged. serveDecision bounds its own KV waits
 * (CONFIG_TIMEOUT_MS, then MEMBERSHIP_TIMEOUT_MS); this bounds everything else too (signing, a bug that hangs).
 */
export const EDGE_DECISION_TIMEOUT_MS = CONFIG_TIMEOUT_MS + MEMBERSHIP_TIMEOUT_MS;

/**
 * The origin's page with this visitor's decision written in (src/edge/rewrite.ts), the same decision the snippet
 * route would give them (serveDecision, identity from cookies: src/edge/identity.ts). Fails open: when the decision
 * throws, times out, or has nothing to go on (the site is unknown, or its config unreadable and none cached), the
 * origin's page goes out as it came, with Server-Timing saying so.
 */
async function personalisedPage(request: Request, origin: Response, site: EdgeSite, env: Env, ctx: ExecutionContext): Promise<Response> {
  let served: ServedDecision;
  let visitor: EdgeVisitor;
  try {
    visitor = edgeVisitorQuery(request, isCrawler(request));
    served = await withTimeout(serveDecision(env, site.site, request, visitor.query, (work) => ctx.waitUntil(work)), EDGE_DECISION_TIMEOUT_MS);
  } catch (error) {
    console.error(`valuebar: no decision for site ${site.site}, its page goes out unchanged`, error);
    return unchanged(origin, EDGE_TIMING.failOpen);
  }
  if (served.kind === "unknown-site") return unchanged(origin, EDGE_TIMING.failOpen, serverTiming(served));
  if (served.degraded && isEmpty(served.decision)) return unchanged(origin, EDGE_TIMING.failOpen, serverTiming(served));
  const payload: EdgePayload = {
    site: site.site,
    storeOrigin: new URL(request.url).origin,
    decision: served.decision,
    consent: served.consent,
    ...(served.newVisitorId ? { newVisitorId: served.newVisitorId } : {}),
    ...(served.eventsToken ? { token: served.eventsToken } : {}),
  };
  const page = rewritePage(origin, payload, RUNTIME_JS, { serverTiming: serverTiming(served) });
  // serveDecision hands out a new id only with consent; a crawler never gets one (it has no consent).
  if (page.headers.get("server-timing")?.includes(EDGE_TIMING.rewritten)) {
    if (served.newVisitorId) page.headers.append("set-cookie", visitorCookie(served.newVisitorId));
    if (visitor.clearVisitorCookie) page.headers.append("set-cookie", CLEAR_VISITOR_COOKIE);
  }
  return page;
}

/** A decision that shows nothing: with a degraded answer, the store's page is better sent as it is, without the runtime. */
function isEmpty(decision: Decision): boolean {
  const { topbar, shipping, returns } = decision.placements;
  return topbar === null && shipping === null && returns === null;
}

/** The origin's Response with Server-Timing entries added; its body is the same stream, its bytes the origin's. */
function unchanged(origin: Response, ...timings: string[]): Response {
  const headers = new Headers(origin.headers);
  for (const timing of timings.reverse()) headers.append("server-timing", timing);
  return new Response(origin.body, { status: origin.status, statusText: origin.statusText, headers });
}
