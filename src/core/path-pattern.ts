/**
 * @module Path targeting: a campaign's `audience.paths` patterns, where `*` matches any characters (`/` included),
 * and the limits that keep matching them cheap. Pure: imports nothing from Hono or the Workers runtime.
 *
 * The matcher never backtracks: a pattern is its literal parts between the `*`s; the first must start the path,
 * the last must end it, and each one between is found left to right with `indexOf` after the previous one.
 * Taking the leftmost place for each middle part is always right, since any `*` can absorb what lies between.
 * Work per pattern is at most (number of parts) x (path length) x (part length): bounded by the limits below.
 *
 * @example
 * pathMatches("/collections/*", "/collections/sale/shoes") // true
 * pathMatches("/products/*-socks", "/products/wool-socks/reviews") // false
 */

/** The longest visitor path matched; a longer one counts as "/" (real storefront paths are far shorter). */
export const MAX_VISITOR_PATH = 512;

/** Path patterns a campaign may list. */
export const MAX_PATH_PATTERNS = 50;

/** Characters in one path pattern. */
export const MAX_PATH_PATTERN_LENGTH = 256;

/** `*` wildcards in one path pattern. */
export const MAX_PATH_WILDCARDS = 8;

/** The wildcards of a pattern, counted for the schema's limit. */
export function wildcardCount(pattern: string): number {
  let count = 0;
  for (let at = pattern.indexOf("*"); at >= 0; at = pattern.indexOf("*", at + 1)) count++;
  return count;
}

/** Whether `path` matches `pattern`: `*` matches any characters, none included, across `/`. */
export function pathMatches(pattern: string, path: string): boolean {
  const firstStar = pattern.indexOf("*");
  if (firstStar < 0) return pattern === path;
  const lastStar = pattern.lastIndexOf("*");
  const prefix = pattern.slice(0, firstStar);
  const suffix = pattern.slice(lastStar + 1);
  // The prefix and the suffix may not overlap in the path: "/a*a" does not match "/a".
  if (path.length < prefix.length + suffix.length || !path.startsWith(prefix) || !path.endsWith(suffix)) return false;
  const end = path.length - suffix.length;
  let from = prefix.length;
  for (let start = firstStar + 1; start <= lastStar; ) {
    const star = pattern.indexOf("*", start);
    if (star > start) {
      const part = pattern.slice(start, star);
      const at = path.indexOf(part, from);
      if (at < 0 || at + part.length > end) return false;
      from = at + part.length;
    }
    start = star + 1;
  }
  return true;
}
