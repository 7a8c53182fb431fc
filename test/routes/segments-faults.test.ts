/**
 * @module Imports, sweeps and removals under storage faults (test/faults.ts: the real KV inside the running
 * SiteAdmin object, or a Durable Object namespace whose calls fail). For each fault the answer says exactly what
 * landed, KV (read directly) and the index (the counts route) agree after a re-send or the repair alarm, and no
 * row is counted unchanged that KV does not hold.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Fault, KvPlan } from "../faults";
import { faultyNamespace, fetchWithEnv, kvFaultsInObject } from "../faults";
import type { ImportResult } from "../helpers";
import { admin, errorOf, importMemberships, membershipKvKey, newSite, postNdjson, publishConfig } from "../helpers";

interface Counts {
  customers: number;
  pending: number;
  members: Record<string, number>;
}

async function siteWithConfig(): Promise<string> {
  const site = newSite("faults");
  await publishConfig(site);
  return site;
}

const stubOf = (site: string) => env.SITE_ADMIN.get(env.SITE_ADMIN.idFromName(site));
const ndjson = (rows: readonly Record<string, unknown>[]) => rows.map((row) => JSON.stringify(row)).join("\n");
const auth = { authorization: `Bearer ${env.ADMIN_TOKEN}` };

async function countsOf(site: string): Promise<Counts> {
  const res = await admin(`/admin/sites/${site}/segments`);
  expect(res.status).toBe(200);
  const body = await res.json<{ customers: number; pending: number; segments: { segment: string; members: number }[] }>();
  return { customers: body.customers, pending: body.pending, members: Object.fromEntries(body.segments.filter((s) => s.members > 0).map((s) => [s.segment, s.members])) };
}

async function kvOf(site: string, customerId: string): Promise<unknown> {
  return env.KV.get(await membershipKvKey(site, customerId), "json");
}

/** KV holds exactly `expected` for these customers (null: no key). */
async function expectKv(site: string, expected: Record<string, readonly string[] | null>): Promise<void> {
  for (const [customer, segments] of Object.entries(expected)) {
    expect(await kvOf(site, customer), customer).toEqual(segments === null ? null : { segments });
  }
}

/** A plan faulting the KV write (put or delete) of one key, once. */
function onceOn(key: string, fault: Fault): KvPlan {
  let done = false;
  return (call) => {
    if (done || call.key !== key || (call.op !== "put" && call.op !== "delete")) return undefined;
    done = true;
    return fault;
  };
}

// Before: ana and ben vip, cal high_returner. The import: ana removed (line 1), ben moved (line 2), dia added (line 3), cal unchanged (line 4).
const BEFORE = [
  { customer_id: "ana", segments: ["vip"] },
  { customer_id: "ben", segments: ["vip"] },
  { customer_id: "cal", segments: ["high_returner"] },
];
const IMPORT = ndjson([
  { customer_id: "ana", segments: [] },
  { customer_id: "ben", segments: ["bargain_hunter"] },
  { customer_id: "dia", segments: ["vip"] },
  { customer_id: "cal", segments: ["high_returner"] },
]);
const AFTER = { ana: null, ben: ["bargain_hunter"], dia: ["vip"], cal: ["high_returner"] };
const AFTER_COUNTS = { customers: 3, pending: 0, members: { vip: 1, high_returner: 1, bargain_hunter: 1 } };

describe("imports under KV faults inside the site's object", () => {
  it.each([
    ["fails", "ben", "fail", { ben: ["vip"] }],
    ["lands, then reports a failure", "ben", "fail-after", { ben: ["bargain_hunter"] }],
    ["fails on a removal", "ana", "fail", { ana: ["vip"] }],
    ["lands a removal, then reports a failure", "ana", "fail-after", { ana: null }],
  ] as const)("a write that %s (%s): 503 naming that line alone, the rest in place; a re-send converges", async (_name, customer, fault, kvAfterFault) => {
    const site = await siteWithConfig();
    await importMemberships(site, BEFORE);
    const faults = await kvFaultsInObject(stubOf(site), onceOn(await membershipKvKey(site, customer), fault));
    try {
      const res = await postNdjson(site, IMPORT);
      expect(res.status).toBe(503);
      const error = await errorOf(res);
      expect(error.code).toBe("UNAVAILABLE");
      const line = customer === "ana" ? 1 : 2;
      expect(error.issues).toEqual([{ line, message: "not confirmed: the KV write failed" }]);
      expect(error.message).toMatch(/^storage failed: 3 of 4 row\(s\) are in place \(2 written, 1 unchanged\); KV did not confirm 1 row\(s\) and 0 were not attempted/);
      expect(error.message).toMatch(/Send the same import again/);
      // Exactly that: every other row is in KV, the faulted one as the fault left it.
      await expectKv(site, { ...AFTER, ...kvAfterFault });
      // The index says where KV may differ, and the audit log how far the import got.
      expect((await countsOf(site)).pending).toBe(1);
      const { entries } = await (await admin(`/admin/sites/${site}/audit`)).json<{ entries: { action: string; summary: string }[] }>();
      expect(entries[0]).toMatchObject({ action: "segments.import", summary: "import stopped (KV failed): 3 of 4 row(s) in place, the rest not confirmed" });
    } finally {
      await faults.restore();
    }

    const again = await postNdjson(site, IMPORT);
    expect(again.status).toBe(200);
    // The faulted row is written again (never "unchanged"); the rows in place are not.
    // Removals always go to KV; ben's row, when it is the faulted one, is pending, so it is written again.
    expect(await again.json<ImportResult>()).toEqual({ written: 4, removed: 1, unchanged: customer === "ana" ? 3 : 2 });
    await expectKv(site, AFTER);
    expect(await countsOf(site)).toEqual(AFTER_COUNTS);
  });

  it("a slow KV write lands: the import answers 200 and KV and the index agree", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, BEFORE);
    const faults = await kvFaultsInObject(stubOf(site), (call) => (call.op === "put" || call.op === "delete" ? { delayMs: 50 } : undefined));
    try {
      const res = await postNdjson(site, IMPORT);
      expect(res.status).toBe(200);
      expect(await res.json<ImportResult>()).toEqual({ written: 4, removed: 1, unchanged: 1 });
      expect(faults.kv.calls.filter((c) => c.fault !== undefined)).toHaveLength(3);
    } finally {
      await faults.restore();
    }
    await expectKv(site, AFTER);
    expect(await countsOf(site)).toEqual(AFTER_COUNTS);
  });

  it("with every KV write failing, nothing is counted in place, and the object's alarm converges KV once KV is back", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, BEFORE);
    const faults = await kvFaultsInObject(stubOf(site), (call) => (call.op === "put" || call.op === "delete" ? "fail" : undefined));
    try {
      const res = await postNdjson(site, IMPORT);
      expect(res.status).toBe(503);
      const error = await errorOf(res);
      expect(error.message).toMatch(/^storage failed: 1 of 4 row\(s\) are in place \(0 written, 1 unchanged\); KV did not confirm 3 row\(s\)/);
      expect(error.issues?.map((i) => i.line)).toEqual([1, 2, 3]);
      await expectKv(site, Object.fromEntries(BEFORE.map((r) => [r.customer_id, r.segments])));
      // The counts show what the import asked for, and that three rows are not confirmed in KV.
      expect(await countsOf(site)).toEqual({ ...AFTER_COUNTS, pending: 3 });
      // The alarm while KV still fails: nothing lands, nothing is lost.
      expect(await runDurableObjectAlarm(stubOf(site))).toBe(true);
      expect((await countsOf(site)).pending).toBe(3);
    } finally {
      await faults.restore();
    }
    // No re-send: the repair alarm (scheduled before the KV writes) writes the pending rows.
    expect(await runDurableObjectAlarm(stubOf(site))).toBe(true);
    await expectKv(site, AFTER);
    expect(await countsOf(site)).toEqual(AFTER_COUNTS);
  });

  it("the object dying between its KV writes and its index update leaves the rows pending, and a re-send writes them", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [{ customer_id: "ana", segments: ["vip"] }]);
    let state: DurableObjectState | null = null;
    await runInDurableObject(stubOf(site), (_instance: unknown, s: DurableObjectState) => {
      state = s;
    });
    const keyOfAna = await membershipKvKey(site, "ana");
    let died = false;
    // Ana's removal lands in KV (sent from the object, so behind its output gate like its own writes), then the
    // object is reset before it settles anything: the wrapped call never returns.
    const faults = await kvFaultsInObject(stubOf(site), (call) => {
      if (call.op !== "delete" || call.key !== keyOfAna || died) return undefined;
      died = true;
      void env.KV.delete(call.key).then(() => (state as DurableObjectState | null)?.abort("test: the object dies midway"));
      return "hang";
    });
    try {
      const res = await postNdjson(site, ndjson([{ customer_id: "ana", segments: [] }]));
      expect(res.status).toBe(503);
    } finally {
      await faults.restore();
    }
    expect(died).toBe(true);
    await expectKv(site, { ana: null });
    // Had the removal been forgotten, importing ana as she was would be "unchanged" and KV would stay empty.
    const again = await importMemberships(site, [{ customer_id: "ana", segments: ["vip"] }]);
    expect(again.unchanged).toBe(0);
    await expectKv(site, { ana: ["vip"] });
    expect(await countsOf(site)).toEqual({ customers: 1, pending: 0, members: { vip: 1 } });
  });
});

describe("imports when the site's object call fails", () => {
  const rows = (n: number, from = 0) => ndjson(Array.from({ length: n }, (_, i) => ({ customer_id: `c${from + i}`, segments: ["vip"] })));
  const post = (namespace: DurableObjectNamespace<never>, site: string, body: string) =>
    fetchWithEnv({ SITE_ADMIN: namespace as never }, `/admin/sites/${site}/segments`, { method: "POST", headers: { ...auth, "content-type": "application/x-ndjson" }, body });

  it.each(["fail", "fail-after"] as const)("the object call for a chunk that %ss: 503 saying which lines are unconfirmed and which not attempted; a re-send converges", async (fault) => {
    const site = await siteWithConfig();
    // 1,200 rows are three chunks of at most 500; the second chunk's call fails.
    const namespace = faultyNamespace(env.SITE_ADMIN, (call) => (call.method === "writeMemberships" && call.n === 2 ? fault : undefined));
    const res = await post(namespace as never, site, rows(1200));
    expect(res.status).toBe(503);
    const error = await errorOf(res);
    expect(error.code).toBe("UNAVAILABLE");
    expect(error.message).toMatch(/^storage failed: 500 of 1,200 row\(s\) are in place \(500 written, 0 unchanged\); the site's storage did not answer for 500 row\(s\), which may or may not be written and 200 were not attempted \(listed as issues, the first 200\)/);
    expect(error.issues?.length).toBe(200);
    expect(error.issues?.[0]).toEqual({ line: 501, message: "not confirmed: the site's storage did not answer" });
    expect(namespace.calls.filter((c) => c.method === "writeMemberships")).toHaveLength(2);
    // Exactly: chunk 1 is in KV; chunk 2 is in KV only if the object ran it; chunk 3 is not.
    await expectKv(site, { c0: ["vip"], c499: ["vip"], c500: fault === "fail" ? null : ["vip"], c1199: null });

    const again = await postNdjson(site, rows(1200));
    expect(again.status).toBe(200);
    expect(await again.json<ImportResult>()).toEqual({ written: 1200, removed: 0, unchanged: fault === "fail" ? 500 : 1000 });
    await expectKv(site, { c0: ["vip"], c500: ["vip"], c1199: ["vip"] });
    expect(await countsOf(site)).toEqual({ customers: 1200, pending: 0, members: { vip: 1200 } });
  }, 60_000);

  it.each(["fail", "fail-after"] as const)("an object call that %ss before anything is written answers 503, not 500, and writes nothing", async (fault) => {
    const site = await siteWithConfig();
    const namespace = faultyNamespace(env.SITE_ADMIN, (call) => (call.method === "live" ? fault : undefined));
    const res = await post(namespace as never, site, rows(3));
    expect(res.status).toBe(503);
    expect(await errorOf(res)).toEqual({ code: "UNAVAILABLE", message: "the site's storage did not answer: nothing was written; try again" });
    await expectKv(site, { c0: null });
  });

  it.each(["fail", "fail-after"] as const)("the counts route answers 503 when the object call %ss", async (fault) => {
    const site = await siteWithConfig();
    const namespace = faultyNamespace(env.SITE_ADMIN, (call) => (call.method === "segmentCounts" ? fault : undefined));
    const res = await fetchWithEnv({ SITE_ADMIN: namespace as never }, `/admin/sites/${site}/segments`, { headers: auth });
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe("UNAVAILABLE");
  });
});

describe("--replace sweeps and single removals under faults", () => {
  const sweep = (site: string, sync: string) => admin(`/admin/sites/${site}/segments/sweep?sync=${sync}`, { method: "POST" });
  const remove = (site: string, customer: string) => admin(`/admin/sites/${site}/segments/${customer}`, { method: "DELETE" });

  it.each(["fail", "fail-after"] as const)("a sweep whose KV delete %ss answers 503 with what was removed; calling it again converges", async (fault) => {
    const site = await siteWithConfig();
    await importMemberships(site, [..."abcd"].map((id) => ({ customer_id: id, segments: ["vip"] })));
    const sync = `sweep-fault-${fault}`;
    expect((await postNdjson(site, ndjson([{ customer_id: "a", segments: ["vip"] }]), `?sync=${sync}`)).status).toBe(200);
    const faults = await kvFaultsInObject(stubOf(site), onceOn(await membershipKvKey(site, "c"), fault));
    try {
      const res = await sweep(site, sync);
      expect(res.status).toBe(503);
      expect((await errorOf(res)).message).toMatch(/^KV did not confirm 1 removal\(s\): 2 member\(s\) removed, 1 to go \(those included\); call the sweep again/);
      await expectKv(site, { a: ["vip"], b: null, c: fault === "fail" ? ["vip"] : null, d: null });
      expect(await countsOf(site)).toEqual({ customers: 1, pending: 1, members: { vip: 1 } });
      // The removals that landed are in the audit log, written with them.
      const { entries } = await (await admin(`/admin/sites/${site}/audit`)).json<{ entries: { action: string; summary: string }[] }>();
      expect(entries[0]).toMatchObject({ action: "segments.replace", summary: `removed 2 customer(s) not in the pushed file (push ${sync})` });
    } finally {
      await faults.restore();
    }
    const again = await sweep(site, sync);
    expect(await again.json()).toEqual({ removed: 1, remaining: 0 });
    await expectKv(site, { a: ["vip"], b: null, c: null, d: null });
    expect(await countsOf(site)).toEqual({ customers: 1, pending: 0, members: { vip: 1 } });
  });

  it("a sweep whose object call fails answers 503, and calling again finishes it", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [{ customer_id: "a", segments: ["vip"] }, { customer_id: "b", segments: ["vip"] }]);
    expect((await postNdjson(site, ndjson([{ customer_id: "a", segments: ["vip"] }]), "?sync=sweep-object-0001")).status).toBe(200);
    const namespace = faultyNamespace(env.SITE_ADMIN, (call) => (call.method === "sweep" ? "fail" : undefined));
    const res = await fetchWithEnv({ SITE_ADMIN: namespace as never }, `/admin/sites/${site}/segments/sweep?sync=sweep-object-0001`, { method: "POST", headers: auth });
    expect(res.status).toBe(503);
    expect((await errorOf(res)).message).toMatch(/0 member\(s\) removed so far; call the sweep again/);
    expect(await (await sweep(site, "sweep-object-0001")).json()).toEqual({ removed: 1, remaining: 0 });
    await expectKv(site, { a: ["vip"], b: null });
  });

  it.each(["fail", "fail-after"] as const)("a DELETE whose KV delete %ss answers 503; the removal stays marked, and the same DELETE or the alarm completes it", async (fault) => {
    const site = await siteWithConfig();
    await importMemberships(site, [{ customer_id: "ana", segments: ["vip"] }, { customer_id: "ben", segments: ["vip"] }]);
    const faults = await kvFaultsInObject(stubOf(site), onceOn(await membershipKvKey(site, "ana"), fault));
    try {
      const res = await remove(site, "ana");
      expect(res.status).toBe(503);
      expect((await errorOf(res)).message).toMatch(/KV did not confirm the removal/);
      // The index no longer counts her, and says a KV write is pending.
      expect(await countsOf(site)).toEqual({ customers: 1, pending: 1, members: { vip: 1 } });
    } finally {
      await faults.restore();
    }
    // Importing her as she was is not "unchanged": it reaches KV.
    const back = await importMemberships(site, [{ customer_id: "ana", segments: ["vip"] }]);
    expect(back.unchanged).toBe(0);
    await expectKv(site, { ana: ["vip"] });
    // And a failed DELETE left alone is completed by the alarm.
    const faults2 = await kvFaultsInObject(stubOf(site), onceOn(await membershipKvKey(site, "ben"), fault));
    try {
      expect((await remove(site, "ben")).status).toBe(503);
    } finally {
      await faults2.restore();
    }
    expect(await runDurableObjectAlarm(stubOf(site))).toBe(true);
    await expectKv(site, { ana: ["vip"], ben: null });
    expect(await countsOf(site)).toEqual({ customers: 1, pending: 0, members: { vip: 1 } });
  });

  it("a DELETE whose object call fails answers 503, not 500", async () => {
    const site = await siteWithConfig();
    await importMemberships(site, [{ customer_id: "ana", segments: ["vip"] }]);
    const namespace = faultyNamespace(env.SITE_ADMIN, (call) => (call.method === "removeMember" ? "fail" : undefined));
    const res = await fetchWithEnv({ SITE_ADMIN: namespace as never }, `/admin/sites/${site}/segments/ana`, { method: "DELETE", headers: auth });
    expect(res.status).toBe(503);
    expect((await errorOf(res)).message).toMatch(/send the DELETE again/);
    expect((await remove(site, "ana")).status).toBe(200);
    await expectKv(site, { ana: null });
  });
});
