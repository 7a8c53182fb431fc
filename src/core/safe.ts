/**
 * @module The rules that keep marketer input safe on a store's page, shared by the config schema (checked
 * when a config is saved) and the snippet runtime (checked again, as the last step before the page).
 */

/** A colour as `#rgb` or `#rrggbb`: the only colour syntax a style may use. No flags: JSON Schema's `pattern` has none. */
export const HEX_COLOUR = /^#(?:[0-9a-fA-F]{3}){1,2}$/;

/**
 * A link is an absolute http(s) URL or a path on the store ("/pages/shipping"); nothing else,
 * so `javascript:` or `data:` can never reach a shopper.
 */
export function isSafeLink(url: string): boolean {
  // Browsers drop tabs and newlines from URLs ("/\t/evil.com" is "//evil.com"): no controls, spaces or backslashes.
  if (/[\x00-\x20\x7f\\]/.test(url)) return false;
  if (url.startsWith("/")) return !url.startsWith("//");
  return /^https?:\/\/[^\s/$.?#][^\s]*$/i.test(url);
}
