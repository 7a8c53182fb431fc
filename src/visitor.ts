/**
 * @module Who is asking: the visitor context of a snippet or decide request, from its query string
 * (`cid`, `sig`, `vid`, `new`, `path`, `country`, `currency`, `locale`, `consent`) and headers.
 */
import type { Device } from "./core/config-schema";
import type { VisitorContext } from "./core/decide";
import { verifiedCustomerId } from "./http/crypto";

export const VISITOR_ID = /^[A-Za-z0-9_-]{8,64}$/;

export interface ResolvedVisitor {
  context: VisitorContext;
  /** Set when the request carried no usable visitor id and one was made up for it. */
  newVisitorId?: string;
}

/** The visitor context; a missing or wrong signature simply means anonymous. */
export async function resolveVisitor(request: Request, url: URL, secret: string): Promise<ResolvedVisitor> {
  const q = url.searchParams;
  const customerId = await verifiedCustomerId(secret, q.get("cid") ?? undefined, q.get("sig") ?? undefined);
  const vid = q.get("vid") ?? "";
  const known = VISITOR_ID.test(vid);
  const visitorId = known ? vid : crypto.randomUUID().replace(/-/g, "");
  const path = q.get("path") ?? "";
  const country = (q.get("country") ?? "").toUpperCase();
  const currency = (q.get("currency") ?? "").toUpperCase();
  const context: VisitorContext = {
    visitorId,
    customerId,
    country: /^[A-Z]{2}$/.test(country) ? country : cfCountry(request),
    path: path.startsWith("/") && path.length <= 512 ? path : "/",
    returning: known && q.get("new") !== "1",
    device: deviceOf(request.headers),
    currency: /^[A-Z]{3}$/.test(currency) ? currency : null,
    locale: localeOf(q.get("locale") ?? request.headers.get("accept-language")),
    // The store's switch: `consent=0` when the visitor has not agreed to analytics.
    consent: q.get("consent") !== "0",
  };
  return known ? { context } : { context, newVisitorId: visitorId };
}

function cfCountry(request: Request): string | null {
  const country = (request as Request & { cf?: { country?: unknown } }).cf?.country;
  return typeof country === "string" && /^[A-Z]{2}$/.test(country) ? country : null;
}

/** Device type from Client Hints when sent, else the User-Agent. */
export function deviceOf(headers: Headers): Device {
  const ua = headers.get("user-agent") ?? "";
  if (/iPad|Tablet|Android(?!.*Mobile)/i.test(ua)) return "tablet";
  if (headers.get("sec-ch-ua-mobile") === "?1" || /Mobi|iPhone|Android/i.test(ua)) return "mobile";
  return "desktop";
}

/** The first valid locale of `raw` (a tag or an Accept-Language header); "en-US" otherwise. */
export function localeOf(raw: string | null): string {
  const first = raw?.split(",")[0]?.split(";")[0]?.trim();
  if (first) {
    try {
      return Intl.getCanonicalLocales(first)[0] ?? "en-US";
    } catch {
      // not a locale: fall through
    }
  }
  return "en-US";
}
