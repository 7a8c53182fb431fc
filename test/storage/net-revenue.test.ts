/**
 * @module Net revenue per visitor and refund rate, from raw orders and refunds through the real shards (their SQL
 * nets each order's refunds) to the results, checked against NumPy and SciPy working on the same raw data
 * (test/core/net-revenue-reference.json, written by test/core/make-net-revenue-reference.py): the per-unit netting,
 * the means and intervals, Welch's p-value and the sequential test's always-valid p-value. And the direction of the
 * refund rate: lower is better.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { Campaign } from "../../src/core/config-schema";
import type { ExperimentCounts, MetricResult } from "../../src/core/experiment-results";
import { experimentResults } from "../../src/core/experiment-results";
import type { QueuedShardEvent, ShardEvent } from "../../src/storage/experiment-shard";
import { EXPERIMENT_SHARDS } from "../../src/storage/experiment-shard";
import { experimentAggregates, experimentShard, shardOf } from "../../src/storage/experiments";
import reference from "../core/net-revenue-reference.json";

const HOUR = 3_600_000;

const campaign = (id: string, expectedUnitsPerVariant = reference.expectedUnitsPerVariant) =>
  ({
    id,
    placement: "returns",
    experiment: { expectedUnitsPerVariant },
    variants: [
      { id: "control", weight: 1, control: true },
      { id: "free-returns", weight: 1, message: { text: "Free returns" } },
    ],
  }) as unknown as Campaign;

/** Writes the reference's units, orders and refunds into the experiment's real shards, as the queue consumer does. */
async function feed(site: string, experiment: string): Promise<void> {
  const t0 = Date.now() - HOUR;
  const perShard = new Map<number, QueuedShardEvent[]>();
  const add = (shard: number, event: ShardEvent) => {
    const list = perShard.get(shard) ?? [];
    list.push({ id: crypto.randomUUID(), event });
    perShard.set(shard, list);
  };
  const refunds: ShardEvent[] = [];
  for (const u of reference.units) {
    await experimentShard(env, site, experiment, shardOf(u.unit)).expose([{ unit: u.unit, variant: u.variant, at: t0 }]);
    for (const o of u.orders) {
      add(shardOf(u.unit), { kind: "purchase", unit: u.unit, at: t0 + 1000, windowMs: 72 * HOUR, orderId: o.id, value: o.value, currency: o.currency, capped: false });
    }
    for (const r of u.refunds) refunds.push({ kind: "refund", orderId: r.order, refundId: r.id, value: r.value, currency: r.currency, at: t0 + 2000 });
  }
  // Half the refunds reach the shards before their purchases, half after: the same sums either way.
  const half = Math.floor(refunds.length / 2);
  const send = async (events: readonly ShardEvent[]) => {
    for (let shard = 0; shard < EXPERIMENT_SHARDS; shard++) {
      await experimentShard(env, site, experiment, shard).recordQueued(events.map((event) => ({ id: crypto.randomUUID(), event })));
    }
  };
  await send(refunds.slice(0, half));
  for (const [shard, events] of perShard) await experimentShard(env, site, experiment, shard).recordQueued(events);
  await send(refunds.slice(half));
}

function expectMatches(metric: MetricResult | undefined, expected: typeof reference.refundRate): void {
  for (const [variant, v] of Object.entries(expected.variants)) {
    const got = metric?.variants.find((x) => x.variant === variant);
    expect(got?.value).toBeCloseTo(v.value, 9);
    expect(got?.conversions).toBe(v.conversions);
    const [low, high] = v.interval;
    expect(got?.interval?.[0]).toBeCloseTo(low ?? NaN, 6);
    expect(got?.interval?.[1]).toBeCloseTo(high ?? NaN, 6);
  }
  const vs = metric?.variants.find((x) => x.variant === "free-returns")?.vsControl;
  if (!vs || !("absolute" in vs)) throw new Error("expected a comparison");
  expect(vs.absolute.estimate).toBeCloseTo(expected.absolute, 9);
  expect(vs.pValue).toBeCloseTo(expected.pValue, 6);
  expect(vs.sequential.pValue).toBeCloseTo(expected.sequentialPValue, 6);
}

describe("net revenue per visitor and refund rate against NumPy/SciPy on the same raw data", () => {
  it("the shards' netting and the results match the reference", async () => {
    const site = `net-${crypto.randomUUID().slice(0, 8)}`;
    await feed(site, "returns");
    const r = experimentResults(campaign("returns"), await experimentAggregates(env, site, "returns"));
    expectMatches(r.metrics.netRevenuePerVisitor.EUR, reference.netRevenuePerVisitor);
    expectMatches(r.metrics.refundRate, reference.refundRate);
    expect(r.metrics.refundRate.lowerIsBetter).toBe(true);
    // No order was in USD: a refund in USD makes no currency of its own.
    expect(Object.keys(r.metrics.netRevenuePerVisitor)).toEqual(["EUR"]);
  });
});

describe("refund rate: lower is better", () => {
  const counts = (refundedControl: number, refundedTreatment: number): ExperimentCounts => ({
    variants: [
      { variant: "control", units: 5000, clicked: 0, addedToCart: 0, purchased: 1000, refunded: refundedControl, firstExposure: 0, lastExposure: 1 },
      { variant: "free-returns", units: 5000, clicked: 0, addedToCart: 0, purchased: 1000, refunded: refundedTreatment, firstExposure: 0, lastExposure: 1 },
    ],
    revenue: [],
    multipleVariantUnits: 0,
  });
  const vsControl = (c: number, t: number) => {
    const vs = experimentResults(campaign("returns", 5000), counts(c, t)).metrics.refundRate.variants.find((v) => v.variant === "free-returns")?.vsControl;
    if (!vs || !("chanceToBeatControl" in vs)) throw new Error("expected a comparison");
    return vs;
  };

  it("a significantly lower refund rate is better, a higher one worse; the chance to beat control is the chance of a lower rate", () => {
    const lower = vsControl(600, 400);
    expect(lower.verdict).toBe("better");
    // 400 of 1,000 buyers refunded against 600 of 1,000.
    expect(lower.absolute.estimate).toBeCloseTo(-0.2, 12);
    expect(lower.chanceToBeatControl).toBeGreaterThan(0.99);
    const higher = vsControl(400, 600);
    expect(higher.verdict).toBe("worse");
    expect(higher.chanceToBeatControl).toBeLessThan(0.01);
    expect(vsControl(500, 505).verdict).toBe("inconclusive");
  });

  it("counts made before refunds (no refunded, no netRevenue, no keptOut) give zeros, not an error", () => {
    const { refunded: _c, ...control } = counts(0, 0).variants[0] ?? { refunded: 0 };
    const r = experimentResults(campaign("returns"), { variants: [control as ExperimentCounts["variants"][number]], revenue: [], multipleVariantUnits: 0 });
    expect(r.metrics.refundRate.variants.find((v) => v.variant === "control")?.conversions).toBe(0);
    expect(r.metrics.netRevenuePerVisitor).toEqual({});
    expect(r.keptOut).toEqual({ requests: 0, events: 0 });
  });
});
