/**
 * @module Who a store page's visitor is, in edge-rendered mode: the same inputs the snippet route reads from its
 * query string (src/service/visitor.ts), read from the store's first-party cookies instead, so the proxy can call
 * the same `serveDecision` as script mode.
 *
 * - `valuebar_cid`: "<customer id>.<sig>", set by the store at sign-in (HttpOnly, its own domain), `sig` being the
 *   same HMAC-SHA256 of the customer id as the snippet's `sig` parameter. One cookie, not two: an id and a signature
 *   are then always written, replaced and cleared together (a sign-out that clears one cannot leave a stale pair),
 *   and the signature is 64 hex digits, so the last "." separates it even from an id that has dots.
 * - `valuebar_vid`: the visitor id, set by the Worker itself (first-party, Secure, SameSite=Lax, a year).
 * - `valuebar_dismissed`: the messages the visitor dismissed on an edge-rendered page, written by the runtime
 *   (src/core/dismissal.ts); the rewrite leaves them out of the page. Read for crawlers never.
 * - `valuebar_consent=0`: the store's switch, as the snippet's `consent=0`: written by the store's consent banner
 *   when the visitor declines analytics. Anything else (or no cookie) is consent, as in script mode. Without consent
 *   the Worker sets no cookie and deletes a `valuebar_vid` kept from before.
 *
 * Crawlers (`isCrawler`, src/service/visitor.ts: the same rule as script mode's) get the decision of an anonymous
 * visitor without consent: the baseline, no enrollment, nothing counted, no cookie.
 */
import { DISMISSED_COOKIE, dismissedKeys } from "../core/dismissal";
import type { QueryReader } from "../core/query";

export const CUSTOMER_COOKIE = "valuebar_cid";
export const VISITOR_COOKIE = "valuebar_vid";
export const CONSENT_COOKIE = "valuebar_consent";

/** How much of the Cookie header is read: a browser sends at most a few KB; the work stays bounded whatever a client sends. */
export const COOKIE_PREFIX = 8_192;

/** A year, in seconds: how long the visitor id cookie lives. */
const VISITOR_COOKIE_MAX_AGE = 31_536_000;

/** Our cookies' values, from the first COOKIE_PREFIX characters of a Cookie header; the first of a name wins. */
export function valuebarCookies(header: string | null): Map<string, string> {
  const found = new Map<string, string>();
  if (header === null) return found;
  for (const pair of header.slice(0, COOKIE_PREFIX).split(";")) {
    const equals = pair.indexOf("=");
    if (equals < 0) continue;
    const name = pair.slice(0, equals).trim();
    if ((name === CUSTOMER_COOKIE || name === VISITOR_COOKIE || name === CONSENT_COOKIE || name === DISMISSED_COOKIE) && !found.has(name)) {
      found.set(name, pair.slice(equals + 1).trim());
    }
  }
  return found;
}

/**
 * The visitor's inputs as `resolveVisitor` reads a snippet request's query: `cid` and `sig` from the customer cookie,
 * `vid` from the visitor cookie, `path` from the page's URL (`url`: the request's, parsed by the caller when it has
 * it), `consent` from the consent cookie. A crawler is anonymous and without consent.
 */
export function edgeVisitorQuery(request: Request, crawler: boolean, url = new URL(request.url)): EdgeVisitor {
  const params = new Map<string, string>([["path", url.pathname]]);
  const cookies = crawler ? new Map<string, string>() : valuebarCookies(request.headers.get("cookie"));
  const consent = !crawler && cookies.get(CONSENT_COOKIE) !== "0";
  const vid = cookies.get(VISITOR_COOKIE);
  if (!consent) params.set("consent", "0");
  // Without consent the id kept from before is not used (nothing is counted, nothing enrolled) and is cleared.
  else if (vid !== undefined) params.set("vid", vid);
  const customer = cookies.get(CUSTOMER_COOKIE);
  const dot = customer?.lastIndexOf(".") ?? -1;
  if (customer !== undefined && dot > 0) {
    // The store may have percent-encoded the id (a cookie value cannot hold every character); the signature is hex.
    let id: string | null = null;
    try {
      id = decodeURIComponent(customer.slice(0, dot));
    } catch {
      // A malformed escape: anonymous, as a wrong signature is.
    }
    if (id !== null) {
      params.set("cid", id);
      params.set("sig", customer.slice(dot + 1));
    }
  }
  return {
    query: { get: (name) => params.get(name) ?? null },
    clearVisitorCookie: !consent && vid !== undefined,
    dismissed: dismissedKeys(cookies.get(DISMISSED_COOKIE)),
  };
}

export interface EdgeVisitor {
  /** What `serveDecision` reads, as it reads a snippet request's query string. */
  query: QueryReader;
  /** The visitor withdrew consent but still has the id cookie from before: the answer deletes it. */
  clearVisitorCookie: boolean;
  /** The keys (`placement:campaign`) of the messages the visitor dismissed: not written into the page. */
  dismissed: ReadonlySet<string>;
}

/** The Set-Cookie that deletes the visitor id cookie. */
export const CLEAR_VISITOR_COOKIE = `${VISITOR_COOKIE}=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax`;

/** The Set-Cookie of a new visitor id: first-party, HTTPS only, sent on top-level navigations from other sites, a year. */
export function visitorCookie(visitorId: string): string {
  return `${VISITOR_COOKIE}=${visitorId}; Path=/; Max-Age=${VISITOR_COOKIE_MAX_AGE}; Secure; HttpOnly; SameSite=Lax`;
}
