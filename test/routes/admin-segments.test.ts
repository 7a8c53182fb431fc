/**
 * @module POST /admin/sites/{site}/segments (NDJSON and CSV imports) and GET/DELETE of one customer:
 * an import is all or nothing, a row replaces the customer's segments, and KV never holds a raw
 * customer id or email.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { DecisionBody, ImportResult } from "../helpers";
import {
  admin,
  call,
  errorOf,
  importMemberships,
  membershipKvKey,
  newSite,
  postCsv,
  postNdjson,
  publishConfig,
  signCustomer,
  TEXT,
} from "../helpers";

interface CustomerBody {
  customer_id: string;
  segments: string[];
  expires_at?: string;
}

const customerPath = (site: string, customerId: string) => `/admin/sites/${site}/segments/${encodeURIComponent(customerId)}`;

async function segmentsOf(site: string, customerId: string): Promise<string[] | null> {
  const res = await admin(customerPath(site, customerId));
  if (res.status === 404) {
    expect((await errorOf(res)).code).toBe("NOT_FOUND");
    return null;
  }
  expect(res.status).toBe(200);
  return (await res.json<CustomerBody>()).segments;
}

/** Every membership key KV holds for `site`. */
async function membershipKeys(prefix: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await env.KV.list(cursor === undefined ? { prefix } : { prefix, cursor });
    names.push(...page.keys.map((k) => k.name));
    if (page.list_complete) return names;
    cursor = page.cursor;
  }
}

async function siteWithConfig(): Promise<string> {
  const site = newSite();
  await publishConfig(site);
  return site;
}

/** The decision the snippet would make for a signed-in customer. */
async function decisionFor(site: string, customerId: string): Promise<DecisionBody> {
  const res = await call(`/v1/decide/${site}?cid=${encodeURIComponent(customerId)}&sig=${await signCustomer(customerId)}&vid=visitor-0001`);
  expect(res.status).toBe(200);
  return res.json<DecisionBody>();
}

const inAnHour = () => new Date(Date.now() + 3_600_000).toISOString();

afterEach(() => {
  vi.useRealTimers();
});

describe("admin segments: happy path", () => {
  it("imports NDJSON and counts the rows written", async () => {
    const site = await siteWithConfig();
    const result = await importMemberships(site, [
      { customer_id: "1001", segments: ["vip"] },
      { customer_id: 1004, segments: ["high_returner", "bargain_hunter"] },
      { customer_id: "ana@example.com", segments: ["bargain_hunter"], expires_at: inAnHour() },
    ]);
    expect(result).toEqual({ written: 3, removed: 0, unchanged: 0 });
    expect(await segmentsOf(site, "1001")).toEqual(["vip"]);
    expect(await segmentsOf(site, "1004")).toEqual(["high_returner", "bargain_hunter"]);
    expect(await segmentsOf(site, "ana@example.com")).toEqual(["bargain_hunter"]);
  });

  it("accepts application/ndjson, CRLF line ends and blank lines", async () => {
    const site = await siteWithConfig();
    const body = '{"customer_id":"a1","segments":["vip"]}\r\n\r\n{"customer_id":"a2","segments":["vip"]}\r\n';
    const res = await admin(`/admin/sites/${site}/segments`, { method: "POST", headers: { "content-type": "application/ndjson" }, body });
    expect(res.status).toBe(200);
    expect(await res.json<ImportResult>()).toEqual({ written: 2, removed: 0, unchanged: 0 });
  });

  it("imports CSV with |-separated segments, quoted fields and an optional expires_at", async () => {
    const site = await siteWithConfig();
    const expiresAt = inAnHour();
    const csv = [
      "customer_id,segments,expires_at",
      "1001,vip|high_returner,",
      `"smith, jo",bargain_hunter,"${expiresAt}"`,
      '"o""brien@example.com"," vip | bargain_hunter ",',
    ].join("\n");
    const res = await postCsv(site, csv);
    expect(res.status).toBe(200);
    expect(await res.json<ImportResult>()).toEqual({ written: 3, removed: 0, unchanged: 0 });

    expect(await segmentsOf(site, "1001")).toEqual(["vip", "high_returner"]);
    const smith = await admin(customerPath(site, "smith, jo"));
    expect(await smith.json<CustomerBody>()).toEqual({ customer_id: "smith, jo", segments: ["bargain_hunter"], expires_at: expiresAt });
    expect(await segmentsOf(site, 'o"brien@example.com')).toEqual(["vip", "bargain_hunter"]);
  });

  it("reads CSV columns in any order, with a byte-order mark, CRLF and without expires_at", async () => {
    const site = await siteWithConfig();
    const res = await postCsv(site, "\uFEFFSegments,Customer_ID\r\nvip,2001\r\nhigh_returner|vip,2002\r\n");
    expect(res.status).toBe(200);
    expect(await res.json<ImportResult>()).toEqual({ written: 2, removed: 0, unchanged: 0 });
    expect(await segmentsOf(site, "2001")).toEqual(["vip"]);
    expect(await segmentsOf(site, "2002")).toEqual(["high_returner", "vip"]);
  });

  // The CSV reader of `segments compute` and the editor (RFC 4180): a file one accepts, the route accepts too.
  it("reads a CSV with CR-only line ends and a quoted field across line breaks", async () => {
    const site = await siteWithConfig();
    const res = await postCsv(site, 'customer_id,segments\r3001,vip\r"3002","vip|\rhigh_returner"\r\r3003,bargain_hunter\r');
    expect(res.status, await res.clone().text()).toBe(200);
    expect(await res.json<ImportResult>()).toEqual({ written: 3, removed: 0, unchanged: 0 });
    expect(await segmentsOf(site, "3001")).toEqual(["vip"]);
    expect(await segmentsOf(site, "3002")).toEqual(["vip", "high_returner"]);
    expect(await segmentsOf(site, "3003")).toEqual(["bargain_hunter"]);
  });

  it("replaces a customer's segments with those of the latest import, and the visitor sees the change", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [{ customer_id: "1001", segments: ["vip", "bargain_hunter"] }]);
    expect((await decisionFor(site, "1001")).placements.topbar?.campaign).toBe("vip-express");

    await importMemberships(site, [{ customer_id: "1001", segments: ["high_returner"] }]);
    expect(await segmentsOf(site, "1001")).toEqual(["high_returner"]);
    const decision = await decisionFor(site, "1001");
    expect(decision.placements.topbar).toBeNull();
    expect(decision.placements.returns?.message.text).toBe(TEXT.returnsInStore);
  });

  it("removes a customer listed with no segments, and counts the removal", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [{ customer_id: "1001", segments: ["vip"] }, { customer_id: "1002", segments: ["vip"] }]);
    const result = await importMemberships(site, [{ customer_id: "1001", segments: [] }]);
    expect(result).toEqual({ written: 1, removed: 1, unchanged: 0 });
    expect(await segmentsOf(site, "1001")).toBeNull();
    expect(await segmentsOf(site, "1002")).toEqual(["vip"]);
  });

  it("writes segments the config does not list yet, and says which", async () => {
    const site = await siteWithConfig();
    const result = await importMemberships(site, [
      { customer_id: "1", segments: ["vip", "lapsed"] },
      { customer_id: "2", segments: ["churn_risk", "lapsed"] },
    ]);
    expect(result).toEqual({ written: 2, removed: 0, unchanged: 0, unknownSegments: ["churn_risk", "lapsed"] });
    expect(await segmentsOf(site, "2")).toEqual(["churn_risk", "lapsed"]);
  });

  it("lets KV drop an expiring membership a minute after its expires_at, and keeps the others", async () => {
    const site = await siteWithConfig();
    const expiresAt = inAnHour();
    await importMemberships(site, [
      { customer_id: "1001", segments: ["vip"], expires_at: expiresAt },
      { customer_id: "1002", segments: ["vip"] },
    ]);
    const { keys } = await env.KV.list({ prefix: `m:${site}:` });
    const byKey = new Map(keys.map((k) => [k.name, k.expiration]));
    const expiring = byKey.get(await membershipKvKey(site, "1001"));
    expect(expiring).toBeGreaterThanOrEqual(Math.floor(Date.parse(expiresAt) / 1000) + 59);
    expect(expiring).toBeLessThanOrEqual(Math.ceil(Date.parse(expiresAt) / 1000) + 62);
    expect(byKey.has(await membershipKvKey(site, "1002"))).toBe(true);
    expect(byKey.get(await membershipKvKey(site, "1002"))).toBeUndefined();
  });

  it("counts members per segment from the imports, in the config's order, and follows removals and expiry", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [
      { customer_id: "a", segments: ["vip"] },
      { customer_id: "b", segments: ["vip", "high_returner"] },
      { customer_id: "c", segments: ["not_in_config"] },
      { customer_id: "d", segments: ["bargain_hunter"], expires_at: inAnHour() },
    ]);
    await importMemberships(site, [{ customer_id: "a", segments: [] }]);
    await admin(customerPath(site, "b"), { method: "DELETE" });
    await importMemberships(site, [{ customer_id: "e", segments: ["vip"] }]);
    const res = await admin(`/admin/sites/${site}/segments`);
    expect(res.status).toBe(200);
    const body = await res.json<{ segments: { segment: string; members: number; inConfig: boolean }[]; customers: number; lastImport: string }>();
    expect(body.segments).toEqual([
      { segment: "vip", members: 1, inConfig: true },
      { segment: "high_returner", members: 0, inConfig: true },
      { segment: "bargain_hunter", members: 1, inConfig: true },
      { segment: "not_in_config", members: 1, inConfig: false },
    ]);
    expect(body.customers).toBe(3);
    expect(body.lastImport).toMatch(/^\d{4}-/);
  });

  it("validates a whole file without writing anything on ?dry_run=1", async () => {
    const site = await siteWithConfig();
    const res = await postNdjson(site, '{"customer_id":"x1","segments":["vip"]}\n{"customer_id":"x2","segments":[]}', "?dry_run=1");
    expect(await res.json()).toEqual({ dryRun: true, rows: 2, removed: 1, unchanged: 0, existing: 0, members: 0 });
    expect(await segmentsOf(site, "x1")).toBeNull();
    const bad = await postNdjson(site, '{"customer_id":"x1","segments":["vip"]}\n{"customer_id":"","segments":["vip"]}', "?dry_run=1");
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).issues?.[0]).toMatchObject({ line: 2 });
  });

  it("says on ?dry_run=1 what the import would do to what the site holds, writing nothing (issue 11)", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, ["a", "b", "c"].map((id) => ({ customer_id: id, segments: ["vip"] })));
    const body = ['{"customer_id":"a","segments":["vip"]}', '{"customer_id":"b","segments":["gold"]}', '{"customer_id":"z","segments":[]}'].join("\n");
    const res = await postNdjson(site, body, "?dry_run=1");
    // a is as the site holds it; a and b are customers it holds; three members in all; gold is not in the config.
    expect(await res.json()).toEqual({ dryRun: true, rows: 3, removed: 1, unchanged: 1, existing: 2, members: 3, unknownSegments: ["gold"] });
    expect(await segmentsOf(site, "b")).toEqual(["vip"]);
  });

  it("answers one customer's segments and expiry, and deletes them", async () => {
    const site = await siteWithConfig();
    const expiresAt = inAnHour();
    await importMemberships(site, [{ customer_id: "1001", segments: ["vip"], expires_at: expiresAt }]);

    const got = await admin(customerPath(site, "1001"));
    expect(got.status).toBe(200);
    expect(await got.json<CustomerBody>()).toEqual({ customer_id: "1001", segments: ["vip"], expires_at: expiresAt });

    const deleted = await admin(customerPath(site, "1001"), { method: "DELETE" });
    expect(deleted.status).toBe(200);
    expect(await deleted.json()).toEqual({ deleted: true });
    expect(await segmentsOf(site, "1001")).toBeNull();
    expect((await decisionFor(site, "1001")).placements.topbar).toBeNull();

    const again = await admin(customerPath(site, "1001"), { method: "DELETE" });
    expect(await again.json()).toEqual({ deleted: false });
  });

  it("handles customer ids with slashes, spaces and URL characters, such as Shopify GIDs", async () => {
    const site = await siteWithConfig();
    const ids = ["gid://shopify/Customer/7301", "ana garcia", "100%", "a?b#c", "x+y", "é-1"];
    await importMemberships(site, ids.map((customer_id) => ({ customer_id, segments: ["vip"] })));
    for (const id of ids) {
      const res = await admin(customerPath(site, id));
      expect(res.status, id).toBe(200);
      expect(await res.json<CustomerBody>()).toEqual({ customer_id: id, segments: ["vip"] });
      expect((await decisionFor(site, id)).placements.topbar?.campaign, id).toBe("vip-express");
    }
    const deleted = await admin(customerPath(site, "gid://shopify/Customer/7301"), { method: "DELETE" });
    expect(await deleted.json()).toEqual({ deleted: true });
    expect(await segmentsOf(site, "gid://shopify/Customer/7301")).toBeNull();
  });

  it("accepts exactly 10,000 rows in one import", async () => {
    const site = await siteWithConfig();
    const rows = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ customer_id: `c${i}`, segments: ["vip"] }));
    const res = await postNdjson(site, rows.join("\n"));
    expect(res.status).toBe(200);
    expect(await res.json<ImportResult>()).toEqual({ written: 10_000, removed: 0, unchanged: 0 });
    expect(await segmentsOf(site, "c9999")).toEqual(["vip"]);
    expect((await membershipKeys(`m:${site}:`)).length).toBe(10_000);
  }, 60_000);
});

describe("admin segments: pushes (unchanged rows, --replace)", () => {
  const rows = (ids: string[], segment = "vip") => ids.map((id) => JSON.stringify({ customer_id: id, segments: [segment] })).join("\n");
  const sweep = (site: string, sync: string) => admin(`/admin/sites/${site}/segments/sweep?sync=${sync}`, { method: "POST" });

  it("does not write a row again that the site already holds, and says how many were unchanged", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [{ customer_id: "1", segments: ["vip"] }, { customer_id: "2", segments: ["vip"] }]);
    // Marks what is in KV, so a second write would show.
    const key = await membershipKvKey(site, "1");
    await env.KV.put(key, JSON.stringify({ segments: ["marked"] }));

    const again = await importMemberships(site, [{ customer_id: "1", segments: ["vip"] }, { customer_id: "2", segments: ["high_returner"] }]);
    expect(again).toEqual({ written: 2, removed: 0, unchanged: 1 });
    expect(await env.KV.get(key, "json")).toEqual({ segments: ["marked"] });
    expect(await segmentsOf(site, "2")).toEqual(["high_returner"]);
  });

  it("removes, at the end of a --replace push, exactly the members that push did not write", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [..."abcdef"].map((id) => ({ customer_id: id, segments: ["vip"] })));
    const sync = "push-0001-replace";
    expect((await postNdjson(site, rows(["a", "b"]), `?sync=${sync}`)).status).toBe(200);
    expect((await postNdjson(site, rows(["c", "z"], "high_returner"), `?sync=${sync}`)).status).toBe(200);

    const res = await sweep(site, sync);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ removed: 3, remaining: 0 });
    for (const id of ["d", "e", "f"]) expect(await segmentsOf(site, id)).toBeNull();
    expect(await segmentsOf(site, "a")).toEqual(["vip"]);
    expect(await segmentsOf(site, "c")).toEqual(["high_returner"]);
    expect(await segmentsOf(site, "z")).toEqual(["high_returner"]);
    const counts = await (await admin(`/admin/sites/${site}/segments`)).json<{ customers: number }>();
    expect(counts.customers).toBe(4);
    // Sweeping again finds nothing more.
    expect(await (await sweep(site, sync)).json()).toEqual({ removed: 0, remaining: 0 });
  });

  it("says on a sweep's ?dry_run=1 how many members it would remove, of how many, and removes nobody (issue 11)", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [..."abcdefg"].map((id) => ({ customer_id: id, segments: ["vip"] })));
    const sync = "push-0011-dry-run";
    expect((await postNdjson(site, rows(["a"]), `?sync=${sync}`)).status).toBe(200);
    const preview = await admin(`/admin/sites/${site}/segments/sweep?sync=${sync}&dry_run=1`, { method: "POST" });
    expect(await preview.json()).toEqual({ dryRun: true, wouldRemove: 6, members: 7 });
    expect(await segmentsOf(site, "g")).toEqual(["vip"]);
    // The push is not finished by a dry run: its sweep still removes them.
    expect(await (await sweep(site, sync)).json()).toEqual({ removed: 6, remaining: 0 });
    const never = await admin(`/admin/sites/${site}/segments/sweep?sync=never-pushed&dry_run=1`, { method: "POST" });
    expect(never.status).toBe(404);
  });

  it("keeps members another writer updated while the push ran", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [{ customer_id: "old", segments: ["vip"] }, { customer_id: "cdp", segments: ["vip"] }]);
    const sync = "push-0002-replace";
    expect((await postNdjson(site, rows(["a"]), `?sync=${sync}`)).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 5));
    // A per-customer update (from a CDP, say) lands after the push started.
    await importMemberships(site, [{ customer_id: "cdp", segments: ["high_returner"] }]);
    expect(await (await sweep(site, sync)).json()).toEqual({ removed: 1, remaining: 0 });
    expect(await segmentsOf(site, "old")).toBeNull();
    expect(await segmentsOf(site, "cdp")).toEqual(["high_returner"]);
  });

  it("removes in rounds of at most 10,000 and says how many remain", async () => {
    const site = await siteWithConfig();
    const ids = Array.from({ length: 10_000 }, (_, i) => `c${i}`);
    expect((await postNdjson(site, rows(ids))).status).toBe(200);
    expect((await postNdjson(site, rows(["c1", "extra"]), "?sync=push-0003-rounds")).status).toBe(200);
    expect(await (await sweep(site, "push-0003-rounds")).json()).toEqual({ removed: 9_999, remaining: 0 });
  }, 60_000);

  it("refuses an older --replace push once a newer one started, and a finished push's id", async () => {
    const site = await siteWithConfig();
    expect((await postNdjson(site, rows(["a"]), "?sync=push-old-0001")).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 5));
    expect((await postNdjson(site, rows(["b"]), "?sync=push-new-0002")).status).toBe(200);

    // Resuming the old push would write its stale rows over the newer push's, and sweep them.
    const stale = await postNdjson(site, rows(["c"]), "?sync=push-old-0001");
    expect(stale.status).toBe(409);
    expect((await errorOf(stale)).message).toMatch(/a newer push started after push-old-0001.*nothing of this batch was written/);
    expect(await segmentsOf(site, "c")).toBeNull();
    expect((await sweep(site, "push-old-0001")).status).toBe(409);
    expect(await segmentsOf(site, "a")).toEqual(["vip"]);

    expect(await (await sweep(site, "push-new-0002")).json()).toEqual({ removed: 1, remaining: 0 });
    const reused = await postNdjson(site, rows(["d"]), "?sync=push-new-0002");
    expect(reused.status).toBe(409);
    expect((await errorOf(reused)).message).toMatch(/finished already: a new push needs a new sync id/);
  });

  it("refuses a batch that starts before the line its push already reached (409 naming where it stands), and says where it stands", async () => {
    const site = await siteWithConfig();
    const post = (from: number, next: number, id: string) =>
      postNdjson(site, JSON.stringify({ customer_id: id, segments: ["vip"] }), `?sync=push-stands-0001&from=${from}&next=${next}`);
    expect((await post(1, 11, "a")).status).toBe(200);
    expect((await post(11, 21, "b")).status).toBe(200);
    // A stale checkpoint, or a second copy of the push, sending lines the push already passed.
    const stale = await post(1, 11, "a-again");
    expect(stale.status).toBe(409);
    expect(await errorOf(stale)).toEqual({
      code: "CONFLICT",
      message: "the push push-stands-0001 stands at line 21: this batch starts at line 1, which was acknowledged already; nothing of this batch was written",
      issues: [{ path: "from", message: "the push stands at line 21" }],
    });
    expect(await segmentsOf(site, "a-again")).toBeNull();
    const state = await admin(`/admin/sites/${site}/segments/pushes/push-stands-0001`);
    expect(await state.json()).toEqual({ sync: "push-stands-0001", startedAt: expect.stringMatching(/^\d{4}-/), finishedAt: null, nextLine: 21 });
    expect((await admin(`/admin/sites/${site}/segments/pushes/never-pushed-01`)).status).toBe(404);
    // A batch that failed midway is not acknowledged: it may be sent again (see segments-faults.test.ts).
    expect((await post(21, 31, "c")).status).toBe(200);
  });

  it("answers 400 naming from, next or sync when a push's position is malformed", async () => {
    const site = await siteWithConfig();
    const body = JSON.stringify({ customer_id: "1", segments: ["vip"] });
    for (const [query, path] of [
      ["?sync=push-pos-0001&from=0&next=5", "from"],
      ["?sync=push-pos-0001&from=1.5&next=5", "from"],
      ["?sync=push-pos-0001&from=5", "next"],
      ["?sync=push-pos-0001&from=5&next=5", "next"],
      ["?from=1&next=5", "sync"],
    ] as const) {
      const res = await postNdjson(site, body, query);
      expect(res.status, query).toBe(400);
      expect((await errorOf(res)).issues, query).toEqual([{ path, message: expect.any(String) }]);
    }
    expect(await segmentsOf(site, "1")).toBeNull();
  });

  it("answers 404 to a sweep for a push that never reached the site, and removes nobody", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [{ customer_id: "1", segments: ["vip"] }]);
    const res = await sweep(site, "never-pushed");
    expect(res.status).toBe(404);
    expect((await errorOf(res)).message).toMatch(/nobody removed/);
    expect(await segmentsOf(site, "1")).toEqual(["vip"]);
  });

  it("answers 400 naming sync when it is missing or malformed", async () => {
    const site = await siteWithConfig();
    for (const path of [`/admin/sites/${site}/segments/sweep`, `/admin/sites/${site}/segments/sweep?sync=a%20b`]) {
      const res = await admin(path, { method: "POST" });
      expect(res.status).toBe(400);
      expect((await errorOf(res)).issues).toEqual([{ path: "sync", message: expect.any(String) }]);
    }
    const res = await postNdjson(site, rows(["1"]), "?sync=x");
    expect(res.status).toBe(400);
    expect(await segmentsOf(site, "1")).toBeNull();
  });
});

describe("admin segments: errors", () => {
  it("rejects a batch with bad lines, naming each line and what is wrong, and writes nothing", async () => {
    const site = await siteWithConfig();
    const lines = [
      '{"customer_id":"good-1","segments":["vip"]}',
      '{"customer_id":"c2","segments":["vip"]',
      '["c3",["vip"]]',
      '{"segments":["vip"]}',
      '{"customer_id":"c5","segments":"vip"}',
      '{"customer_id":"c6","segments":["VIP!"]}',
      '{"customer_id":"c7","segments":["vip"],"expires_at":"2026-02-29T00:00:00Z"}',
      '{"customer_id":"c8","segments":["vip"],"expires_at":"next week"}',
      '{"customer_id":"good-1","segments":["high_returner"]}',
      "",
      '{"customer_id":"good-11","segments":["vip"]}',
    ];
    const res = await postNdjson(site, lines.join("\n"));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("INVALID_IMPORT");
    expect(error.message).toMatch(/^8 line\(s\) are invalid.*nothing was written/);
    expect(error.issues?.map((i) => [i.line, i.path])).toEqual([
      [2, undefined],
      [3, undefined],
      [4, "customer_id"],
      [5, "segments"],
      [6, "segments.0"],
      [7, "expires_at"],
      [8, "expires_at"],
      [9, "customer_id"],
    ]);
    expect(error.issues?.find((i) => i.line === 9)?.message).toMatch(/already on line 1/);
    expect(error.issues?.find((i) => i.line === 7)?.message).toMatch(/February 2026 has 28 days/);

    expect(await segmentsOf(site, "good-1")).toBeNull();
    expect(await segmentsOf(site, "good-11")).toBeNull();
    expect(await membershipKeys(`m:${site}:`)).toEqual([]);
  });

  it("rejects a CSV batch with bad lines and writes nothing", async () => {
    const site = await siteWithConfig();
    const csv = [
      "customer_id,segments,expires_at",
      "1001,vip,",
      "1002,vip",
      '"1003,vip,',
      "1004,vip|Bad Segment,",
      ",vip,",
      "1006,vip,31/12/2099",
    ].join("\n");
    const res = await postCsv(site, csv);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("INVALID_IMPORT");
    expect(error.issues?.map((i) => i.line)).toEqual([3, 4, 5, 6, 7]);
    expect(error.issues?.[0]?.message).toMatch(/expected 3 fields, found 2/);
    expect(error.issues?.[1]?.message).toMatch(/unbalanced quotes/);
    expect(await segmentsOf(site, "1001")).toBeNull();
  });

  it.each([
    ["no segments column", "customer_id,tags\n1001,vip\n", /customer_id and segments/],
    ["an unknown column", "customer_id,segments,email\n1001,vip,a@example.com\n", /unknown column\(s\): email/],
  ])("rejects a CSV header with %s on line 1", async (_name, csv, message) => {
    const site = await siteWithConfig();
    const res = await postCsv(site, csv);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("INVALID_IMPORT");
    expect(error.issues).toEqual([{ line: 1, message: expect.stringMatching(message) }]);
    expect(await segmentsOf(site, "1001")).toBeNull();
  });

  it("rejects a CSV whose quote never closes, naming the line it opens on (rows spanning lines by their first), and writes nothing", async () => {
    const site = await siteWithConfig();
    const csv = ["customer_id,segments", '4001,"vip|', 'Bad"', "4002,vip", '"4003,vip', "4004,vip"].join("\r\n");
    const res = await postCsv(site, csv);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("INVALID_IMPORT");
    expect(error.issues).toEqual([
      { line: 2, path: "segments.1", message: expect.stringMatching(/"Bad" is not a segment id/) },
      { line: 5, message: "unbalanced quotes" },
    ]);
    expect(await membershipKeys(`m:${site}:`)).toEqual([]);
  });

  it("lists at most 200 issues but counts every bad line", async () => {
    const site = await siteWithConfig();
    const res = await postNdjson(site, Array.from({ length: 300 }, () => "not json").join("\n"));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.message).toMatch(/^300 line\(s\)/);
    expect(error.issues?.length).toBe(200);
  });

  it("answers 400 INVALID_IMPORT to an import without rows", async () => {
    const site = await siteWithConfig();
    for (const res of [await postNdjson(site, "\n\n"), await postCsv(site, "customer_id,segments\n")]) {
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe("INVALID_IMPORT");
    }
  });

  it("answers 413 to more than 10,000 rows and writes nothing", async () => {
    const site = await siteWithConfig();
    const rows = Array.from({ length: 10_001 }, (_, i) => JSON.stringify({ customer_id: `c${i}`, segments: ["vip"] }));
    const res = await postNdjson(site, rows.join("\n"));
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("PAYLOAD_TOO_LARGE");
    expect(await segmentsOf(site, "c0")).toBeNull();

    const csv = await postCsv(site, ["customer_id,segments", ...Array.from({ length: 10_001 }, (_, i) => `c${i},vip`)].join("\n"));
    expect(csv.status).toBe(413);
  });

  it("answers 413 to a body over 5 MiB", async () => {
    const site = await siteWithConfig();
    const res = await postNdjson(site, `{"customer_id":"1","segments":["vip"],"pad":"${"x".repeat(5 * 1024 * 1024)}"}`);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("PAYLOAD_TOO_LARGE");
    expect(await segmentsOf(site, "1")).toBeNull();
  });

  it.each(["application/json", "text/plain", "multipart/form-data; boundary=x", null])(
    "answers 415 to the content type %s",
    async (contentType) => {
      const site = await siteWithConfig();
      const headers: Record<string, string> = contentType === null ? {} : { "content-type": contentType };
      const res = await admin(`/admin/sites/${site}/segments`, { method: "POST", headers, body: '{"customer_id":"1","segments":["vip"]}' });
      expect(res.status).toBe(415);
      expect((await errorOf(res)).code).toBe("UNSUPPORTED_MEDIA_TYPE");
      expect(await segmentsOf(site, "1")).toBeNull();
    },
  );

  it("answers 404 to an import for a site without a config, and writes nothing", async () => {
    const site = newSite();
    const res = await postNdjson(site, '{"customer_id":"1","segments":["vip"]}');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("NOT_FOUND");
    expect(await membershipKeys(`m:${site}:`)).toEqual([]);
  });

  it("answers 404 for a customer in no segment", async () => {
    const site = await siteWithConfig();
    const res = await admin(customerPath(site, "nobody"));
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("NOT_FOUND");
  });

  it("counts an expired membership as none", async () => {
    const site = await siteWithConfig();
    await env.KV.put(await membershipKvKey(site, "1001"), JSON.stringify({ segments: ["vip"], expiresAt: Date.now() - 1000 }));
    expect(await segmentsOf(site, "1001")).toBeNull();
    expect((await decisionFor(site, "1001")).placements.topbar).toBeNull();
  });

  it("stops counting an imported membership once its expires_at has passed", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [{ customer_id: "1001", segments: ["vip"], expires_at: inAnHour() }]);
    expect(await segmentsOf(site, "1001")).toEqual(["vip"]);

    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 2 * 3_600_000 });
    expect(await segmentsOf(site, "1001")).toBeNull();
    expect((await decisionFor(site, "1001")).placements.topbar).toBeNull();
  });

  it("rejects a customer id longer than 128 characters", async () => {
    const site = await siteWithConfig();
    const res = await postNdjson(site, JSON.stringify({ customer_id: "x".repeat(129), segments: ["vip"] }));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).issues).toEqual([{ line: 1, path: "customer_id", message: expect.any(String) }]);
  });

  it("answers 400 to an invalid site id on every segment route", async () => {
    for (const res of [
      await postNdjson("Bad_Site", '{"customer_id":"1","segments":["vip"]}'),
      await admin(customerPath("Bad_Site", "1")),
      await admin(customerPath("Bad_Site", "1"), { method: "DELETE" }),
    ]) {
      expect(res.status).toBe(400);
      expect((await errorOf(res)).code).toBe("BAD_REQUEST");
    }
  });
});

describe("admin segments: security", () => {
  it("keeps raw customer ids and emails out of every KV key and value", async () => {
    const site = await siteWithConfig();
    // Ids with letters outside a-f, so none can turn up by chance inside a hex digest.
    const customers = ["cust-7731", "ana.garcia@example.com", "csv-customer-42"];
    await importMemberships(site, [
      { customer_id: customers[0], segments: ["vip"] },
      { customer_id: customers[1], segments: ["high_returner"], expires_at: inAnHour() },
    ]);
    expect((await postCsv(site, `customer_id,segments\n${customers[2]},bargain_hunter\n`)).status).toBe(200);

    const keys = await membershipKeys(`m:${site}:`);
    expect(keys.sort()).toEqual((await Promise.all(customers.map((c) => membershipKvKey(site, c)))).sort());
    for (const key of keys) {
      expect(key).toMatch(new RegExp(`^m:${site}:[0-9a-f]{64}$`));
      const value = await env.KV.get(key);
      expect(value).not.toBeNull();
      for (const customer of customers) {
        expect(key).not.toContain(customer);
        expect(value).not.toContain(customer);
      }
      expect(value).not.toMatch(/@|ana|garcia|cust-/);
    }
    // Nowhere in the namespace, whatever the site.
    for (const key of await membershipKeys("m:")) for (const customer of customers) expect(key).not.toContain(customer);
  });

  it("keys the same customer differently in two sites, so sites cannot be linked or read across", async () => {
    const siteA = await siteWithConfig();
    const siteB = await siteWithConfig();
    await importMemberships(siteA, [{ customer_id: "1001", segments: ["vip"] }]);
    await importMemberships(siteB, [{ customer_id: "1001", segments: ["high_returner"] }]);

    const [keyA] = await membershipKeys(`m:${siteA}:`);
    const [keyB] = await membershipKeys(`m:${siteB}:`);
    expect(keyA?.split(":")[2]).toMatch(/^[0-9a-f]{64}$/);
    expect(keyA?.split(":")[2]).not.toBe(keyB?.split(":")[2]);

    expect(await segmentsOf(siteA, "1001")).toEqual(["vip"]);
    expect(await segmentsOf(siteB, "1001")).toEqual(["high_returner"]);
    await admin(customerPath(siteB, "1001"), { method: "DELETE" });
    expect(await segmentsOf(siteA, "1001")).toEqual(["vip"]);
  });

  it("writes nothing for an import without the admin token", async () => {
    const site = await siteWithConfig();
    const res = await call(`/admin/sites/${site}/segments`, {
      method: "POST",
      headers: { "content-type": "application/x-ndjson" },
      body: '{"customer_id":"1001","segments":["vip"]}',
    });
    expect(res.status).toBe(401);
    expect(await membershipKeys(`m:${site}:`)).toEqual([]);
  });

  it("rejects markup as a segment id instead of storing it", async () => {
    const site = await siteWithConfig();
    const res = await postNdjson(site, '{"customer_id":"1","segments":["<img src=x onerror=alert(1)>"]}');
    expect(res.status).toBe(400);
    expect((await errorOf(res)).issues?.map((i) => i.path)).toEqual(["segments.0"]);
    expect(await membershipKeys(`m:${site}:`)).toEqual([]);
  });
});
