/**
 * @module A request's query string, read as `URLSearchParams.get` reads it, for the hot path: the snippet and decide
 * routes read about ten parameters per request, and parsing the whole URL and then asking the runtime's
 * URLSearchParams for each one cost more than the decision itself in the bench's profile (bench/README.md).
 */

/** What the hot path asks of a query: the first value of a parameter, or null. `URLSearchParams` is one. */
export interface QueryReader {
  get(name: string): string | null;
}

const EMPTY: QueryReader = { get: () => null };

/**
 * The query of `url` (a request's URL as the runtime serializes it: ASCII, anything else percent-encoded). A query
 * with no "%" and no "+" (the usual one: ids, a path, codes) decodes to itself, so it is split here in one pass;
 * any other goes to URLSearchParams, which decodes it.
 *
 * @example
 * queryOf("https://shop.example/v1/s/demo.js?vid=abc&path=/").get("path") // "/"
 */
export function queryOf(url: string): QueryReader {
  const start = url.indexOf("?");
  if (start < 0) return EMPTY;
  const hash = url.indexOf("#", start);
  const query = url.slice(start + 1, hash < 0 ? url.length : hash);
  // The "?" in front: URLSearchParams drops one leading "?" of its input, which belongs to the query here ("??+").
  if (query.includes("%") || query.includes("+")) return new URLSearchParams(`?${query}`);
  const values = new Map<string, string>();
  for (const pair of query.split("&")) {
    if (pair === "") continue;
    const equals = pair.indexOf("=");
    const name = equals < 0 ? pair : pair.slice(0, equals);
    // The first value wins, as URLSearchParams.get answers.
    if (!values.has(name)) values.set(name, equals < 0 ? "" : pair.slice(equals + 1));
  }
  return { get: (name) => values.get(name) ?? null };
}
