/**
 * @module Experiment counts added up: shards into an experiment, segment sets into segment cells. Sums per variant,
 * per variant and currency, CUPED's covariate sums, and per segment cell alike. Pure.
 */
import type { CovariateSums, ExperimentCounts, RevenueCounts, VariantCounts } from "./experiment-results";

/** Counts added up: per variant, per variant and currency, CUPED's covariate sums, and per segment cell alike. */
export function addUpCounts(shards: readonly ExperimentCounts[]): ExperimentCounts {
  const variants = new Map<string, VariantCounts>();
  const revenue = new Map<string, RevenueCounts>();
  let multipleVariantUnits = 0;
  for (const shard of shards) {
    multipleVariantUnits += shard.multipleVariantUnits;
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
              firstExposure: Math.min(sum.firstExposure, v.firstExposure),
              lastExposure: Math.max(sum.lastExposure, v.lastExposure),
            }
          : { ...v },
      );
    }
    for (const r of shard.revenue) {
      const key = `${r.variant}\n${r.currency}`;
      const sum = revenue.get(key);
      revenue.set(
        key,
        sum
          ? { ...sum, buyers: sum.buyers + r.buyers, sum: sum.sum + r.sum, sumSquares: sum.sumSquares + r.sumSquares, cappedOrders: sum.cappedOrders + r.cappedOrders }
          : { ...r },
      );
    }
  }
  const sum = { variants: [...variants.values()], revenue: [...revenue.values()], multipleVariantUnits };
  return { ...sum, ...addUpCovariates(sum, shards), ...addUpSegments(shards) };
}

/** The covariate sums of `sum`'s variants and revenue, added up over the shards (absent when no shard has them). */
function addUpCovariates(sum: ExperimentCounts, shards: readonly ExperimentCounts[]): Pick<ExperimentCounts, "variants" | "revenue"> {
  const variants = sum.variants.map((v) => {
    const parts = shards.flatMap((s) => s.variants.filter((x) => x.variant === v.variant && x.covariate).map((x) => x.covariate));
    const covariate = parts.reduce<CovariateSums | undefined>(
      (a, c) =>
        c && a
          ? { sum: a.sum + c.sum, sumSquares: a.sumSquares + c.sumSquares, clicked: a.clicked + c.clicked, addedToCart: a.addedToCart + c.addedToCart, purchased: a.purchased + c.purchased }
          : (c ?? a),
      undefined,
    );
    return covariate ? { ...v, covariate } : v;
  });
  const revenue = sum.revenue.map((r) => {
    const parts = shards.flatMap((s) => s.revenue.filter((x) => x.variant === r.variant && x.currency === r.currency && x.sumProducts !== undefined));
    return parts.length > 0 ? { ...r, sumProducts: parts.reduce((a, x) => a + (x.sumProducts ?? 0), 0) } : r;
  });
  return { variants, revenue };
}

function addUpSegments(shards: readonly ExperimentCounts[]): Pick<ExperimentCounts, "segments"> {
  const byCell = new Map<string, ExperimentCounts[]>();
  for (const shard of shards) {
    for (const { cell, counts } of shard.segments ?? []) byCell.set(cell, [...(byCell.get(cell) ?? []), counts]);
  }
  if (byCell.size === 0) return {};
  return { segments: [...byCell].map(([cell, counts]) => ({ cell, counts: addUpCounts(counts) })) };
}
