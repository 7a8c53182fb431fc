/**
 * @module The hot path's query reader (src/core/query.ts) answers as the runtime's URLSearchParams does, for any
 * request URL: checked on the snippet's usual queries and on arbitrary text (percent signs, plus signs, repeats,
 * empty names and values, fragments, any Unicode), serialized by the runtime's URL parser as a request's URL is.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { queryOf } from "../../src/core/query";

/** Both readers of `href` agree on every name it holds and on `extra` names it may not. */
function expectSameAsRuntime(href: string, extra: readonly string[] = []): void {
  const runtime = new URL(href).searchParams;
  const ours = queryOf(href);
  for (const name of new Set([...runtime.keys(), ...extra])) expect(ours.get(name), `${name} in ${href}`).toBe(runtime.get(name));
}

const NAMES = ["cid", "sig", "vid", "new", "path", "country", "currency", "locale", "consent", "preview", ""];

describe("queryOf", () => {
  it.each([
    "https://w.example/v1/s/demo.js?vid=0123456789abcdef0123456789abcdef&path=/",
    "https://w.example/v1/s/demo.js?cid=1001&sig=ab12&vid=x&path=/products/wool-socks&country=us&consent=0",
    "https://w.example/v1/s/demo.js",
    "https://w.example/v1/s/demo.js?",
    "https://w.example/v1/s/demo.js?path=/a%20b&path=/second",
    "https://w.example/v1/s/demo.js?locale=de+DE&cid=a%2Bb",
    "https://w.example/v1/s/demo.js?&&vid&=x&path==/a=b#frag?vid=no",
    "https://w.example/v1/s/demo.js?path=%zz%E2%82%AC%",
    // Found by the property below: a query that itself starts with "?" and needs decoding.
    "https://w.example/v1/s/demo.js??+",
    "https://w.example/v1/s/demo.js??cid=1%2B1",
  ])("%s", (href) => {
    expectSameAsRuntime(new URL(href).href, NAMES);
  });

  const queryText = fc.stringMatching(/^[a-z0-9=&%+#/?. _\u00e9\u20ac-]{0,40}$/);
  test.prop([fc.oneof(queryText, fc.string({ unit: "grapheme", maxLength: 40 })), fc.constantFrom(...NAMES)], { numRuns: 3_000 })("any query, any name", (query, name) => {
    expectSameAsRuntime(new URL(`https://w.example/v1/s/demo.js?${query}`).href, [name]);
  });
});
