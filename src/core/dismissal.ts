/**
 * @module What a dismissed message is called, in the runtime's storage and at the edge: `placement:campaign`, and
 * `placement:` for a placement's default, which no campaign id can give (ids are slugs, never empty). In edge mode the
 * runtime also writes the newest keys into a first-party cookie, so the Worker can leave a dismissed message out of
 * the page it streams (no bar drawn and taken away again: no flash, no layout shift).
 *
 * @example
 * dismissalKey("topbar", "vip-express") // "topbar:vip-express"
 * dismissedKeys("topbar:vip-express|shipping:") // Set { "topbar:vip-express", "shipping:" }
 */

/** The cookie: `valuebar_dismissed=topbar:vip-express|shipping:` (`|` is a cookie-value octet; keys have none). */
export const DISMISSED_COOKIE = "valuebar_dismissed";
export const DISMISSED_SEPARATOR = "|";
/**
 * How many keys the cookie keeps, newest last: a key is at most 73 characters (placement, ":", a 64-character id), so
 * the cookie stays under 1.2 KB, well inside a browser's 4 KB per cookie and the Worker's 8 KB of Cookie header.
 */
export const MAX_DISMISSED_COOKIE_KEYS = 16;

/** The key of the message `campaign` (null: the placement's default) shows in `placement`. */
export const dismissalKey = (placement: string, campaign: string | null | undefined): string => placement + ":" + (campaign ?? "");

/**
 * The keys a cookie value holds, at most MAX_DISMISSED_COOKIE_KEYS of them (the newest), whatever a client sent (the
 * Worker reads a bounded prefix of the Cookie header, so the value is bounded too).
 */
export function dismissedKeys(value: string | undefined): ReadonlySet<string> {
  if (!value) return new Set();
  return new Set(value.split(DISMISSED_SEPARATOR).slice(-MAX_DISMISSED_COOKIE_KEYS));
}
