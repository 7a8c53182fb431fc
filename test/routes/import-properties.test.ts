/**
 * @module Property-based tests of the import route (fast-check, inside workerd with the real KV and Durable
 * Objects): for arbitrary bytes as an NDJSON or CSV body (valid rows mixed with broken JSON, bad quotes, invalid
 * UTF-8, odd and huge fields, impossible or past dates), the route answers 2xx or a 4xx envelope whose every
 * issue names a line (and a path when one field is at fault), never 5xx; a rejected import writes nothing (the
 * site's KV keys under `m:{site}:` and the counts route are unchanged); an accepted one leaves KV and the
 * index agreeing (as many current keys in KV as customers counted, nothing pending).
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { admin, errorOf, importMemberships, newSite, publishConfig } from "../helpers";

const IDS = ["1001", "1002", "ana@example.com", "gid://shopify/Customer/7", "  spaced  ", "=HYPERLINK(1)", "é-ü", "x".repeat(128)];
const SEGMENTS = ["vip", "high_returner", "bargain_hunter", "new_segment", "VIP", "<b>", "", "a".repeat(65)];
const TIMES = [
  "2099-12-31T23:59:59Z",
  "2031-06-30T12:00:00+02:00",
  "2001-01-01T00:00:00Z",
  "2027-02-29T00:00:00Z",
  "2028-02-29T00:00:00Z",
  "2027-04-31T00:00:00Z",
  "2027-01-01",
  "2027-01-01T10:00:00",
  "9999-12-31T23:59:59.999Z",
  "next week",
  "",
];

const encoder = new TextEncoder();
const bytes = (text: string) => encoder.encode(text);

/** Field values as a store's export (or a broken one) may hold them. */
const oddValue = fc.oneof(
  fc.constantFrom(...IDS),
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: "binary", maxLength: 8 }),
  fc.array(fc.constantFrom(...SEGMENTS), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 3 }), fc.integer(), { maxKeys: 2 }),
);

/** A customer id: a pool large enough that a few rows seldom repeat one, with the odd ones of IDS. */
const customerId = fc.oneof(fc.constantFrom(...IDS), fc.integer({ min: 0, max: 400 }).map((n) => `c${n}`));
const validSegments = fc.uniqueArray(fc.constantFrom("vip", "high_returner", "bargain_hunter", "new_segment"), { maxLength: 3 });
const validTime = fc.constantFrom(undefined, "2099-12-31T23:59:59Z", "2031-06-30T12:00:00+02:00", "2001-01-01T00:00:00Z", "2028-02-29T00:00:00Z", "9999-12-31T23:59:59.999Z");

/** A row the import takes (expired ones included: they are removals). */
const validRow = fc.record({ customer_id: customerId, segments: validSegments, expires_at: validTime }).map((row) => bytes(JSON.stringify(row)));

/** One NDJSON line: rows close to valid, broken JSON, raw bytes (invalid UTF-8 included), huge lines. */
const ndjsonLine: fc.Arbitrary<Uint8Array> = fc.oneof(
  { weight: 4, arbitrary: validRow },
  { weight: 3, arbitrary: fc.record(
      { customer_id: fc.oneof(customerId, oddValue), segments: fc.oneof(fc.uniqueArray(fc.constantFrom(...SEGMENTS), { maxLength: 3 }), oddValue), expires_at: fc.oneof(fc.constantFrom(...TIMES), oddValue) },
      { requiredKeys: [] },
    ).map((row) => bytes(JSON.stringify(row))) },
  { weight: 1, arbitrary: fc.string({ maxLength: 30 }).map((text) => bytes(`{"customer_id":${text}`)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 16 }) },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 40_000 }).map((n) => bytes(JSON.stringify({ customer_id: "huge", segments: ["vip"], note: "y".repeat(n) }))) },
);

/** One CSV field: plain, quoted (with commas, quotes, pipes), a stray quote, or raw bytes. */
const csvField: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.constantFrom(...IDS, ...SEGMENTS, ...TIMES, "vip|high_returner", " vip | new_segment ", "").map((text) => bytes(/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)),
  fc.string({ maxLength: 10 }).map((text) => bytes(`"${text.replace(/"/g, '""')}"`)),
  fc.string({ maxLength: 10 }).map((text) => bytes(`"${text}`)),
  fc.string({ maxLength: 10 }).map(bytes),
  fc.uint8Array({ maxLength: 6 }),
);

const csvHeader = fc.oneof(
  fc.constantFrom("customer_id,segments,expires_at", "segments,customer_id", "Customer_ID,Segments", "customer_id,tags", "customer_id,segments,email", ""),
  fc.string({ maxLength: 20 }),
);

const separator = fc.constantFrom("\n", "\r\n", "\r", "\n\n");

function join(parts: readonly Uint8Array[], separators: readonly string[]): Uint8Array {
  const out: number[] = [];
  parts.forEach((part, i) => {
    if (i > 0) out.push(...bytes(separators[i % separators.length] ?? "\n"));
    for (const b of part) out.push(b);
  });
  return new Uint8Array(out);
}

/** Bodies of valid rows only (so that accepted imports are common too), or of any lines. */
const ndjsonBody = fc.oneof(
  fc.tuple(fc.array(validRow, { minLength: 1, maxLength: 8 }), fc.array(separator, { minLength: 1, maxLength: 3 })),
  fc.tuple(fc.array(ndjsonLine, { minLength: 0, maxLength: 10 }), fc.array(separator, { minLength: 1, maxLength: 3 })),
).map(([lines, seps]) => join(lines, seps));

const validCsvRow = fc
  .tuple(customerId, validSegments, validTime)
  .map(([id, segments, time]) => [id, segments.join("|"), time ?? ""].map((text) => bytes(/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text)));
const csvBody = fc
  .oneof(
    fc.tuple(fc.constant("customer_id,segments,expires_at"), fc.array(validCsvRow, { minLength: 1, maxLength: 8 }), fc.array(separator, { minLength: 1, maxLength: 3 })),
    fc.tuple(csvHeader, fc.array(fc.oneof(validCsvRow, fc.array(csvField, { minLength: 1, maxLength: 4 })), { maxLength: 10 }), fc.array(separator, { minLength: 1, maxLength: 3 })),
  )
  .map(([header, rows, seps]) => join([bytes(header), ...rows.map((fields) => join(fields, [","]))], seps));

interface Snapshot {
  kv: Record<string, string | null>;
  counts: unknown;
}

async function snapshot(site: string): Promise<Snapshot> {
  const { keys } = await env.KV.list({ prefix: `m:${site}:` });
  const kv = Object.fromEntries(await Promise.all(keys.map(async (k) => [k.name, await env.KV.get(k.name)] as const)));
  const res = await admin(`/admin/sites/${site}/segments`);
  expect(res.status).toBe(200);
  return { kv, counts: await res.json() };
}

/** The property, for one content type: never 5xx, issues name lines, a rejection writes nothing, KV and the index agree. */
async function checkImport(contentType: string, body: Uint8Array, outcomes: Map<number, number>): Promise<void> {
  // A site per run: a run cannot leave state that makes another fail (and shrinking stays honest).
  const site = await seededSite();
  const before = await snapshot(site);
  const res = await admin(`/admin/sites/${site}/segments`, { method: "POST", headers: { "content-type": contentType }, body });
  expect(res.status, await res.clone().text()).toBeLessThan(500);
  outcomes.set(res.status, (outcomes.get(res.status) ?? 0) + 1);
  if (res.status >= 400) {
    const error = await errorOf(res);
    for (const issue of error.issues ?? []) {
      expect(issue.line, JSON.stringify(issue)).toEqual(expect.any(Number));
      expect(issue.line).toBeGreaterThanOrEqual(1);
      if (issue.path !== undefined) expect(issue.path).toMatch(/^(customer_id|segments(\.\d+)?|expires_at)$/);
    }
    // Every refusal of a body names at least one line; only the body's size and type are refused as a whole.
    if (res.status === 400) expect(error.issues?.length, error.message).toBeGreaterThan(0);
    expect(await snapshot(site)).toEqual(before);
    return;
  }
  expect(res.status).toBe(200);
  const after = await snapshot(site);
  const counts = after.counts as { customers: number; pending: number };
  expect(counts.pending).toBe(0);
  const current = Object.values(after.kv).filter((value) => {
    const membership = JSON.parse(value ?? "null") as { expiresAt?: number } | null;
    return membership !== null && (membership.expiresAt === undefined || membership.expiresAt > Date.now());
  });
  expect(current.length).toBe(counts.customers);
}

async function seededSite(): Promise<string> {
  const site = newSite("prop");
  await publishConfig(site);
  await importMemberships(site, [
    { customer_id: "1001", segments: ["vip"] },
    { customer_id: "ana@example.com", segments: ["high_returner"], expires_at: "2031-12-31T23:59:59Z" },
  ]);
  return site;
}

describe("import route: properties over arbitrary bodies", () => {
  it("NDJSON: 2xx or a 4xx envelope naming lines, never 5xx; a rejection writes nothing", async () => {
    const outcomes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(ndjsonBody, (body) => checkImport("application/x-ndjson", body, outcomes)),
      { numRuns: 100 },
    );
    // The generators reach both sides: accepted imports and refused ones.
    expect(outcomes.get(200)).toBeGreaterThan(10);
    expect(outcomes.get(400)).toBeGreaterThan(10);
  }, 120_000);

  it("CSV: 2xx or a 4xx envelope naming lines, never 5xx; a rejection writes nothing", async () => {
    const outcomes = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(csvBody, (body) => checkImport("text/csv", body, outcomes)),
      { numRuns: 100 },
    );
    expect(outcomes.get(200)).toBeGreaterThan(10);
    expect(outcomes.get(400)).toBeGreaterThan(10);
  }, 120_000);

  // Counterexamples the properties found (shrunk), kept as they were: an expires_at more than 68 years ahead gave
  // KV a TTL past its 32-bit range, which threw inside the object (a 503, and on the code before issue 9 a reset
  // object). NDJSON seed 1242433834, CSV seed 1047048183.
  it.each([
    ["application/x-ndjson", '{"customer_id":"1001","segments":["vip"],"expires_at":"2099-12-31T23:59:59Z"}\n{"customer_id":"c0","segments":[]}'],
    ["text/csv", "customer_id,segments,expires_at\né-ü,vip,2099-12-31T23:59:59Z\n1001,,"],
  ])("regression: a far-future expires_at is stored (%s)", async (contentType, text) => {
    await checkImport(contentType, bytes(text), new Map());
    const site = await seededSite();
    const res = await admin(`/admin/sites/${site}/segments`, { method: "POST", headers: { "content-type": contentType }, body: text });
    expect(res.status).toBe(200);
  });

  it("firstInvalidUtf8 agrees with the WHATWG decoder on arbitrary bytes", async () => {
    const { firstInvalidUtf8 } = await import("../../src/core/utf8");
    fc.assert(
      fc.property(fc.oneof(fc.uint8Array({ maxLength: 24 }), fc.string({ unit: "grapheme", maxLength: 8 }).map(bytes)), (input) => {
        const offset = firstInvalidUtf8(input);
        let valid = true;
        try {
          new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(input);
        } catch {
          valid = false;
        }
        expect(offset === -1).toBe(valid);
        if (offset >= 0) {
          // Everything before the offset decodes; the sequence at the offset does not, whatever follows it.
          new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(input.slice(0, offset));
          expect(() => new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(input.slice(0, offset + 4))).toThrow();
        }
      }),
      { numRuns: 2000 },
    );
  });
});
