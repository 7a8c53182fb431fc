/**
 * @module The results of an experiment as a growth team reads them: per variant and metric (click-through,
 * add to cart, purchase conversion, revenue per visitor, net revenue per visitor after refunds, refund rate, where
 * lower is better), the rate or mean with its 95% interval, the uplift against
 * control (absolute and relative, with intervals), Welch's p-value, the chance to beat control (the fixed-horizon
 * figures), the sequential test's always-valid p-value and confidence sequence (./sequential.ts), and a verdict read
 * from the sequential test, valid at every look, or "not_enough_data" below the minimums; plus the sample-ratio check,
 * the share of units seen in several variants, the run dates and the bots kept out. Pure: it takes the summed counts and does the
 * statistics of ./stats.ts and ./sequential.ts. With covariate sums in the counts, each metric and variant also has its
 * CUPED-adjusted figures (./cuped.ts); with segment cells, every metric per segment at exposure, corrected across the
 * cells with Holm's method (`segments`).
 */
import type { Campaign } from "./config-schema";
import { baselineVariant, conversionWindowMs, experimentKey, isRunning } from "./experiment";
import type { Arm, Comparison, Interval, MetricKind } from "./stats";
import { compare, sampleRatioCheck, summarize } from "./stats";
import { DEFAULT_EXPECTED_UNITS, sequentialCompare } from "./sequential";
import type { CovariateArm, CupedArm, CupedComparison } from "./cuped";
import { cuped, holmAdjust, MULTIPLE_COMPARISON_METHOD } from "./cuped";
import { ANONYMOUS_CELL, NO_SEGMENT_CELL } from "./exposure-unit";

/** One variant's units, and how many of them clicked, added to cart and bought. */
export interface VariantCounts {
  variant: string;
  /** Units seen in this variant only. */
  units: number;
  clicked: number;
  addedToCart: number;
  purchased: number;
  /** Units with at least one counted order that was refunded (in part or in full); absent in counts made before refunds. */
  refunded?: number;
  firstExposure: number;
  lastExposure: number;
  /** CUPED's sums of the covariate over this variant's units (absent from counts made before covariates were stored). */
  covariate?: CovariateSums;
}

/**
 * Σx and Σx² of one variant's covariate X (0 for a unit without one), and Σxy for each 0/1 metric Y: with the
 * metric's own sums, what CUPED needs (./cuped.ts).
 */
export interface CovariateSums {
  sum: number;
  sumSquares: number;
  clicked: number;
  addedToCart: number;
  purchased: number;
  /** Σx over the units with a refunded order (absent from counts made before refunds). */
  refunded?: number;
}

/** One cell of the per-segment breakdown: the units of one segment at exposure (or a marker cell), counted alike. */
export interface SegmentCell {
  /** The segment's keyed hash (src/storage/experiments.ts), or ANONYMOUS_CELL / NO_SEGMENT_CELL (./exposure-unit.ts). */
  cell: string;
  counts: ExperimentCounts;
}

/** One variant's revenue in one currency: sums over units of each unit's revenue and of its square. */
export interface RevenueCounts {
  variant: string;
  currency: string;
  /** Units with a purchase in this currency. */
  buyers: number;
  sum: number;
  sumSquares: number;
  /** Orders above the site's order value cap, counted at the cap. */
  cappedOrders: number;
  /** Σ over buyers of their revenue times their covariate (CUPED's Σxy; absent without covariates). */
  sumProducts?: number;
}

/** The counts results are computed from: one shard's, or what an experiment's shards add up to. */
export interface ExperimentCounts {
  variants: VariantCounts[];
  revenue: RevenueCounts[];
  /** Units seen in more than one variant: left out of every figure above. */
  multipleVariantUnits: number;
  /**
   * Like `revenue`, with each unit's revenue after refunds: an order's refunds (in its currency) count up to its
   * counted value. `buyers` are still the units with an order.
   */
  netRevenue?: RevenueCounts[];
  /** Bots kept out of the experiment. */
  keptOut?: KeptOutCounts;
  /** The same counts per segment at exposure, from the same queries grouped by segment (a shard's aggregates). */
  segments?: SegmentCell[];
}

/**
 * What bots did that the experiment did not count: page requests (snippet, decide or an edge-rendered page) that
 * would have enrolled them (they got the baseline), and events from declared bots that the events route dropped.
 * Counted off the answer, so a count that failed makes these lower, never an answer different.
 */
export interface KeptOutCounts {
  requests: number;
  events: number;
}

/**
 * Below MIN_UNITS_PER_VARIANT units in either of the two variants compared, or 2 × MIN_CONVERSIONS_PER_VARIANT
 * conversions in the two together, the answer is "not_enough_data" rather than a verdict.
 */
export const MIN_UNITS_PER_VARIANT = 100;
export const MIN_CONVERSIONS_PER_VARIANT = 5;
/** p below this is a significant difference. */
export const ALPHA = 0.05;

export type Verdict = "better" | "worse" | "inconclusive" | "not_enough_data";

/** What a comparison's verdict is read from: the sequential test, valid at every look (src/core/sequential.ts). */
export const VERDICT_METHOD = "sequential" as const;

/** The sequential test of a variant against control: the verdict's. */
export interface SequentialResult {
  /** Always-valid two-sided p-value: below ALPHA at any look, the verdict is better or worse. */
  pValue: number;
  /** Always-valid 95% confidence sequence of the difference (treatment minus control). */
  interval: Interval;
}

export interface VariantMetric {
  variant: string;
  units: number;
  /** Units that converted (or bought, for revenue). */
  conversions: number;
  /** Conversion rate, or revenue per unit. */
  value: number;
  interval: Interval | null;
  /**
   * Against the control; null on the control itself. `verdict` is the sequential test's (`sequential`), valid however
   * often the results are looked at; `pValue`, `absolute`, `relative` and `chanceToBeatControl` are the fixed-horizon
   * figures, valid only when read once, at a size fixed in advance.
   */
  vsControl:
    | (Omit<Comparison, "degreesOfFreedom"> & {
        sequential: SequentialResult;
        verdict: Verdict;
        /** In the per-segment table only: the sequential p-value corrected across the metric's cells, and its verdict. */
        corrected?: CorrectedResult;
      })
    | { verdict: "not_enough_data" }
    | null;
  /**
   * CUPED-adjusted figures (./cuped.ts) with the experiment's covariate, beside the raw ones; absent when the covariate
   * does not vary (no unit has one). Fixed-horizon normal intervals: the verdict stays the sequential test's on the raw values.
   */
  cuped?: CupedResult;
}

export interface CupedResult {
  /** The adjusted mean (rate, or value per unit) and its 95% interval. */
  value: number;
  interval: Interval;
  /** 1 − the adjusted variance over the raw variance of this variant's values. */
  varianceReduction: number;
  /**
   * The adjusted difference against control, with the sequential test on the adjusted values (always-valid p and
   * confidence sequence, as the raw verdict's, with the adjusted variance: valid at every look by the A/A simulation of
   * test/core/cuped.test.ts); null on the control, and below the minimums.
   */
  vsControl: (CupedComparison & { sequential: SequentialResult | null }) | null;
}

/** A verdict corrected for the number of cells of a metric in the per-segment table. */
export interface CorrectedResult {
  method: typeof MULTIPLE_COMPARISON_METHOD;
  pValue: number;
  verdict: Verdict;
}

export interface MetricResult {
  kind: MetricKind;
  /**
   * Set on a metric where less is better (refund rate): its verdict "better" is a significantly lower value, and its
   * chance to beat control is the chance of a lower one.
   */
  lowerIsBetter?: true;
  variants: VariantMetric[];
}

export interface ExperimentResults {
  campaign: string;
  /** Which test the verdicts are read from (VERDICT_METHOD). */
  verdictMethod: typeof VERDICT_METHOD;
  /** The units per variant the sequential test is tuned for (the campaign's `experiment.expectedUnitsPerVariant`). */
  expectedUnitsPerVariant: number;
  experiment: string;
  control: string;
  conversionWindowHours: number;
  run: { firstExposure: string; lastExposure: string } | null;
  units: { counted: number; multipleVariants: number; multipleVariantShare: number };
  /** Orders above the site's order value cap (`orderValueCap`), which count at the cap: in all and per variant. */
  cappedOrders: { total: number; byVariant: Record<string, number> };
  sampleRatio: (ReturnType<typeof sampleRatioCheck> & { expectedShares: Record<string, number> }) | null;
  metrics: {
    clickThrough: MetricResult;
    addToCart: MetricResult;
    purchase: MetricResult;
    /** One result per currency purchases were made in. */
    revenuePerVisitor: Record<string, MetricResult>;
    /** Revenue per visitor after refunds, one result per currency purchases were made in. */
    netRevenuePerVisitor: Record<string, MetricResult>;
    /** The share of units with a refunded order; lower is better. */
    refundRate: MetricResult;
  };
  /** Bots kept out of the experiment (KeptOutCounts). */
  keptOut: KeptOutCounts;
  warnings: string[];
  /** Every metric per segment at exposure (null before any unit's segments were stored). */
  segments: SegmentTable | null;
}

/**
 * The per-segment table: one cell per segment the units were in at exposure (a unit in several segments counts in
 * each), plus anonymous visitors and signed-in customers in no segment. Each cell's metrics are computed as the overall
 * ones; each comparison's `corrected` verdict is the sequential p-value corrected by MULTIPLE_COMPARISON_METHOD across
 * the cells and variants of that metric (and currency), which is the verdict to read in the table.
 */
export interface SegmentTable {
  correction: typeof MULTIPLE_COMPARISON_METHOD;
  cells: SegmentResult[];
}

export interface SegmentResult {
  /** The segment's id in the live config; null for the marker cells and for a segment no longer in the config. */
  segment: string | null;
  kind: "segment" | "anonymous" | "no_segment" | "unknown";
  units: number;
  metrics: ExperimentResults["metrics"];
}

export function experimentResults(campaign: Campaign, counts: ExperimentCounts, segmentNames: ReadonlyMap<string, string> = new Map()): ExperimentResults {
  const control = baselineVariant(campaign)?.id ?? campaign.variants[0]?.id ?? "";
  const variantIds = campaign.variants.map((v) => v.id);
  const countOf = (id: string) => counts.variants.find((v) => v.variant === id);
  const unitsOf = (id: string) => countOf(id)?.units ?? 0;
  const expectedUnits = campaign.experiment?.expectedUnitsPerVariant ?? DEFAULT_EXPECTED_UNITS;

  const cappedByVariant = Object.fromEntries(
    variantIds.map((id) => [id, counts.revenue.filter((r) => r.variant === id).reduce((s, r) => s + r.cappedOrders, 0)]),
  );
  const counted = variantIds.reduce((s, id) => s + unitsOf(id), 0);
  const multiple = counts.multipleVariantUnits;
  // The split is checked among the variants that still take units; units in a variant whose weight is now 0
  // were assigned before a change of weights, which the warnings name. A stopped variant keeps its weight but takes
  // no more units (they see the baseline uncounted), so it is left out too, and the running ones split as before.
  const weighted = campaign.variants.filter(isRunning);
  const srm = sampleRatioCheck(weighted.map((v) => unitsOf(v.id)), weighted.map((v) => v.weight));
  const weightTotal = weighted.reduce((s, v) => s + v.weight, 0);
  const exposures = counts.variants.filter((v) => v.units > 0);

  const warnings: string[] = [];
  if (srm?.mismatch) {
    warnings.push(`sample ratio mismatch (p = ${srm.pValue.toExponential(2)}): units are not split as the weights say; do not trust these results`);
  }
  for (const v of campaign.variants) {
    if (v.weight === 0 && unitsOf(v.id) > 0) warnings.push(`variant "${v.id}" has weight 0 but ${unitsOf(v.id)} units: the weights changed during the test`);
    if (v.stopped) warnings.push(`variant "${v.id}" was switched off on ${v.stopped.at.slice(0, 10)}: its figures stop there`);
  }
  const multipleShare = counted + multiple > 0 ? multiple / (counted + multiple) : 0;
  if (multipleShare > 0.01) warnings.push(`${(multipleShare * 100).toFixed(1)}% of units were seen in more than one variant and are left out`);

  return {
    campaign: campaign.id,
    verdictMethod: VERDICT_METHOD,
    expectedUnitsPerVariant: expectedUnits,
    experiment: experimentKey(campaign),
    control,
    conversionWindowHours: conversionWindowMs(campaign) / 3_600_000,
    run:
      exposures.length > 0
        ? {
            firstExposure: new Date(Math.min(...exposures.map((v) => v.firstExposure))).toISOString(),
            lastExposure: new Date(Math.max(...exposures.map((v) => v.lastExposure))).toISOString(),
          }
        : null,
    units: { counted, multipleVariants: multiple, multipleVariantShare: multipleShare },
    cappedOrders: { total: Object.values(cappedByVariant).reduce((a, b) => a + b, 0), byVariant: cappedByVariant },
    sampleRatio: srm && {
      ...srm,
      expectedShares: Object.fromEntries(campaign.variants.map((v) => [v.id, weightTotal > 0 && isRunning(v) ? v.weight / weightTotal : 0])),
    },
    metrics: experimentMetrics(campaign, counts, control),
    keptOut: { requests: counts.keptOut?.requests ?? 0, events: counts.keptOut?.events ?? 0 },
    warnings,
    segments: segmentTable(campaign, counts, control, segmentNames),
  };
}

/** Every metric of `counts` against `control`: the overall results', and each segment cell's. */
export function experimentMetrics(campaign: Campaign, counts: ExperimentCounts, control: string): ExperimentResults["metrics"] {
  const variantIds = campaign.variants.map((v) => v.id);
  const countOf = (id: string) => counts.variants.find((v) => v.variant === id);
  const unitsOf = (id: string) => countOf(id)?.units ?? 0;
  const expectedUnits = campaign.experiment?.expectedUnitsPerVariant ?? DEFAULT_EXPECTED_UNITS;
  const covariateOf = (id: string, product: (c: CovariateSums) => number | undefined): CovariateData | undefined => {
    const c = countOf(id)?.covariate;
    const sumProducts = c && product(c);
    return c && sumProducts !== undefined ? { sumCovariate: c.sum, sumCovariateSquares: c.sumSquares, sumProducts } : undefined;
  };

  const binaryMetric = (converted: (id: string) => number, product: (c: CovariateSums) => number): MetricResult =>
    metric("binary", control, variantIds, expectedUnits, (id) => {
      const x = converted(id);
      const covariate = covariateOf(id, product);
      return { arm: { units: unitsOf(id), sum: x, sumSquares: x }, conversions: x, ...(covariate ? { covariate } : {}) };
    });
  const currencies = [...new Set(counts.revenue.map((r) => r.currency))].sort();
  const revenuePerVisitor = Object.fromEntries(
    currencies.map((currency) => [
      currency,
      metric("continuous", control, variantIds, expectedUnits, (id) => {
        const r = counts.revenue.find((x) => x.variant === id && x.currency === currency);
        // A variant without buyers in this currency has Σxy = 0; a shard without covariates has no sumProducts.
        const covariate = covariateOf(id, () => (r ? r.sumProducts : 0));
        return { arm: { units: unitsOf(id), sum: r?.sum ?? 0, sumSquares: r?.sumSquares ?? 0 }, conversions: r?.buyers ?? 0, ...(covariate ? { covariate } : {}) };
      }),
    ]),
  );
  const netRevenue = counts.netRevenue ?? [];
  const netRevenuePerVisitor = Object.fromEntries(
    currencies.map((currency) => [
      currency,
      metric("continuous", control, variantIds, expectedUnits, (id) => {
        const r = netRevenue.find((x) => x.variant === id && x.currency === currency);
        const covariate = covariateOf(id, () => (r ? r.sumProducts : 0));
        return { arm: { units: unitsOf(id), sum: r?.sum ?? 0, sumSquares: r?.sumSquares ?? 0 }, conversions: r?.buyers ?? 0, ...(covariate ? { covariate } : {}) };
      }),
    ]),
  );
  // Among the units that bought: a message that sells more, with buyers refunded as often, must not read as a higher
  // refund rate (per visitor it would, and the guardrail would stop a winner). A unit with two refunded orders is one
  // refunded buyer. Lower is better. No CUPED: its sums are over all units, not over buyers.
  const refundRate = metric(
    "binary",
    control,
    variantIds,
    expectedUnits,
    (id) => {
      const x = countOf(id)?.refunded ?? 0;
      const buyers = countOf(id)?.purchased ?? 0;
      return { arm: { units: buyers, sum: x, sumSquares: x }, conversions: x };
    },
    true,
  );
  return {
    clickThrough: binaryMetric((id) => countOf(id)?.clicked ?? 0, (c) => c.clicked),
    addToCart: binaryMetric((id) => countOf(id)?.addedToCart ?? 0, (c) => c.addedToCart),
    purchase: binaryMetric((id) => countOf(id)?.purchased ?? 0, (c) => c.purchased),
    revenuePerVisitor,
    netRevenuePerVisitor,
    refundRate,
  };
}

/** The per-segment table of `counts.segments`, cells named through the live config's segments, corrected per metric. */
function segmentTable(campaign: Campaign, counts: ExperimentCounts, control: string, segmentNames: ReadonlyMap<string, string>): SegmentTable | null {
  if (!counts.segments || counts.segments.length === 0) return null;
  const kindOf = (cell: string): SegmentResult["kind"] =>
    cell === ANONYMOUS_CELL ? "anonymous" : cell === NO_SEGMENT_CELL ? "no_segment" : segmentNames.has(cell) ? "segment" : "unknown";
  const order = [...segmentNames.values()];
  const rank = (r: SegmentResult) => (r.kind === "segment" && r.segment !== null ? order.indexOf(r.segment) : order.length + ["anonymous", "no_segment", "unknown"].indexOf(r.kind));
  const cells = counts.segments
    .map(({ cell, counts: c }): SegmentResult => ({
      segment: segmentNames.get(cell) ?? null,
      kind: kindOf(cell),
      units: c.variants.reduce((s, v) => s + v.units, 0),
      metrics: experimentMetrics(campaign, c, control),
    }))
    .sort((a, b) => rank(a) - rank(b));
  correctAcrossCells(cells.map((c) => c.metrics));
  return { correction: MULTIPLE_COMPARISON_METHOD, cells };
}

/**
 * Holm's correction (./cuped.ts) of the sequential p-values of each metric (and currency) across the cells and
 * variants that have a verdict, written into each comparison's `corrected`. Generic over the metrics, so a metric
 * added to experimentMetrics is corrected too.
 */
function correctAcrossCells(cells: readonly ExperimentResults["metrics"][]): void {
  const families = new Map<string, { sequential: SequentialResult; verdict: Verdict; corrected?: CorrectedResult }[]>();
  const add = (family: string, result: MetricResult) => {
    for (const v of result.variants) {
      if (!v.vsControl || !("sequential" in v.vsControl)) continue;
      families.set(family, [...(families.get(family) ?? []), v.vsControl]);
    }
  };
  for (const metrics of cells) {
    for (const [name, value] of Object.entries(metrics) as [string, MetricResult | Record<string, MetricResult>][]) {
      if (isMetricResult(value)) add(name, value);
      else for (const [currency, result] of Object.entries(value)) add(`${name}\n${currency}`, result);
    }
  }
  for (const comparisons of families.values()) {
    const adjusted = holmAdjust(comparisons.map((c) => c.sequential.pValue));
    comparisons.forEach((c, i) => {
      const pValue = adjusted[i] ?? 1;
      // Holm's p is at least the raw one: significant after correction means significant before, in the same direction.
      c.corrected = { method: MULTIPLE_COMPARISON_METHOD, pValue, verdict: pValue < ALPHA ? c.verdict : "inconclusive" };
    });
  }
}

function isMetricResult(value: MetricResult | Record<string, MetricResult>): value is MetricResult {
  return Array.isArray((value as Partial<MetricResult>).variants) && typeof (value as Partial<MetricResult>).kind === "string";
}

/** CUPED's covariate sums of one variant for one metric. */
type CovariateData = Pick<CovariateArm, "sumCovariate" | "sumCovariateSquares" | "sumProducts">;

function metric(
  kind: MetricKind,
  control: string,
  variantIds: string[],
  expectedUnits: number,
  data: (id: string) => { arm: Arm; conversions: number; covariate?: CovariateData },
  lowerIsBetter = false,
): MetricResult {
  const base = data(control);
  const adjusted = cupedOf(control, variantIds, expectedUnits, data);
  return {
    kind,
    ...(lowerIsBetter ? { lowerIsBetter: true as const } : {}),
    variants: variantIds.map((id) => {
      const { arm, conversions } = data(id);
      const summary = summarize(arm, kind);
      const vsControl = id === control ? null : versus(base, { arm, conversions }, kind, expectedUnits, lowerIsBetter);
      const cupedArm = adjusted?.get(id);
      return {
        variant: id,
        units: arm.units,
        conversions,
        value: summary.mean,
        interval: summary.interval,
        vsControl,
        ...(cupedArm
          ? {
              cuped: {
                value: cupedArm.arm.mean,
                interval: cupedArm.arm.interval,
                varianceReduction: cupedArm.arm.varianceReduction,
                vsControl: vsControl && "sequential" in vsControl ? cupedArm.comparison : null,
              },
            }
          : {}),
      };
    }),
  };
}

/** CUPED over the metric's variants, the control first, per variant id; null without covariate sums for all of them. */
function cupedOf(
  control: string,
  variantIds: string[],
  expectedUnits: number,
  data: (id: string) => { arm: Arm; covariate?: CovariateData },
): Map<string, { arm: CupedArm; comparison: NonNullable<CupedResult["vsControl"]> | null }> | null {
  const ids = [control, ...variantIds.filter((id) => id !== control)];
  const arms: CovariateArm[] = [];
  for (const id of ids) {
    const { arm, covariate } = data(id);
    if (!covariate) return null;
    arms.push({ ...arm, ...covariate });
  }
  const result = cuped(arms);
  const base = result?.arms[0];
  if (!result || !base) return null;
  // The sequential test on the adjusted values, tuned to the experiment's size as the raw one is.
  const adjustedVersus = (arm: CupedArm, comparison: CupedComparison) => {
    const sequential = sequentialCompare(base, arm, expectedUnits, ALPHA);
    return { ...comparison, sequential: sequential && { pValue: sequential.pValue, interval: sequential.interval } };
  };
  return new Map(
    ids.flatMap((id, i) => {
      const arm = result.arms[i];
      const comparison = i === 0 ? undefined : result.comparisons[i - 1];
      return arm ? [[id, { arm, comparison: comparison ? adjustedVersus(arm, comparison) : null }] as const] : [];
    }),
  );
}

function versus(
  control: { arm: Arm; conversions: number },
  treatment: { arm: Arm; conversions: number },
  kind: MetricKind,
  expectedUnits: number,
  lowerIsBetter = false,
): VariantMetric["vsControl"] {
  // Conversions are counted over both arms: a variant that stopped selling (none against thousands) is a verdict, not
  // too little data, and a guardrail must see it.
  const enough =
    control.arm.units >= MIN_UNITS_PER_VARIANT &&
    treatment.arm.units >= MIN_UNITS_PER_VARIANT &&
    control.conversions + treatment.conversions >= 2 * MIN_CONVERSIONS_PER_VARIANT;
  const result = enough ? compare(control.arm, treatment.arm, kind) : null;
  const sequential = result && sequentialCompare(summarize(control.arm, kind), summarize(treatment.arm, kind), expectedUnits, ALPHA);
  if (!result || !sequential) return { verdict: "not_enough_data" };
  const { degreesOfFreedom: _df, ...shown } = result;
  const higher = sequential.estimate > 0;
  const verdict: Verdict = sequential.pValue >= ALPHA ? "inconclusive" : higher !== lowerIsBetter ? "better" : "worse";
  const chanceToBeatControl = lowerIsBetter ? 1 - shown.chanceToBeatControl : shown.chanceToBeatControl;
  return { ...shown, chanceToBeatControl, sequential: { pValue: sequential.pValue, interval: sequential.interval }, verdict };
}
