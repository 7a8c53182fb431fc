/**
 * @module Who is asking: the visitor context of a snippet or decide request, from its query string
 * (`cid`, `sig`, `vid`, `new`, `path`, `country`, `currency`, `locale`, `consent`) and headers.
 *
 * Public routes run this for anyone, so the work on each input is bounded by a constant, never by its length:
 * every value is checked for length before anything scans it, and headers are read only in a bounded prefix.
 * (Parsing the URL and the headers themselves is the runtime's, within the platform's limits on their size.)
 */
import type { VisitorContext } from "../core/decide";
import { MAX_VISITOR_PATH } from "../core/path-pattern";
import type { QueryReader } from "../core/query";
import type { Device } from "../core/shared";
import { COUNTRY_CODE, CURRENCY_CODE, VISITOR_ID } from "../core/shared";
import { verifiedCustomerId } from "../platform/crypto";

export interface ResolvedVisitor {
  context: VisitorContext;
  /** Set when the request carried no usable visitor id and one was made up for it. */
  newVisitorId?: string;
  /** A bot (isCrawler): anonymous, without consent; its request is counted as kept out of the experiments it would reach. */
  bot: boolean;
}

/** The visitor context; a missing or wrong signature simply means anonymous. */
export async function resolveVisitor(request: Request, q: QueryReader, secret: string): Promise<ResolvedVisitor> {
  // A bot is an anonymous visitor without consent: the baseline, never enrolled, nothing kept (isCrawler).
  const bot = isCrawler(request);
  // `cid` longer than 128 characters is refused before it is hashed (verifiedCustomerId).
  const cid = bot ? null : q.get("cid");
  // An anonymous request (no `cid`) makes no call into crypto at all.
  const customerId = cid === null ? null : await verifiedCustomerId(secret, cid, q.get("sig") ?? undefined);
  const vid = q.get("vid") ?? "";
  // Anchored, with a bounded repetition: the test gives up within 65 characters, however long `vid` is.
  const known = VISITOR_ID.test(vid);
  const visitorId = known ? vid : crypto.randomUUID().replace(/-/g, "");
  const path = q.get("path") ?? "";
  const country = codeOf(q.get("country"), 2);
  const currency = codeOf(q.get("currency"), 3);
  const context: VisitorContext = {
    visitorId,
    customerId,
    country: country ?? cfCountry(request),
    // Campaigns' path patterns are matched against at most MAX_VISITOR_PATH characters.
    path: path.startsWith("/") && path.length <= MAX_VISITOR_PATH ? path : "/",
    returning: known && q.get("new") !== "1",
    device: deviceOf(request.headers.get("user-agent"), request.headers.get("sec-ch-ua-mobile")),
    currency,
    locale: localeOf(q.get("locale") ?? request.headers.get("accept-language")),
    // The store's switch: `consent=0` when the visitor has not agreed to analytics.
    consent: !bot && q.get("consent") !== "0",
  };
  return known ? { context, bot } : { context, newVisitorId: visitorId, bot };
}

function cfCountry(request: Request): string | null {
  const country = (request as Request & { cf?: { country?: unknown } }).cf?.country;
  return typeof country === "string" && COUNTRY_CODE.test(country) ? country : null;
}

/** An upper-case code of `length` letters (country, currency), or null; its length is checked before anything else. */
function codeOf(raw: string | null, length: 2 | 3): string | null {
  if (raw === null || raw.length !== length) return null;
  const code = raw.toUpperCase();
  return (length === 2 ? COUNTRY_CODE : CURRENCY_CODE).test(code) ? code : null;
}

/**
 * How much of the User-Agent header device detection reads. Real ones are about 100 to 400 characters and name
 * the device early; a bounded prefix keeps the work per request constant whatever a client sends.
 */
export const USER_AGENT_PREFIX = 1_024;

/**
 * Device type from the User-Agent header (its first USER_AGENT_PREFIX characters) and the Client Hint
 * `Sec-CH-UA-Mobile` ("?1" on a phone).
 */
export function deviceOf(userAgent: string | null, mobileHint: string | null): Device {
  // Only ASCII letters are folded, as a case-insensitive RegExp does for ASCII words (toLowerCase would also turn
  // e.g. "İ" into "i" plus a dot).
  const ua = (userAgent ?? "").slice(0, USER_AGENT_PREFIX).replace(/[A-Z]+/g, (letters) => letters.toLowerCase());
  // An Android device without "Mobile" after "Android" is a tablet. It is enough to look after the last
  // "android": searches with indexOf, never the regex Android(?!.*Mobile), which rescans the rest of the header
  // after every "Android" (quadratic).
  const android = ua.lastIndexOf("android");
  if (ua.includes("ipad") || ua.includes("tablet") || (android >= 0 && !ua.includes("mobile", android + "android".length))) return "tablet";
  if (mobileHint === "?1" || ua.includes("mobi") || ua.includes("iphone") || android >= 0) return "mobile";
  return "desktop";
}

/**
 * How much of a `locale` parameter or Accept-Language header is read. A language tag is at most a few dozen
 * characters in practice (e.g. "zh-Hant-TW-u-nu-hanidec"); only the first one of the list is used.
 */
export const LOCALE_PREFIX = 64;

/** The first valid locale of `raw` (a tag or an Accept-Language header, read in its first LOCALE_PREFIX characters); "en-US" otherwise. */
export function localeOf(raw: string | null): string {
  const first = raw?.slice(0, LOCALE_PREFIX).split(",")[0]?.split(";")[0]?.trim();
  if (first) {
    try {
      return Intl.getCanonicalLocales(first)[0] ?? "en-US";
    } catch {
      // not a locale: fall through
    }
  }
  return "en-US";
}

// Substrings of the User-Agent of the crawlers that announce themselves (Googlebot/2.1, bingbot/2.0, DuckDuckBot/1.0,
// YandexBot, Applebot, AhrefsBot, AdsBot-Google, Yahoo! Slurp, facebookexternalhit...). "bot/" rather than "bot":
// some phones' brand names end in "bot" (Cubot).
const CRAWLER_MARKS = ["bot/", "bot-", "bot;", "crawler", "spider", "slurp", "facebookexternalhit", "mediapartners-google", "ia_archiver"];

/**
 * Cloudflare's bot score (1 to 99, where Bot Management supplies it) below which a request counts as automated:
 * Cloudflare's own "likely automated" band is 1 to 29.
 */
export const BOT_SCORE_THRESHOLD = 30;

/**
 * Whether the request comes from a bot, in script mode and edge mode alike: one that says so (isDeclaredBot), or one
 * Cloudflare's Bot Management scores as likely automated (`cf.botManagement.score` below BOT_SCORE_THRESHOLD). A bot
 * gets the baseline and is never enrolled.
 */
export function isCrawler(request: Request): boolean {
  if (isDeclaredBot(request)) return true;
  const score = botManagementOf(request)?.score;
  return typeof score === "number" && score >= 1 && score < BOT_SCORE_THRESHOLD;
}

/**
 * A bot that says so: Cloudflare verified it (`cf.botManagement.verifiedBot`), or its User-Agent (the first
 * USER_AGENT_PREFIX characters) names a crawler. The events route drops these; not the merely low-scored, since a
 * store's own server sending purchases scores as automated too.
 */
export function isDeclaredBot(request: Request): boolean {
  if (botManagementOf(request)?.verifiedBot === true) return true;
  // toLowerCase, not deviceOf's ASCII-only folding (a replace with a callback per run of capitals, the costlier on
  // every page): a non-ASCII letter that folds into a mark makes at worst a crawler of a visitor, who sees defaults.
  const ua = (request.headers.get("user-agent") ?? "").slice(0, USER_AGENT_PREFIX).toLowerCase();
  return CRAWLER_MARKS.some((mark) => ua.includes(mark));
}

function botManagementOf(request: Request): { verifiedBot?: unknown; score?: unknown } | undefined {
  return (request as Request & { cf?: { botManagement?: { verifiedBot?: unknown; score?: unknown } } }).cf?.botManagement;
}
