/**
 * @module The per-segment table of the results (src/core/experiment-results.ts), from counts: cells named through the
 * live config's segments, the same figures as the overall results per cell, "not_enough_data" below the minimums, and
 * Holm's correction across the cells of each metric turning a lone raw "better" into "inconclusive" when the table
 * has many cells. And CUPED per metric and variant from the counts' covariate sums, equal to cuped() on the same sums.
 */
import { describe, expect, it } from "vitest";
import type { Campaign } from "../../src/core/config-schema";
import { cuped, holmAdjust } from "../../src/core/cuped";
import type { ExperimentCounts, VariantCounts } from "../../src/core/experiment-results";
import { experimentResults } from "../../src/core/experiment-results";
import { ANONYMOUS_CELL, NO_SEGMENT_CELL } from "../../src/core/exposure-unit";

const campaign = {
  id: "hero",
  placement: "topbar",
  variants: [
    { id: "a", weight: 50, control: true, message: { text: "A" } },
    { id: "b", weight: 50, message: { text: "B" } },
  ],
} as unknown as Campaign;

const T = Date.parse("2026-11-20T10:00:00Z");

function variant(id: string, units: number, purchased: number, covariate?: VariantCounts["covariate"]): VariantCounts {
  return { variant: id, units, clicked: 0, addedToCart: 0, purchased, firstExposure: T, lastExposure: T, ...(covariate ? { covariate } : {}) };
}

function counts(a: [number, number], b: [number, number]): ExperimentCounts {
  return { variants: [variant("a", ...a), variant("b", ...b)], revenue: [], multipleVariantUnits: 0 };
}

describe("the per-segment table", () => {
  // VIPs: 40/1000 against 82/1000 (raw sequential p 0.041); nine other cells with no difference.
  const vip = counts([1000, 40], [1000, 82]);
  const flat = (i: number) => counts([1000 + i, 50], [1000 - i, 50]);
  const cells = [
    { cell: "h-vip", counts: vip },
    ...Array.from({ length: 8 }, (_, i) => ({ cell: `h-${i}`, counts: flat(i) })),
    { cell: ANONYMOUS_CELL, counts: flat(9) },
    { cell: NO_SEGMENT_CELL, counts: counts([50, 2], [50, 9]) },
  ];
  const names = new Map([["h-vip", "vip"], ...Array.from({ length: 7 }, (_, i): [string, string] => [`h-${i}`, `s${i}`])]);
  const results = experimentResults(campaign, { ...counts([20000, 900], [20000, 950]), segments: cells }, names);
  const table = results.segments;

  it("names the cells through the config, in its order, then anonymous, no segment, and unknown hashes", () => {
    expect(table?.correction).toBe("holm");
    expect(table?.cells.map((c) => [c.kind, c.segment])).toEqual([
      ["segment", "vip"],
      ...Array.from({ length: 7 }, (_, i) => ["segment", `s${i}`]),
      ["anonymous", null],
      ["no_segment", null],
      ["unknown", null],
    ]);
  });

  it("gives each cell the overall figures of its own counts, and not_enough_data below the minimums", () => {
    const alone = experimentResults(campaign, vip);
    expect(table?.cells[0]?.metrics.purchase.variants.map((v) => v.value)).toEqual(alone.metrics.purchase.variants.map((v) => v.value));
    const vs = alone.metrics.purchase.variants[1]?.vsControl;
    const cellVs = table?.cells[0]?.metrics.purchase.variants[1]?.vsControl;
    expect(cellVs && "sequential" in cellVs ? cellVs.sequential : null).toEqual(vs && "sequential" in vs ? vs.sequential : undefined);
    expect(table?.cells.find((c) => c.kind === "no_segment")?.metrics.purchase.variants[1]?.vsControl).toEqual({ verdict: "not_enough_data" });
  });

  it("corrects the sequential p-values with Holm's method across the metric's cells: the VIPs' raw 'better' is not enough among ten cells", () => {
    const compared = (table?.cells ?? []).flatMap((c) => {
      const vs = c.metrics.purchase.variants[1]?.vsControl;
      return vs && "sequential" in vs ? [vs] : [];
    });
    expect(compared).toHaveLength(10);
    const adjusted = holmAdjust(compared.map((vs) => vs.sequential.pValue));
    compared.forEach((vs, i) => expect(vs.corrected?.pValue).toBe(adjusted[i]));
    const vipVs = compared[0];
    expect(vipVs?.verdict).toBe("better");
    expect(vipVs?.sequential.pValue).toBeLessThan(0.05);
    expect(vipVs?.corrected).toEqual({ method: "holm", pValue: expect.any(Number), verdict: "inconclusive" });
    expect(vipVs?.corrected?.pValue).toBeGreaterThanOrEqual(0.05);
  });

  it("is null before any unit's segments were stored", () => {
    expect(experimentResults(campaign, counts([10, 1], [10, 1])).segments).toBeNull();
  });
});

describe("CUPED in the results", () => {
  it("reports per variant the adjusted figures cuped() gives on the counts' sums, and none without covariate sums", () => {
    const withCovariate: ExperimentCounts = {
      variants: [
        variant("a", 1000, 40, { sum: 5000, sumSquares: 90000, clicked: 0, addedToCart: 0, purchased: 700 }),
        variant("b", 1000, 62, { sum: 5200, sumSquares: 95000, clicked: 0, addedToCart: 0, purchased: 900 }),
      ],
      revenue: [],
      multipleVariantUnits: 0,
    };
    const purchase = experimentResults(campaign, withCovariate).metrics.purchase;
    const expected = cuped([
      { units: 1000, sum: 40, sumSquares: 40, sumCovariate: 5000, sumCovariateSquares: 90000, sumProducts: 700 },
      { units: 1000, sum: 62, sumSquares: 62, sumCovariate: 5200, sumCovariateSquares: 95000, sumProducts: 900 },
    ]);
    expect(purchase.variants[0]?.cuped).toEqual({ value: expected?.arms[0]?.mean, interval: expected?.arms[0]?.interval, varianceReduction: expected?.arms[0]?.varianceReduction, vsControl: null });
    expect(purchase.variants[1]?.cuped?.vsControl).toEqual({ ...expected?.comparisons[0], sequential: { pValue: expect.any(Number), interval: [expect.any(Number), expect.any(Number)] } });
    expect(experimentResults(campaign, counts([1000, 40], [1000, 62])).metrics.purchase.variants[1]?.cuped).toBeUndefined();
  });
});
