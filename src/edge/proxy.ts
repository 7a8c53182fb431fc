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
import { EDGE_RUNTIME_JS } from "../../snippet/dist/runtime";
import type { Decision } from "../core/decide";
import { withTimeout } from "../core/timeout";
import type { ServedDecision } from "../service/decision-service";
import { CONFIG_TIMEOUT_MS, MEMBERSHIP_TIMEOUT_MS, serveDecision, serverTiming } from "../service/decision-service";
import { PREVIEW_PARAM, previewedDraft } from "../service/preview";
import type { EdgeVisitor } from "./identity";
import { CLEAR_VISITOR_COOKIE, edgeVisitorQuery, visitorCookie } from "./identity";
import { isCrawler } from "../service/visitor";
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
function originRequest(request: Request, url: URL, site: EdgeSite): Request {
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
  // A navigation's page is very likely HTML: its decision (a KV read for a signed-in customer) runs while the origin
  // answers, so it adds nothing to the time to first byte but what outlasts the origin. Anything else waits to be
  // seen HTML first: an asset never costs a decision.
  // The request's URL, parsed once for the origin's address, the visitor's path, a preview link and the beacons.
  const url = new URL(request.url);
  const early = site.rewrite && isNavigation(request) ? edgeDecision(request, url, site, env) : null;
  let response: Response;
  try {
    response = await fetch(originRequest(request, url, site));
  } catch (error) {
    console.error(`valuebar: origin ${site.origin} of site ${site.site} did not answer`, error);
    // The cause is logged, not echoed: it may name the origin's private address.
    return Response.json(errorBody("ORIGIN_UNREACHABLE", "the store's origin did not answer"), { status: 502, headers: { "cache-control": "no-store" } });
  }
  // A pass-through site (`rewrite = false`) stops here: its pages are the origin's Response too, untouched.
  if (site.rewrite && isRewritable(request, response)) return personalisedPage(request, url, response, site, await (early ?? edgeDecision(request, url, site, env)), ctx);
  return response;
}

/**
 * Whether a request is a browser's navigation to a page: `Sec-Fetch-Dest: document` (every current browser sends
 * it), or, from a client that sends no Sec-Fetch headers, an Accept that names HTML. A guess only decides when the
 * decision starts: a navigation answered with something other than a 200 page counts nothing.
 */
export function isNavigation(request: Request): boolean {
  if (request.method !== "GET") return false;
  const dest = request.headers.get("sec-fetch-dest");
  if (dest !== null) return dest === "document";
  return (request.headers.get("accept") ?? "").slice(0, 256).includes("text/html");
}

/**
 * How long the page waits for its decision before it goes out unchanged. serveDecision bounds its own KV waits
 * (CONFIG_TIMEOUT_MS, then MEMBERSHIP_TIMEOUT_MS); this bounds everything else too (signing, a bug that hangs).
 */
export const EDGE_DECISION_TIMEOUT_MS = CONFIG_TIMEOUT_MS + MEMBERSHIP_TIMEOUT_MS;

/** A decision for a page, or why there is none; the counting of its exposures held until the page is written. */
type EdgeDecision = { ok: true; served: ServedDecision; visitor: EdgeVisitor; counts: (() => Promise<unknown>)[] } | { ok: false };

/**
 * The visitor's decision as the snippet route would make it (serveDecision, identity from cookies:
 * src/edge/identity.ts), its exposures not yet counted. Never rejects: a decision that throws or outlasts
 * EDGE_DECISION_TIMEOUT_MS is `{ ok: false }`, and the page goes out as the origin sent it.
 */
async function edgeDecision(request: Request, url: URL, site: EdgeSite, env: Env): Promise<EdgeDecision> {
  try {
    const visitor = edgeVisitorQuery(request, isCrawler(request), url);
    const counts: (() => Promise<unknown>)[] = [];
    // A marketer's preview link on the store's page (the editor's `?valuebar_preview=<token>`): the draft's decision.
    const token = url.searchParams.get(PREVIEW_PARAM);
    const decide = async () => {
      const draft = token === null ? undefined : await previewedDraft(env, site.site, token);
      const served = await serveDecision(env, site.site, request, visitor.query, (work) => counts.push(work), draft);
      // A draft's decision counts nowhere: without exposures the runtime sends no clicks or dismissals for it.
      return draft && served.kind === "decision" ? { ...served, decision: { ...served.decision, exposures: [] } } : served;
    };
    return { ok: true, served: await withTimeout(decide(), EDGE_DECISION_TIMEOUT_MS), visitor, counts };
  } catch (error) {
    console.error(`valuebar: no decision for site ${site.site}, its page goes out unchanged`, error);
    return { ok: false };
  }
}

/**
 * The origin's page with this visitor's decision written in (src/edge/rewrite.ts). Fails open: when the decision
 * failed, or has nothing to go on (the site is unknown, or its config unreadable and none cached), the origin's page
 * goes out as it came, with Server-Timing saying so. Exposures are counted only for a page written with them.
 */
function personalisedPage(request: Request, url: URL, origin: Response, site: EdgeSite, edge: EdgeDecision, ctx: ExecutionContext): Response {
  if (!edge.ok) return unchanged(origin, EDGE_TIMING.failOpen);
  const { served, visitor, counts } = edge;
  if (served.kind === "unknown-site") return unchanged(origin, EDGE_TIMING.failOpen, serverTiming(served));
  if (served.degraded && isEmpty(served.decision)) return unchanged(origin, EDGE_TIMING.failOpen, serverTiming(served));
  const payload: EdgePayload = {
    site: site.site,
    storeOrigin: url.origin,
    decision: served.decision,
    consent: served.consent,
    dismissed: visitor.dismissed,
    ...(served.newVisitorId ? { newVisitorId: served.newVisitorId } : {}),
    ...(served.eventsToken ? { token: served.eventsToken } : {}),
  };
  const page = rewritePage(origin, payload, EDGE_RUNTIME_JS, { serverTiming: serverTiming(served), acceptEncoding: request.headers.get("accept-encoding") });
  if (!page.headers.get("server-timing")?.includes(EDGE_TIMING.rewritten)) return page;
  for (const work of counts) ctx.waitUntil(work());
  // serveDecision hands out a new id only with consent; a crawler never gets one (it has no consent).
  if (served.newVisitorId) page.headers.append("set-cookie", visitorCookie(served.newVisitorId));
  if (visitor.clearVisitorCookie) page.headers.append("set-cookie", CLEAR_VISITOR_COOKIE);
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
