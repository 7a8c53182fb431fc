/**
 * @module Edge-rendered mode's proxy: a request to a store hostname of `EDGE_SITES` goes to that store's origin and
 * the origin's answer comes back. Only a `GET` answered 200 with `text/html` is the rewrite's (src/edge/rewrite.ts);
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
export async function proxyToOrigin(request: Request, site: EdgeSite): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(originRequest(request, site));
  } catch (error) {
    console.error(`valuebar: origin ${site.origin} of site ${site.site} did not answer`, error);
    // The cause is logged, not echoed: it may name the origin's private address.
    return Response.json(errorBody("ORIGIN_UNREACHABLE", "the store's origin did not answer"), { status: 502, headers: { "cache-control": "no-store" } });
  }
  if (isRewritable(request, response)) {
    // ===== ISSUE 13 REWRITE CALL SITE (helper B) =====
    // Here goes `return rewritePage(response, decision)` (src/edge/rewrite.ts), with the decision from
    // serveDecision for `site.site`. Until then the page passes through unchanged, and without the
    // `Cache-Control: private` / `Vary` a personalised page must carry: the rewrite adds those.
    return response;
  }
  return response;
}
