/**
 * @module Issue 14, end to end in workerd: covariates imported with a membership reach the unit's exposure record
 * through the snippet route with no KV read of their own, the unit's segments at exposure are stored as keyed hashes
 * (marker cells for anonymous visitors and customers in no segment), a failed exposure write leaves nothing half
 * written, and the results route reports CUPED and the per-segment table named through the live config.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ExperimentResults } from "../../src/core/experiment-results";
import { ANONYMOUS_CELL, NO_SEGMENT_CELL } from "../../src/core/exposure-unit";
import { experimentShard, segmentCellKey, shardOf, unitKey } from "../../src/storage/experiments";
import { admin, call, importMemberships, kvReads, newSite, newVisitorId, publishConfig, visitorQuery } from "../helpers";
import { faultyNamespace, fetchWithEnv } from "../faults";

const CONFIG = {
  segments: ["vip", "bargain_hunter"],
  campaigns: [
    {
      id: "ab",
      placement: "topbar",
      variants: [
        { id: "a", weight: 50, message: { text: "A" } },
        { id: "b", weight: 50, message: { text: "B" } },
      ],
    },
  ],
};

async function siteWithMembers(): Promise<string> {
  const site = newSite("cuped");
  await publishConfig(site, CONFIG);
  await importMemberships(site, [
    { customer_id: "c-vip", segments: ["vip"], covariates: { net_revenue_365d: 412.5 } },
    { customer_id: "c-both", segments: ["vip", "bargain_hunter"], covariates: { net_revenue_365d: 80 } },
    { customer_id: "c-plain", segments: ["bargain_hunter"] },
  ]);
  return site;
}

/** The stored exposure of a unit: its covariate and its segment cells, once written. */
async function storedUnit(site: string, customerId: string | null, visitorId: string) {
  const unit = await unitKey(env.SIGNING_SECRET, { customerId, visitorId });
  const stub = experimentShard(env, site, "ab", shardOf(unit));
  return runInDurableObject(stub, (_o, state) => {
    const row = state.storage.sql
      .exec<{ covariate: number; cells: string | null }>("SELECT covariate, s.cells AS cells FROM units AS u LEFT JOIN segment_sets AS s ON s.id = u.segment_set WHERE unit = ?", unit)
      .toArray()[0];
    return row ? { covariate: row.covariate, segments: row.cells === null ? [] : (JSON.parse(row.cells) as string[]) } : null;
  });
}

describe("covariates and segments at exposure", () => {
  it("a signed-in VIP's exposure holds the imported covariate and the hashed segments, with the one KV read of the membership", async () => {
    const site = await siteWithMembers();
    const vid = newVisitorId();
    // The config is cached in this isolate after a first request; then a signed-in customer costs one read, as before.
    expect(kvReads(await call(`/v1/s/${site}.js?vid=${newVisitorId()}`))).toBe(1);
    const res = await call(`/v1/s/${site}.js?${await visitorQuery({ cid: "c-both", vid })}`);
    expect(res.status).toBe(200);
    // The membership's one read: the covariate and segments came with it.
    expect(kvReads(res)).toBe(1);
    const vip = await segmentCellKey(env.SIGNING_SECRET, site, "vip");
    const bargain = await segmentCellKey(env.SIGNING_SECRET, site, "bargain_hunter");
    await expect.poll(() => storedUnit(site, "c-both", vid)).toEqual({ covariate: 80, segments: [vip, bargain].sort() });
    expect(vip).toMatch(/^[0-9a-f]{16}$/);
    expect(vip).not.toBe(await segmentCellKey(env.SIGNING_SECRET, newSite(), "vip"));
  });

  it("an anonymous visitor enters the anonymous cell with covariate 0; a customer without covariates 0 in their segment; one in no segment the no-segment cell", async () => {
    const site = await siteWithMembers();
    const anonymous = newVisitorId();
    const plain = newVisitorId();
    const stranger = newVisitorId();
    await call(`/v1/s/${site}.js?vid=${anonymous}`);
    await call(`/v1/s/${site}.js?${await visitorQuery({ cid: "c-plain", vid: plain })}`);
    await call(`/v1/s/${site}.js?${await visitorQuery({ cid: "c-stranger", vid: stranger })}`);
    await expect.poll(() => storedUnit(site, null, anonymous)).toEqual({ covariate: 0, segments: [ANONYMOUS_CELL] });
    await expect.poll(() => storedUnit(site, "c-plain", plain)).toEqual({ covariate: 0, segments: [await segmentCellKey(env.SIGNING_SECRET, site, "bargain_hunter")] });
    await expect.poll(() => storedUnit(site, "c-stranger", stranger)).toEqual({ covariate: 0, segments: [NO_SEGMENT_CELL] });
  });

  it.each(["fail", "fail-after"] as const)("when the exposure write does %s, nothing is half written and the next page view writes unit, covariate and segments", async (fault) => {
    const site = await siteWithMembers();
    const vid = newVisitorId();
    const query = await visitorQuery({ cid: "c-vip", vid });
    const failing = faultyNamespace(env.EXPERIMENTS, (c) => (c.method === "expose" ? fault : undefined));
    expect((await fetchWithEnv({ EXPERIMENTS: failing }, `/v1/s/${site}.js?${query}`)).status).toBe(200);
    const vip = await segmentCellKey(env.SIGNING_SECRET, site, "vip");
    // "fail": the shard never saw it; "fail-after": the shard wrote all of it. Never the unit without its segments.
    expect(await storedUnit(site, "c-vip", vid)).toEqual(fault === "fail" ? null : { covariate: 412.5, segments: [vip] });
    expect((await fetchWithEnv({ EXPERIMENTS: faultyNamespace(env.EXPERIMENTS, () => undefined) }, `/v1/s/${site}.js?${query}`)).status).toBe(200);
    expect(await storedUnit(site, "c-vip", vid)).toEqual({ covariate: 412.5, segments: [vip] });
  });
});

describe("results with CUPED and the per-segment table", () => {
  it("report the adjusted figures beside the raw ones and a table of cells named by the live config, Holm-corrected", async () => {
    const site = await siteWithMembers();
    // Real exposures through the snippet route, so the cells exist as the Worker writes them...
    await call(`/v1/s/${site}.js?${await visitorQuery({ cid: "c-vip", vid: newVisitorId() })}`);
    await call(`/v1/s/${site}.js?vid=${newVisitorId()}`);
    // ...then 4,000 units straight into one shard, as the bench seeds them: VIPs with a history that predicts revenue.
    const vip = await segmentCellKey(env.SIGNING_SECRET, site, "vip");
    const stub = experimentShard(env, site, "ab", 0);
    const at = Date.now() - 3_600_000;
    const records = Array.from({ length: 4000 }, (_, i) => {
      const isVip = i % 4 === 0;
      return { unit: `seed-${i}`, variant: Math.floor(i / 4) % 2 ? "b" : "a", at, covariate: isVip ? 100 + (i % 97) * 5 : 0, segments: [isVip ? vip : ANONYMOUS_CELL] };
    });
    await stub.expose(records);
    for (const r of records.filter((_, i) => i % 5 === 0)) {
      // Revenue that follows the covariate: CUPED has something to take out.
      await stub.record({ kind: "purchase", unit: r.unit, at: at + 1000, windowMs: 72 * 3_600_000, orderId: `o-${r.unit}`, value: 20 + (r.covariate ?? 0) * 0.5, currency: "EUR", capped: false });
    }
    const res = await admin(`/admin/sites/${site}/experiments/ab/results`);
    expect(res.status).toBe(200);
    const results = await res.json<ExperimentResults>();

    const revenue = results.metrics.revenuePerVisitor.EUR;
    const b = revenue?.variants.find((v) => v.variant === "b");
    // A fifth of the units buy, for 20 plus half their history: the history explains about a tenth of the variance.
    expect(b?.cuped?.vsControl?.varianceReduction).toBeGreaterThan(0.05);
    expect(b?.cuped?.interval).toHaveLength(2);
    expect(revenue?.variants.find((v) => v.variant === "a")?.cuped?.vsControl).toBeNull();

    expect(results.segments?.correction).toBe("holm");
    const cells = results.segments?.cells ?? [];
    expect(cells.map((c) => [c.kind, c.segment])).toEqual([
      ["segment", "vip"],
      ["anonymous", null],
    ]);
    expect(cells.map((c) => c.units)).toEqual([1001, 3001]);
    const vipPurchase = cells[0]?.metrics.purchase.variants.find((v) => v.variant === "b")?.vsControl;
    expect(vipPurchase && "corrected" in vipPurchase ? vipPurchase.corrected?.method : null).toBe("holm");
  });

  it("say not_enough_data per cell below the minimums", async () => {
    const site = await siteWithMembers();
    await call(`/v1/s/${site}.js?${await visitorQuery({ cid: "c-vip", vid: newVisitorId() })}`);
    await expect
      .poll(async () => (await (await admin(`/admin/sites/${site}/experiments/ab/results`)).json<ExperimentResults>()).segments?.cells.map((c) => c.segment))
      .toEqual(["vip"]);
    const results = await (await admin(`/admin/sites/${site}/experiments/ab/results`)).json<ExperimentResults>();
    const verdicts = results.segments?.cells[0]?.metrics.purchase.variants.map((v) => v.vsControl?.verdict ?? null);
    expect(verdicts).toEqual([null, "not_enough_data"]);
  });
});
