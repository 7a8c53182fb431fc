/**
 * @module Properties of the public hot path for arbitrary requests against a seeded store: whatever the query
 * string and the headers hold (hostile paths, broken percent-encoding, long or odd values, any bytes a header may
 * carry), `/v1/s/{site}.js` answers 200 with valid JavaScript and `/v1/decide/{site}` answers 200 with a
 * decision or a 4xx error envelope, never a 5xx; neither reads KV more than twice (config, membership).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { DecisionBody } from "../helpers";
import { call, CUSTOMER, errorOf, kvReads, seedStore, signCustomer, snippetPayload } from "../helpers";

const PARAMS = ["cid", "sig", "vid", "new", "path", "country", "currency", "locale", "consent", "preview"] as const;

/** Values a visitor (or someone posing as one) may send, from plausible to hostile. */
const value = fc.oneof(
  fc.constantFrom("", "1", "0", "DE", "us", "EUR", "eur", "de-DE", "*", "/", "/products/wool-socks", "%", "%E0%A4%A", "%00", `${"/".repeat(510)}\n`),
  fc.string({ maxLength: 40 }),
  fc.string({ unit: "binary", maxLength: 40 }),
  fc.string({ unit: fc.constantFrom("/", "\n", "*", "a", "%", "&", "="), maxLength: 600 }),
);

/** A query string: parameters encoded properly, or raw text with broken escapes, separators and all. */
const query = fc.oneof(
  fc.array(fc.tuple(fc.oneof(fc.constantFrom(...PARAMS), fc.string({ maxLength: 8 })), value), { maxLength: 8 }).map((pairs) => new URLSearchParams(pairs).toString()),
  fc.string({ unit: fc.constantFrom("a", "b", "1", "=", "&", "%", "+", "/", ".", "-", "_", "~", "?", "E", "F", "c", "i", "d", "v"), maxLength: 200 }),
);

/**
 * Header values: printable ASCII and tab. (Other bytes only make workerd warn on every request that it sends them
 * as UTF-8; test/visitor.test.ts feeds non-ASCII user agents to deviceOf directly.)
 */
const headerValue = fc.string({
  unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.constant(0x09)).map((code) => String.fromCharCode(code)),
  maxLength: 300,
});

const headers = fc.record(
  {
    "user-agent": fc.oneof(headerValue, fc.constant(`${"Android ".repeat(200)}Mobile`)),
    "accept-language": fc.oneof(headerValue, fc.constant(`de-DE,${"x".repeat(2_000)}`)),
    "sec-ch-ua-mobile": fc.oneof(headerValue, fc.constantFrom("?0", "?1")),
    cookie: headerValue,
    "cf-connecting-ip": headerValue,
  },
  { requiredKeys: [] },
);

/** Checks the snippet's promise for one request. */
async function expectSnippet(site: string, q: string, h: Record<string, string>): Promise<void> {
  const res = await call(`/v1/s/${site}.js?${q}`, { headers: h });
  const js = await res.text();
  expect(res.status, js).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  expect(() => new Function(js)).not.toThrow();
  const payload = snippetPayload(js);
  if (payload) expect(Object.keys(payload.decision.placements).sort()).toEqual(["returns", "shipping", "topbar"]);
  expect(kvReads(res) ?? 0).toBeLessThanOrEqual(2);
}

/** Checks the decide route's promise for one request. */
async function expectDecision(path: string, h: Record<string, string>): Promise<void> {
  const res = await call(path, { headers: h });
  expect(res.status).toBeLessThan(500);
  if (res.status === 200) {
    const body = await res.json<DecisionBody>();
    expect(Object.keys(body.placements).sort()).toEqual(["returns", "shipping", "topbar"]);
    expect(kvReads(res) ?? 0).toBeLessThanOrEqual(2);
  } else {
    expect(res.status).toBeGreaterThanOrEqual(400);
    await errorOf(res);
  }
}

describe("the public hot path, for any query string and headers", () => {
  it("snippet: always 200 with valid JavaScript; decide: 200 or a 4xx envelope, never 5xx", { timeout: 120_000 }, async () => {
    const site = await seedStore();
    // Half the runs are a signed-in VIP, so the membership read and the experiment are on the path too.
    const signed = `cid=${CUSTOMER.vip}&sig=${await signCustomer(CUSTOMER.vip)}`;
    await fc.assert(
      fc.asyncProperty(query, headers, fc.boolean(), async (q, h, vip) => {
        const full = vip ? `${signed}&${q}` : q;
        await expectSnippet(site, full, h);
        await expectDecision(`/v1/decide/${site}?${full}`, h);
      }),
      { numRuns: 200 },
    );
  });

  it("answers any site segment the same way: the snippet 200 JavaScript (or 404 when no route matches), decide 200 or 4xx", { timeout: 120_000 }, async () => {
    const site = await seedStore();
    const segment = fc.oneof(fc.constant(site), fc.string({ maxLength: 80 }), fc.string({ unit: "binary", maxLength: 80 }), fc.constant("a".repeat(5_000)));
    await fc.assert(
      fc.asyncProperty(segment, query, async (s, q) => {
        const encoded = encodeURIComponent(s.replace(/[\uD800-\uDFFF]/g, "?"));
        const res = await call(`/v1/s/${encoded}.js?${q}`);
        const body = await res.text();
        if (res.status === 200) {
          expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
          expect(() => new Function(body)).not.toThrow();
        } else {
          expect(res.status, body).toBe(404);
        }
        await expectDecision(`/v1/decide/${encoded}?${q}`, {});
      }),
      { numRuns: 150 },
    );
  });
});
