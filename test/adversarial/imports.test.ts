/**
 * @module Adversarial suite, imports area (issue 9): one test per finding about membership imports, each
 * written to fail on the code the issue was filed against. Faults come from test/faults.ts (the real KV inside
 * the running SiteAdmin object, failing or landing-then-failing chosen calls); nothing stands in for storage.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { kvFaultsInObject } from "../faults";
import { admin, errorOf, importMemberships, membershipKvKey, newSite, postCsv, postNdjson, publishConfig } from "../helpers";

async function siteWithConfig(): Promise<string> {
  const site = newSite("adv-imp");
  await publishConfig(site);
  return site;
}

const stubOf = (site: string) => env.SITE_ADMIN.get(env.SITE_ADMIN.idFromName(site));
const ndjson = (rows: readonly Record<string, unknown>[]) => rows.map((row) => JSON.stringify(row)).join("\n");

async function kvMembership(site: string, customerId: string): Promise<unknown> {
  return env.KV.get(await membershipKvKey(site, customerId), "json");
}

async function countsOf(site: string): Promise<{ customers: number; members: Record<string, number> }> {
  const res = await admin(`/admin/sites/${site}/segments`);
  expect(res.status).toBe(200);
  const body = await res.json<{ customers: number; segments: { segment: string; members: number }[] }>();
  return { customers: body.customers, members: Object.fromEntries(body.segments.map((s) => [s.segment, s.members])) };
}

/** Every KV key and value under `m:{site}:`. */
async function siteKv(site: string): Promise<Record<string, string | null>> {
  const { keys } = await env.KV.list({ prefix: `m:${site}:` });
  return Object.fromEntries(await Promise.all(keys.map(async (k) => [k.name, await env.KV.get(k.name)] as const)));
}

describe("adversarial: imports", () => {
  it("an import that fails midway loses no membership: the answer says what landed, the object survives, and re-sending converges", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [
      { customer_id: "ana", segments: ["vip"] },
      { customer_id: "ben", segments: ["vip"] },
    ]);
    const keyOfAna = await membershipKvKey(site, "ana");
    // Ana's removal lands in KV, then KV reports a failure; Ben's change and Cleo's arrival land.
    const faults = await kvFaultsInObject(stubOf(site), (call) => (call.op === "delete" && call.key === keyOfAna ? "fail-after" : undefined));
    try {
      const res = await postNdjson(
        site,
        ndjson([
          { customer_id: "ana", segments: [] },
          { customer_id: "ben", segments: ["high_returner"] },
          { customer_id: "cleo", segments: ["vip"] },
        ]),
      );
      expect(res.status).toBe(503);
      const error = await errorOf(res);
      expect(error.code).toBe("UNAVAILABLE");
      // Exactly what landed: lines 2 and 3; line 1 is named as not confirmed.
      expect(error.message).toMatch(/2 of 3 row\(s\)/);
      expect(error.issues).toEqual([{ line: 1, message: expect.stringMatching(/not confirmed|failed/) }]);
      expect(await kvMembership(site, "ben")).toEqual({ segments: ["high_returner"] });
      expect(await kvMembership(site, "cleo")).toEqual({ segments: ["vip"] });

      // A KV failure must not reset the object: the faulty KV installed in it still sees the next import.
      const callsBefore = faults.kv.calls.length;
      expect((await postNdjson(site, ndjson([{ customer_id: "dan", segments: ["vip"] }]))).status).toBe(200);
      expect(faults.kv.calls.length).toBeGreaterThan(callsBefore);
    } finally {
      await faults.restore();
    }

    // The customer comes back in a later import: it must reach KV, not be counted unchanged.
    const again = await importMemberships(site, [{ customer_id: "ana", segments: ["vip"] }]);
    expect(again.unchanged).toBe(0);
    expect(await kvMembership(site, "ana")).toEqual({ segments: ["vip"] });
    expect(await countsOf(site)).toMatchObject({ customers: 4, members: { vip: 3, high_returner: 1 } });
  });

  it("expires_at of 30 February is refused as no such day, naming expires_at and the line, in NDJSON and CSV", async () => {
    const site = await siteWithConfig();
    const ndjsonRes = await postNdjson(
      site,
      ndjson([
        { customer_id: "1", segments: ["vip"], expires_at: "2099-12-31T23:59:59Z" },
        { customer_id: "2", segments: ["vip"], expires_at: "2099-02-30T00:00:00Z" },
      ]),
    );
    expect(ndjsonRes.status).toBe(400);
    expect((await errorOf(ndjsonRes)).issues).toEqual([{ line: 2, path: "expires_at", message: expect.stringMatching(/expires_at.*February 2099 has 28 days/) }]);

    const csvRes = await postCsv(site, "customer_id,segments,expires_at\n1,vip,2099-12-31T23:59:59Z\n2,vip,2099-04-31T10:00:00+02:00\n");
    expect(csvRes.status).toBe(400);
    expect((await errorOf(csvRes)).issues).toEqual([{ line: 3, path: "expires_at", message: expect.stringMatching(/expires_at.*April 2099 has 30 days/) }]);
    expect(await siteKv(site)).toEqual({});
  });

  it("a row whose expires_at has passed is a removal, not a reason to refuse its whole batch (NDJSON and CSV)", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [
      { customer_id: "old", segments: ["vip"] },
      { customer_id: "old-csv", segments: ["vip"] },
    ]);
    const res = await postNdjson(
      site,
      ndjson([
        { customer_id: "old", segments: ["vip"], expires_at: "2001-01-01T00:00:00Z" },
        { customer_id: "new", segments: ["vip"] },
      ]),
    );
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json()).toEqual({ written: 2, removed: 1, expired: 1, unchanged: 0 });
    expect(await kvMembership(site, "old")).toBeNull();
    expect(await kvMembership(site, "new")).toEqual({ segments: ["vip"] });

    const csv = await postCsv(site, "customer_id,segments,expires_at\nold-csv,vip,2001-01-01T00:00:00Z\n");
    expect(csv.status).toBe(200);
    expect(await csv.json()).toEqual({ written: 1, removed: 1, expired: 1, unchanged: 0 });
    expect(await kvMembership(site, "old-csv")).toBeNull();
    expect((await countsOf(site)).customers).toBe(1);
  });

  it("invalid UTF-8 is refused with where it is (import: line and byte; JSON body: byte), never silently replaced", async () => {
    const site = await siteWithConfig();
    const before = await siteKv(site);
    const encoder = new TextEncoder();
    // Line 2's customer id holds a lone 0xFF byte (offsets count from 0).
    const line1 = encoder.encode('{"customer_id":"ok-1","segments":["vip"]}\n');
    const line2Head = encoder.encode('{"customer_id":"bad');
    const body = new Uint8Array([...line1, ...line2Head, 0xff, ...encoder.encode('","segments":["vip"]}\n')]);
    const offset = line1.length + line2Head.length;
    const res = await admin(`/admin/sites/${site}/segments`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("INVALID_ENCODING");
    expect(error.message).toContain(`byte offset ${offset} `);
    expect(error.issues).toEqual([{ line: 2, message: expect.stringContaining(`byte ${line2Head.length + 1} of line 2`) }]);
    expect(await siteKv(site)).toEqual(before);

    // A JSON body (a config) with a broken character in a message text is refused too, not published mangled.
    const head = encoder.encode('{"segments":["vip"],"campaigns":[],"defaults":{"shipping":{"text":"Gratis Versand ');
    const broken = new Uint8Array([...head, 0xc3, 0x28, ...encoder.encode('"}}}')]);
    const put = await admin(`/admin/sites/${site}/config`, { method: "PUT", headers: { "content-type": "application/json" }, body: broken });
    expect(put.status).toBe(400);
    const putError = await errorOf(put);
    expect(putError.code).toBe("INVALID_ENCODING");
    expect(putError.message).toContain(`byte offset ${head.length} `);
  });
});
