/**
 * @module Experiment counts added up: shards into an experiment, segment sets into segment cells. Sums per variant,
 * per variant and currency (revenue, and revenue after refunds), CUPED's covariate sums, the bots kept out, and per
 * segment cell alike. Pure.
 */
import type { CovariateSums, ExperimentCounts, KeptOutCounts, RevenueCounts, VariantCounts } from "./experiment-results";

/**
 * Counts added up: per variant, per variant and currency (revenue, and revenue after refunds), CUPED's covariate sums,
 * the bots kept out, and per segment cell alike.
 */
export function addUpCounts(shards: readonly ExperimentCounts[]): ExperimentCounts {
  const variants = new Map<string, VariantCounts>();
  const revenue = new Map<string, RevenueCounts>();
  const netRevenue = new Map<string, RevenueCounts>();
  let multipleVariantUnits = 0;
  let keptOut: KeptOutCounts | undefined;
  for (const shard of shards) {
    multipleVariantUnits += shard.multipleVariantUnits;
    if (shard.keptOut) keptOut = { requests: (keptOut?.requests ?? 0) + shard.keptOut.requests, events: (keptOut?.events ?? 0) + shard.keptOut.events };
    for (const v of shard.variants) {
      const sum = variants.get(v.variant);
      variants.set(
        v.variant,
        sum
          ? {
              variant: v.variant,
              units: sum.units + v.units,
              clicked: sum.clicked + v.clicked,
              addedToCart: sum.addedToCart + v.addedToCart,
              purchased: sum.purchased + v.purchased,
              ...(sum.refunded !== undefined || v.refunded !== undefined ? { refunded: (sum.refunded ?? 0) + (v.refunded ?? 0) } : {}),
              firstExposure: Math.min(sum.firstExposure, v.firstExposure),
              lastExposure: Math.max(sum.lastExposure, v.lastExposure),
            }
          : { ...v },
      );
    }
    addRevenue(revenue, shard.revenue);
    addRevenue(netRevenue, shard.netRevenue ?? []);
  }
  const sum: ExperimentCounts = { variants: [...variants.values()], revenue: [...revenue.values()], multipleVariantUnits };
  const anyNet = shards.some((s) => s.netRevenue !== undefined);
  const covariates = addUpCovariates(sum, shards);
  return {
    ...sum,
    ...covariates,
    ...(anyNet ? { netRevenue: addUpProducts([...netRevenue.values()], shards.map((s) => s.netRevenue ?? [])) } : {}),
    ...(keptOut ? { keptOut } : {}),
    ...addUpSegments(shards),
  };
}

/** Adds one part's per-variant, per-currency sums into `sums` (CUPED's products apart: addUpProducts). */
function addRevenue(sums: Map<string, RevenueCounts>, rows: readonly RevenueCounts[]): void {
  for (const r of rows) {
    const key = `${r.variant}\n${r.currency}`;
    const sum = sums.get(key);
    sums.set(
      key,
      sum ? { ...sum, buyers: sum.buyers + r.buyers, sum: sum.sum + r.sum, sumSquares: sum.sumSquares + r.sumSquares, cappedOrders: sum.cappedOrders + r.cappedOrders } : { ...r },
    );
  }
}

/** The covariate sums of `sum`'s variants and revenue, added up over the shards (absent when no shard has them). */
function addUpCovariates(sum: ExperimentCounts, shards: readonly ExperimentCounts[]): Pick<ExperimentCounts, "variants" | "revenue"> {
  const variants = sum.variants.map((v) => {
    const parts = shards.flatMap((s) => s.variants.filter((x) => x.variant === v.variant && x.covariate).map((x) => x.covariate));
    const covariate = parts.reduce<CovariateSums | undefined>(
      (a, c) =>
        c && a
          ? {
              sum: a.sum + c.sum,
              sumSquares: a.sumSquares + c.sumSquares,
              clicked: a.clicked + c.clicked,
              addedToCart: a.addedToCart + c.addedToCart,
              purchased: a.purchased + c.purchased,
              ...(a.refunded !== undefined || c.refunded !== undefined ? { refunded: (a.refunded ?? 0) + (c.refunded ?? 0) } : {}),
            }
          : (c ?? a),
      undefined,
    );
    return covariate ? { ...v, covariate } : v;
  });
  return { variants, revenue: addUpProducts(sum.revenue, shards.map((s) => s.revenue)) };
}

/** `rows` (added up already) with CUPED's Σxy added up over the parts that have it. */
function addUpProducts(rows: readonly RevenueCounts[], parts: readonly (readonly RevenueCounts[])[]): RevenueCounts[] {
  return rows.map((r) => {
    const products = parts.flatMap((p) => p.filter((x) => x.variant === r.variant && x.currency === r.currency && x.sumProducts !== undefined));
    return products.length > 0 ? { ...r, sumProducts: products.reduce((a, x) => a + (x.sumProducts ?? 0), 0) } : r;
  });
}

function addUpSegments(shards: readonly ExperimentCounts[]): Pick<ExperimentCounts, "segments"> {
  const byCell = new Map<string, ExperimentCounts[]>();
  for (const shard of shards) {
    for (const { cell, counts } of shard.segments ?? []) byCell.set(cell, [...(byCell.get(cell) ?? []), counts]);
  }
  if (byCell.size === 0) return {};
  return { segments: [...byCell].map(([cell, counts]) => ({ cell, counts: addUpCounts(counts) })) };
}
