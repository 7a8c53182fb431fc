/**
 * @module Guardrails that act, end to end in workerd: a config whose experiment has a guardrail is published through
 * the admin API; units are exposed and purchases counted in the real experiment shards (their RPCs, as the snippet
 * route and the events queue call them); SiteAdmin's alarm (`runDurableObjectAlarm`) checks the results and, when a
 * variant is significantly worse, publishes a version authored by the guardrail with the variant stopped. The
 * snippet route then shows that variant's visitors the baseline, uncounted, and the others keep theirs. Faults come
 * from test/faults.ts around the real bindings.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { pickVariant } from "../../src/core/bucket";
import type { ConfigInput } from "../../src/core/config-schema";
import type { GuardrailMetric } from "../../src/core/shared";
import type { AuditEntry } from "../../src/storage/site-admin";
import { EXPERIMENT_SHARDS } from "../../src/storage/experiment-shard";
import { experimentAggregates, experimentShard, shardOf, unitKey } from "../../src/storage/experiments";
import { GUARDRAIL_CHECK_MS } from "../../src/storage/guardrail-check";
import { forgetLiveConfig } from "../../src/storage/live-config";
import type { RpcPlan } from "../faults";
import { faultyNamespace, kvFaultsInObject } from "../faults";
import type { VersionSummary } from "../helpers";
import { admin, call, kvReads, newSite, publishConfig, snippetPayload } from "../helpers";

const CAMPAIGN = "bar";
const DEFAULT_TEXT = "Free shipping over €50";

/** A three-way experiment on the top bar: the control (the placement's default), "b" and "c". */
function experimentConfig(guardrails?: GuardrailMetric[]): ConfigInput {
  return {
    campaigns: [
      {
        id: CAMPAIGN,
        placement: "topbar",
        experiment: { expectedUnitsPerVariant: 200, ...(guardrails ? { guardrails } : {}) },
        variants: [
          { id: "control", weight: 1, control: true },
          { id: "b", weight: 1, message: { text: "Message B" } },
          { id: "c", weight: 1, message: { text: "Message C" } },
        ],
      },
    ],
    defaults: { topbar: { text: DEFAULT_TEXT } },
  };
}

const VARIANTS = [
  { id: "control", weight: 1 },
  { id: "b", weight: 1 },
  { id: "c", weight: 1 },
];

/** Fresh visitor ids, `perVariant` of each variant, as the decision buckets them. */
function visitorsByVariant(perVariant: number): Record<string, string[]> {
  const by: Record<string, string[]> = { control: [], b: [], c: [] };
  for (let i = 0; Object.values(by).some((ids) => ids.length < perVariant); i++) {
    const vid = `visitor-${crypto.randomUUID().replace(/-/g, "")}`;
    const variant = pickVariant(CAMPAIGN, vid, VARIANTS)?.id ?? "";
    const ids = by[variant];
    if (ids && ids.length < perVariant) ids.push(vid);
  }
  return by;
}

/**
 * Exposes every visitor in its variant and counts a purchase (EUR 40) for the first `buyers[variant]` of them, in
 * the shards the Worker writes (same unit keys, same shards). Answers each variant's order ids.
 */
async function countTraffic(site: string, visitors: Record<string, string[]>, buyers: Record<string, number>): Promise<Record<string, string[]>> {
  const at = Date.now() - 60_000;
  const exposures = Array.from({ length: EXPERIMENT_SHARDS }, () => [] as { unit: string; variant: string; at: number }[]);
  const purchases: { shard: number; unit: string; variant: string }[] = [];
  for (const [variant, ids] of Object.entries(visitors)) {
    for (const [i, vid] of ids.entries()) {
      const unit = await unitKey(env.SIGNING_SECRET, { customerId: null, visitorId: vid });
      exposures[shardOf(unit)]?.push({ unit, variant, at });
      if (i < (buyers[variant] ?? 0)) purchases.push({ shard: shardOf(unit), unit, variant });
    }
  }
  await Promise.all(exposures.map((records, shard) => (records.length ? experimentShard(env, site, CAMPAIGN, shard).expose(records) : 0)));
  const orders: Record<string, string[]> = {};
  for (const [n, { shard, unit, variant }] of purchases.entries()) {
    const orderId = `order-${crypto.randomUUID()}-${n}`;
    (orders[variant] ??= []).push(orderId);
    const outcome = await experimentShard(env, site, CAMPAIGN, shard).record({
      kind: "purchase",
      unit,
      at: at + 1_000,
      windowMs: 72 * 3_600_000,
      orderId,
      value: 40,
      currency: "EUR",
      capped: false,
    });
    expect(outcome).toBe("counted");
  }
  return orders;
}

/** Refunds these orders in full, as the refunds route's queue consumer does: in every shard of the experiment. */
async function refundOrders(site: string, orderIds: readonly string[]): Promise<void> {
  for (let shard = 0; shard < EXPERIMENT_SHARDS; shard++) {
    const stub = experimentShard(env, site, CAMPAIGN, shard);
    for (const orderId of orderIds) {
      expect(await stub.record({ kind: "refund", orderId, refundId: "", value: 40, currency: "EUR", at: Date.now() })).toBe("counted");
    }
  }
}

function stubOf(site: string) {
  return env.SITE_ADMIN.get(env.SITE_ADMIN.idFromName(site));
}

/** The guardrail's schedule in the object (null when none), and the object's alarm. */
async function scheduleOf(site: string): Promise<{ due: number | null; alarm: number | null }> {
  return runInDurableObject(stubOf(site), async (_instance, state) => {
    const row = state.storage.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'guardrail'").toArray()[0];
    return { due: row ? (JSON.parse(row.value) as { due: number }).due : null, alarm: await state.storage.getAlarm() };
  });
}

/** GUARDRAIL_CHECK_MS pass: the scheduled check is due now. */
async function checkIsDue(site: string): Promise<void> {
  await runInDurableObject(stubOf(site), (_instance, state) => {
    state.storage.sql.exec("UPDATE meta SET value = json_set(value, '$.due', 0) WHERE key = 'guardrail'");
  });
}

/** Runs the object's alarm with the check due (the alarm is set whenever a check is scheduled). */
async function runCheck(site: string): Promise<void> {
  await checkIsDue(site);
  expect(await runDurableObjectAlarm(stubOf(site))).toBe(true);
}

interface LiveAnswer {
  version: number;
  config: { campaigns: { variants: { id: string; stopped?: Record<string, unknown> }[] }[] };
}

async function liveOf(site: string): Promise<LiveAnswer> {
  const res = await admin(`/admin/sites/${site}/config`);
  expect(res.status).toBe(200);
  return { version: Number(res.headers.get("x-valuebar-version")), config: await res.json() };
}

async function historyOf(site: string): Promise<VersionSummary[]> {
  const res = await admin(`/admin/sites/${site}/config/versions`);
  return (await res.json<{ versions: VersionSummary[] }>()).versions;
}

async function auditOf(site: string): Promise<AuditEntry[]> {
  return (await (await admin(`/admin/sites/${site}/audit`)).json<{ entries: AuditEntry[] }>()).entries;
}

/** What the snippet route shows a visitor on the top bar, and the KV reads it made (the config read afresh). */
async function snippetFor(site: string, vid: string): Promise<{ variant: string | null; text: string | undefined; reads: number | null; exposures: number }> {
  const res = await call(`/v1/s/${site}.js?vid=${vid}`);
  expect(res.status).toBe(200);
  const payload = snippetPayload(await res.text());
  const topbar = payload?.decision.placements.topbar;
  return { variant: topbar?.variant ?? null, text: topbar?.message.text, reads: kvReads(res), exposures: payload?.decision.exposures.length ?? -1 };
}

async function unitsIn(site: string): Promise<Record<string, number>> {
  const { variants } = await experimentAggregates(env, site, CAMPAIGN);
  return Object.fromEntries(variants.map((v) => [v.variant, v.units]));
}

const stoppedOf = (live: LiveAnswer, variant: string) => live.config.campaigns[0]?.variants.find((v) => v.id === variant)?.stopped;

describe("guardrails that act", () => {
  it("switches off a variant significantly worse on purchase conversion: a version by the guardrail, in the audit log; its visitors get the baseline, uncounted", async () => {
    const site = newSite("guard");
    await publishConfig(site, experimentConfig(["purchase"]));
    const visitors = visitorsByVariant(250);
    // Control and c convert at 30%, b at 3%.
    await countTraffic(site, visitors, { control: 75, b: 8, c: 75 });

    // The hot path before: once this isolate's copy of the config has expired, one KV read for the config, then
    // none for an anonymous visitor; a b visitor sees b and is counted.
    const probe = visitorsByVariant(1).b?.[0] ?? "";
    forgetLiveConfig(site);
    const coldBefore = (await snippetFor(site, visitors.c?.[0] ?? "")).reads;
    expect(coldBefore).toBe(1);
    expect(await snippetFor(site, probe)).toMatchObject({ variant: "b", text: "Message B", exposures: 1, reads: 0 });
    await expect.poll(async () => (await unitsIn(site)).b).toBe(251);

    await runCheck(site);

    const live = await liveOf(site);
    expect(live.version).toBe(2);
    expect(stoppedOf(live, "b")).toMatchObject({ by: "guardrail", metric: "purchase", pValue: expect.any(Number), interval: [expect.any(Number), expect.any(Number)] });
    expect(stoppedOf(live, "b")?.pValue).toBeLessThan(0.05);
    expect(stoppedOf(live, "c")).toBeUndefined();
    const [latest] = await historyOf(site);
    expect(latest).toMatchObject({ version: 2, author: "guardrail", live: true });
    expect(latest?.note).toMatch(/^Guardrail: "b" of "bar" switched off, purchase conversion worse than "control" \(p [=<] [\d.e-]+, difference -?[\d.e-]+ to -?[\d.e-]+\)$/);
    expect(latest?.changes).toContain('campaign "bar": variant "b" switched off by the guardrail');
    const [entry] = await auditOf(site);
    expect(entry).toMatchObject({ actor: "guardrail (system)", action: "guardrail.stop" });
    expect(entry?.summary).toMatch(/^version 2 is live: Guardrail: "b" of "bar" switched off/);
    // KV, what the hot path reads, has the new version.
    expect((await env.KV.get<{ version: number }>(`config:${site}`, "json"))?.version).toBe(2);

    // The isolate's copy of the live config expires (CONFIG_TTL_MS): the stores read the new version.
    forgetLiveConfig(site);
    const unitsBefore = await unitsIn(site);
    const after = await snippetFor(site, probe);
    expect(after).toMatchObject({ variant: "control", text: DEFAULT_TEXT, exposures: 0 });
    expect(after.reads).toBe(coldBefore);
    // The other variants' visitors keep theirs, and are still counted.
    const freshC = visitorsByVariant(1).c?.[0] ?? "";
    expect(await snippetFor(site, freshC)).toMatchObject({ variant: "c", text: "Message C", reads: 0, exposures: 1 });
    expect(await snippetFor(site, visitors.control?.[0] ?? "")).toMatchObject({ variant: "control", text: DEFAULT_TEXT, reads: 0, exposures: 1 });
    await expect.poll(async () => (await unitsIn(site)).c).toBe((unitsBefore.c ?? 0) + 1);
    // The b visitor was counted nowhere: not in the control, and b's figures are frozen.
    expect(await unitsIn(site)).toEqual({ ...unitsBefore, c: (unitsBefore.c ?? 0) + 1 });

    // The results say b was switched off, and the split is checked among the variants still running.
    const results = await (await admin(`/admin/sites/${site}/experiments/${CAMPAIGN}/results`)).json<{ warnings: string[]; sampleRatio: { expectedShares: Record<string, number>; mismatch: boolean } }>();
    expect(results.warnings.join(" ")).toMatch(/variant "b" was switched off on \d{4}-\d\d-\d\d/);
    expect(results.sampleRatio.expectedShares).toEqual({ control: 0.5, b: 0, c: 0.5 });
    expect(results.sampleRatio.mismatch).toBe(false);

    // Once acted, the next check finds nothing more to do.
    await runCheck(site);
    expect((await liveOf(site)).version).toBe(2);
  });

  it("does nothing while the test is inconclusive, and keeps checking", async () => {
    const site = newSite("guard");
    await publishConfig(site, experimentConfig(["purchase", "revenuePerVisitor"]));
    await countTraffic(site, visitorsByVariant(250), { control: 50, b: 46, c: 52 });
    const scheduled = await scheduleOf(site);
    expect(scheduled.due).not.toBeNull();
    const results = await (await admin(`/admin/sites/${site}/experiments/${CAMPAIGN}/results`)).json<{ metrics: { purchase: { variants: { variant: string; vsControl: { verdict: string } | null }[] } } }>();
    expect(results.metrics.purchase.variants.map((v) => v.vsControl?.verdict ?? null)).toEqual([null, "inconclusive", "inconclusive"]);
    await runCheck(site);
    expect((await liveOf(site)).version).toBe(1);
    expect((await auditOf(site)).some((e) => e.action === "guardrail.stop")).toBe(false);
    // The next check is scheduled GUARDRAIL_CHECK_MS on, with the alarm asked for it.
    const next = await scheduleOf(site);
    expect(next.due).toBeGreaterThan(Date.now() + GUARDRAIL_CHECK_MS - 60_000);
    expect(next.alarm).not.toBeNull();
    expect(next.alarm ?? Infinity).toBeLessThanOrEqual(next.due ?? 0);
  });

  it("schedules no check for an experiment without guardrails, and never acts on one", async () => {
    const site = newSite("guard");
    await publishConfig(site, experimentConfig());
    expect((await scheduleOf(site)).due).toBeNull();
    await countTraffic(site, visitorsByVariant(250), { control: 75, b: 8, c: 75 });
    expect(await runDurableObjectAlarm(stubOf(site))).toBe(true);
    expect((await liveOf(site)).version).toBe(1);
    // Nothing asked for the alarm again: no check is pending.
    expect(await scheduleOf(site)).toEqual({ due: null, alarm: null });

    // Adding guardrails schedules the check; removing them again drops it.
    await publishConfig(site, experimentConfig(["revenuePerVisitor"]));
    expect((await scheduleOf(site)).due).not.toBeNull();
    await publishConfig(site, experimentConfig());
    expect((await scheduleOf(site)).due).toBeNull();
  });

  it("stops a variant worse on revenue per visitor, naming the currency", async () => {
    const site = newSite("guard");
    await publishConfig(site, experimentConfig(["revenuePerVisitor"]));
    // Same buyers everywhere except b, whose buyers are few: revenue per visitor far lower in b.
    await countTraffic(site, visitorsByVariant(250), { control: 80, b: 10, c: 80 });
    await runCheck(site);
    const live = await liveOf(site);
    expect(stoppedOf(live, "b")).toMatchObject({ by: "guardrail", metric: "revenuePerVisitor", currency: "EUR" });
    expect((await historyOf(site))[0]?.note).toMatch(/revenue per visitor \(EUR\) worse/);
  });

  it("stops a variant whose refund rate is significantly higher, though it sells as much (the refunds of the refunds API)", async () => {
    const site = newSite("guard");
    await publishConfig(site, experimentConfig(["refundRate"]));
    // Refund rate is among buyers: at least 100 of them in each variant for a verdict.
    const orders = await countTraffic(site, visitorsByVariant(250), { control: 120, b: 120, c: 120 });
    await refundOrders(site, [...(orders.control ?? []).slice(0, 8), ...(orders.b ?? []).slice(0, 60), ...(orders.c ?? []).slice(0, 8)]);
    await runCheck(site);
    const live = await liveOf(site);
    expect(stoppedOf(live, "b")).toMatchObject({ by: "guardrail", metric: "refundRate" });
    expect(stoppedOf(live, "c")).toBeUndefined();
    expect((await historyOf(site))[0]?.note).toMatch(/refund rate worse/);
  });

  it("stops a variant whose net revenue per visitor is significantly lower, though its gross revenue is the same", async () => {
    const site = newSite("guard");
    await publishConfig(site, experimentConfig(["netRevenuePerVisitor"]));
    const orders = await countTraffic(site, visitorsByVariant(250), { control: 80, b: 80, c: 80 });
    await refundOrders(site, (orders.b ?? []).slice(0, 70));
    await runCheck(site);
    const live = await liveOf(site);
    expect(stoppedOf(live, "b")).toMatchObject({ by: "guardrail", metric: "netRevenuePerVisitor", currency: "EUR" });
    expect(stoppedOf(live, "c")).toBeUndefined();
  });

  it("leaves a variant the marketer switched back on running while it stays worse on the same metric", async () => {
    const site = newSite("guard");
    await publishConfig(site, experimentConfig(["purchase"]));
    await countTraffic(site, visitorsByVariant(250), { control: 75, b: 8, c: 75 });
    await runCheck(site);
    expect(stoppedOf(await liveOf(site), "b")).toBeDefined();

    // The marketer switches b back on (a new version without `stopped`).
    const switchedOn = await publishConfig(site, experimentConfig(["purchase"]), "b back on");
    expect(switchedOn.version).toBe(3);
    expect(switchedOn.changes).toContain('campaign "bar": variant "b" switched back on');
    await runCheck(site);
    const live = await liveOf(site);
    expect(live.version).toBe(3);
    expect(stoppedOf(live, "b")).toBeUndefined();
    expect((await auditOf(site)).filter((e) => e.action === "guardrail.stop")).toHaveLength(1);
  });

  it("after a switch back on, acts again once the verdict was no longer worse and then is worse again", async () => {
    const site = newSite("guard");
    await publishConfig(site, experimentConfig(["purchase"]));
    await countTraffic(site, visitorsByVariant(250), { control: 75, b: 8, c: 75 });
    await runCheck(site);
    await publishConfig(site, experimentConfig(["purchase"]), "b back on");
    // b's new visitors convert far better: the verdict is no longer "worse" (the guardrail forgets its stop) ...
    await countTraffic(site, { b: visitorsByVariant(200).b ?? [] }, { b: 200 });
    await runCheck(site);
    expect((await liveOf(site)).version).toBe(3);
    // ... and then a bad run makes it worse again: the guardrail stops it again.
    await countTraffic(site, { b: visitorsByVariant(2_000).b ?? [] }, { b: 0 });
    await runCheck(site);
    const live = await liveOf(site);
    expect(live.version).toBe(4);
    expect(stoppedOf(live, "b")).toMatchObject({ by: "guardrail", metric: "purchase" });
  });

  it("a shard failing during the check changes nothing, and the next alarm checks again", async () => {
    const site = newSite("guard");
    await publishConfig(site, experimentConfig(["purchase"]));
    await countTraffic(site, visitorsByVariant(250), { control: 75, b: 8, c: 75 });
    const plan: RpcPlan = (c) => (c.method === "aggregates" && c.name.endsWith("\n7") ? "fail" : undefined);
    const restore = await experimentsInObject(stubOf(site), faultyNamespace(env.EXPERIMENTS, plan));
    try {
      await runCheck(site);
      expect((await liveOf(site)).version).toBe(1);
      // The check is due again soon (GUARDRAIL_RETRY_MS), not a whole interval later.
      const { due, alarm } = await scheduleOf(site);
      expect(due).toBeLessThan(Date.now() + GUARDRAIL_CHECK_MS / 2);
      expect(alarm).not.toBeNull();
    } finally {
      await restore();
    }
    await runCheck(site);
    expect(stoppedOf(await liveOf(site), "b")).toMatchObject({ by: "guardrail" });
  });

  it("the KV write of the guardrail's version failing: published in the object, the storefront write owed and retried by the alarm", async () => {
    const site = newSite("guard");
    await publishConfig(site, experimentConfig(["purchase"]));
    await countTraffic(site, visitorsByVariant(250), { control: 75, b: 8, c: 75 });
    const { restore } = await kvFaultsInObject(stubOf(site), (c) => (c.op === "put" && c.key === `config:${site}` ? "fail" : undefined));
    try {
      await runCheck(site);
      const res = await admin(`/admin/sites/${site}/config`);
      expect(res.headers.get("x-valuebar-version")).toBe("2");
      expect(res.headers.get("x-valuebar-storefront")).toBe("pending");
      expect((await env.KV.get<{ version: number }>(`config:${site}`, "json"))?.version).toBe(1);
    } finally {
      await restore();
    }
    expect(await runDurableObjectAlarm(stubOf(site))).toBe(true);
    expect((await env.KV.get<{ version: number }>(`config:${site}`, "json"))?.version).toBe(2);
    expect((await admin(`/admin/sites/${site}/config`)).headers.get("x-valuebar-storefront")).toBeNull();
  });

  it("checks the live version: a marketer's publish since the last check is what the guardrail's version builds on", async () => {
    const site = newSite("guard");
    await publishConfig(site, experimentConfig(["purchase"]));
    await countTraffic(site, visitorsByVariant(250), { control: 75, b: 8, c: 75 });
    const edited = experimentConfig(["purchase"]);
    (edited.defaults as { topbar: { text: string } }).topbar.text = "Edited by the marketer";
    await publishConfig(site, edited, "new default");
    await runCheck(site);
    const res = await admin(`/admin/sites/${site}/config`);
    expect(res.headers.get("x-valuebar-version")).toBe("3");
    const config = await res.json<{ defaults: { topbar: { text: string } }; campaigns: { variants: { id: string; stopped?: object }[] }[] }>();
    expect(config.defaults.topbar.text).toBe("Edited by the marketer");
    expect(config.campaigns[0]?.variants.find((v) => v.id === "b")?.stopped).toBeDefined();
  });
});

/** Puts `namespace` (a faulty EXPERIMENTS) in the running object's env, as kvFaultsInObject does for KV; the restore puts the real one back. */
async function experimentsInObject(stub: DurableObjectStub<Rpc.DurableObjectBranded>, namespace: Cloudflare.Env["EXPERIMENTS"]): Promise<() => Promise<void>> {
  const swap = (value: Cloudflare.Env["EXPERIMENTS"]) =>
    runInDurableObject(stub, (instance: unknown) => {
      const object = instance as { env: Cloudflare.Env };
      object.env = { ...object.env, EXPERIMENTS: value };
    });
  await swap(namespace);
  return async () => {
    try {
      await swap(env.EXPERIMENTS);
    } catch {
      // A reset object starts with the real bindings anyway.
    }
  };
}
