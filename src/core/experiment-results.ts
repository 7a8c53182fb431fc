/**
 * @module The results of an experiment as a growth team reads them: per variant and metric (click-through,
 * add to cart, purchase conversion, revenue per visitor, net revenue per visitor after refunds, refund rate, where
 * lower is better), the rate or mean with its 95% interval, the uplift against
 * control (absolute and relative, with intervals), Welch's p-value, the chance to beat control (the fixed-horizon
 * figures), the sequential test's always-valid p-value and confidence sequence (./sequential.ts), and a verdict read
 * from the sequential test, valid at every look, or "not_enough_data" below the minimums; plus the sample-ratio check,
 * the share of units seen in several variants, the run dates and the bots kept out. Pure: it takes the summed counts and does the
 * statistics of ./stats.ts and ./sequential.ts.
 */
import type { Campaign } from "./config-schema";
import { baselineVariant, conversionWindowMs, experimentKey, isRunning } from "./experiment";
import type { Arm, Comparison, Interval, MetricKind } from "./stats";
import { compare, sampleRatioCheck, summarize } from "./stats";
import { DEFAULT_EXPECTED_UNITS, sequentialCompare } from "./sequential";

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

/** Below these, in either of the two variants compared, the answer is "not_enough_data" rather than a verdict. */
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
  vsControl: (Omit<Comparison, "degreesOfFreedom"> & { sequential: SequentialResult; verdict: Verdict }) | { verdict: "not_enough_data" } | null;
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
}

export function experimentResults(campaign: Campaign, counts: ExperimentCounts): ExperimentResults {
  const control = baselineVariant(campaign)?.id ?? campaign.variants[0]?.id ?? "";
  const variantIds = campaign.variants.map((v) => v.id);
  const countOf = (id: string) => counts.variants.find((v) => v.variant === id);
  const unitsOf = (id: string) => countOf(id)?.units ?? 0;
  const expectedUnits = campaign.experiment?.expectedUnitsPerVariant ?? DEFAULT_EXPECTED_UNITS;

  const binaryMetric = (converted: (id: string) => number): MetricResult =>
    metric("binary", control, variantIds, expectedUnits, (id) => {
      const x = converted(id);
      return { arm: { units: unitsOf(id), sum: x, sumSquares: x }, conversions: x };
    });
  const currencies = [...new Set(counts.revenue.map((r) => r.currency))].sort();
  const revenuePerVisitor = Object.fromEntries(
    currencies.map((currency) => [
      currency,
      metric("continuous", control, variantIds, expectedUnits, (id) => {
        const r = counts.revenue.find((x) => x.variant === id && x.currency === currency);
        return { arm: { units: unitsOf(id), sum: r?.sum ?? 0, sumSquares: r?.sumSquares ?? 0 }, conversions: r?.buyers ?? 0 };
      }),
    ]),
  );

  const netRevenue = counts.netRevenue ?? [];
  const netRevenuePerVisitor = Object.fromEntries(
    currencies.map((currency) => [
      currency,
      metric("continuous", control, variantIds, expectedUnits, (id) => {
        const r = netRevenue.find((x) => x.variant === id && x.currency === currency);
        return { arm: { units: unitsOf(id), sum: r?.sum ?? 0, sumSquares: r?.sumSquares ?? 0 }, conversions: r?.buyers ?? 0 };
      }),
    ]),
  );
  // Per unit, not per order: the unit is what was randomized, so the test's independence holds; a unit with two
  // refunded orders is one refunded unit. Lower is better.
  const refundRate = metric(
    "binary",
    control,
    variantIds,
    expectedUnits,
    (id) => {
      const x = countOf(id)?.refunded ?? 0;
      return { arm: { units: unitsOf(id), sum: x, sumSquares: x }, conversions: x };
    },
    true,
  );

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
    metrics: {
      clickThrough: binaryMetric((id) => countOf(id)?.clicked ?? 0),
      addToCart: binaryMetric((id) => countOf(id)?.addedToCart ?? 0),
      purchase: binaryMetric((id) => countOf(id)?.purchased ?? 0),
      revenuePerVisitor,
      netRevenuePerVisitor,
      refundRate,
    },
    keptOut: { requests: counts.keptOut?.requests ?? 0, events: counts.keptOut?.events ?? 0 },
    warnings,
  };
}

function metric(
  kind: MetricKind,
  control: string,
  variantIds: string[],
  expectedUnits: number,
  data: (id: string) => { arm: Arm; conversions: number },
  lowerIsBetter = false,
): MetricResult {
  const base = data(control);
  return {
    kind,
    ...(lowerIsBetter ? { lowerIsBetter: true as const } : {}),
    variants: variantIds.map((id) => {
      const { arm, conversions } = data(id);
      const summary = summarize(arm, kind);
      return {
        variant: id,
        units: arm.units,
        conversions,
        value: summary.mean,
        interval: summary.interval,
        vsControl: id === control ? null : versus(base, { arm, conversions }, kind, expectedUnits, lowerIsBetter),
      };
    }),
  };
}

function versus(
  control: { arm: Arm; conversions: number },
  treatment: { arm: Arm; conversions: number },
  kind: MetricKind,
  expectedUnits: number,
  lowerIsBetter = false,
): VariantMetric["vsControl"] {
  const enough = [control, treatment].every((side) => side.arm.units >= MIN_UNITS_PER_VARIANT && side.conversions >= MIN_CONVERSIONS_PER_VARIANT);
  const result = enough ? compare(control.arm, treatment.arm, kind) : null;
  const sequential = result && sequentialCompare(summarize(control.arm, kind), summarize(treatment.arm, kind), expectedUnits, ALPHA);
  if (!result || !sequential) return { verdict: "not_enough_data" };
  const { degreesOfFreedom: _df, ...shown } = result;
  const higher = sequential.estimate > 0;
  const verdict: Verdict = sequential.pValue >= ALPHA ? "inconclusive" : higher !== lowerIsBetter ? "better" : "worse";
  const chanceToBeatControl = lowerIsBetter ? 1 - shown.chanceToBeatControl : shown.chanceToBeatControl;
  return { ...shown, chanceToBeatControl, sequential: { pValue: sequential.pValue, interval: sequential.interval }, verdict };
}
