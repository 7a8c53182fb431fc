/**
 * @module CUPED: variance reduction with a covariate measured before the experiment (Deng, Xu, Kohavi and Walker,
 * "Improving the Sensitivity of Online Controlled Experiments by Utilizing Pre-Experiment Data", WSDM 2013), and
 * Holm's step-down correction of several p-values (Holm, "A Simple Sequentially Rejective Multiple Test Procedure",
 * Scandinavian Journal of Statistics 6(2), 1979). Pure; checked against NumPy/SciPy in test/core/cuped-reference.json
 * (generator: test/core/make-cuped-reference.py).
 *
 * CUPED replaces each unit's value Y by Y − θ (X − mean X), where X is the unit's covariate (for a store: its net
 * revenue of the year before, which the treatment cannot have changed) and θ = cov(Y, X) / var(X). The adjusted means
 * estimate the same difference, with the variance of Y times (1 − ρ²), ρ the correlation of Y and X: an interval
 * √(1 − ρ²) as wide, so a test reaches the same precision with 1 − ρ² of the units (ρ = 0.5: 75%, a test a quarter
 * shorter).
 *
 * θ is pooled within variants (the slope of Y on X with one intercept per variant, so a treatment effect does not bend
 * it), and the same θ adjusts every variant of the metric, as the difference of adjusted means needs.
 *
 * Intervals and p-values here are the normal (fixed-horizon) ones. experiment-results.ts also runs the sequential test
 * (./sequential.ts) on the adjusted means and variances, checked by an A/A simulation with daily looks; the verdict
 * stays the sequential test's on the raw values, and CUPED is reported beside it.
 */
import type { Arm, Interval } from "./stats";
import { CONFIDENCE, normalCdf, normalQuantile } from "./stats";

/** One variant's sums for one metric with its covariate X: the metric's own sums (Y) plus Σx, Σx² and Σxy. */
export interface CovariateArm extends Arm {
  sumCovariate: number;
  sumCovariateSquares: number;
  /** Σ over units of the metric's value times the covariate. */
  sumProducts: number;
}

export interface CupedArm {
  units: number;
  /** The CUPED-adjusted mean: mean Y − θ (mean X of this variant − mean X of all variants). */
  mean: number;
  /** The sample variance of the adjusted values y − θx (n − 1 in the denominator). */
  variance: number;
  interval: Interval;
  /** 1 − adjusted variance / raw variance of this variant's values. */
  varianceReduction: number;
}

export interface CupedComparison {
  /** Adjusted treatment mean minus adjusted control mean, with its normal 95% interval. */
  absolute: { estimate: number; interval: Interval };
  /** Two-sided normal p-value of the adjusted difference. */
  pValue: number;
  /** 1 − variance of the adjusted difference / variance of the raw difference: what CUPED saved. */
  varianceReduction: number;
}

export interface Cuped {
  theta: number;
  arms: CupedArm[];
  /** Per arm after the first (the control): against it. */
  comparisons: CupedComparison[];
}

interface Moments {
  n: number;
  meanY: number;
  meanX: number;
  /** Centred sums: Σ(y − ȳ)², Σ(x − x̄)², Σ(y − ȳ)(x − x̄). */
  syy: number;
  sxx: number;
  sxy: number;
}

function moments(arm: CovariateArm): Moments {
  const n = arm.units;
  const meanY = arm.sum / n;
  const meanX = arm.sumCovariate / n;
  return {
    n,
    meanY,
    meanX,
    syy: Math.max(0, arm.sumSquares - n * meanY * meanY),
    sxx: Math.max(0, arm.sumCovariateSquares - n * meanX * meanX),
    sxy: arm.sumProducts - n * meanY * meanX,
  };
}

/**
 * CUPED for the arms of one metric, the control first. Null when an arm has fewer than 2 units or the covariate does
 * not vary within the variants (every unit without history: nothing to adjust with).
 *
 * @example
 * cuped([{ units: 3, sum: 6, sumSquares: 14, sumCovariate: 6, sumCovariateSquares: 14, sumProducts: 14 }, ...])
 */
export function cuped(arms: readonly CovariateArm[]): Cuped | null {
  if (arms.length === 0 || arms.some((a) => a.units < 2)) return null;
  const m = arms.map(moments);
  const sxx = m.reduce((s, a) => s + a.sxx, 0);
  if (!(sxx > 0)) return null;
  const theta = m.reduce((s, a) => s + a.sxy, 0) / sxx;
  const total = m.reduce((s, a) => s + a.n, 0);
  const grandMeanX = m.reduce((s, a) => s + a.meanX * a.n, 0) / total;
  const z = normalQuantile(1 - (1 - CONFIDENCE) / 2);

  // Per arm: the adjusted mean, and the variance of its values (sample variance of y − θx, n − 1 in the denominator).
  const adjusted = m.map((a) => {
    const rawVariance = a.syy / (a.n - 1);
    const variance = Math.max(0, (a.syy - 2 * theta * a.sxy + theta * theta * a.sxx) / (a.n - 1));
    return { n: a.n, mean: a.meanY - theta * (a.meanX - grandMeanX), variance, rawVariance };
  });
  const reduction = (adj: number, raw: number) => (raw > 0 ? 1 - adj / raw : 0);
  const [control, ...treatments] = adjusted;
  if (!control) return null;
  return {
    theta,
    arms: adjusted.map((a) => {
      const se = Math.sqrt(a.variance / a.n);
      return { units: a.n, mean: a.mean, variance: a.variance, interval: [a.mean - z * se, a.mean + z * se], varianceReduction: reduction(a.variance, a.rawVariance) };
    }),
    comparisons: treatments.map((t) => {
      const variance = t.variance / t.n + control.variance / control.n;
      const rawVariance = t.rawVariance / t.n + control.rawVariance / control.n;
      const se = Math.sqrt(variance);
      const estimate = t.mean - control.mean;
      const pValue = se > 0 ? Math.min(1, 2 * normalCdf(-Math.abs(estimate / se))) : 1;
      return { absolute: { estimate, interval: [estimate - z * se, estimate + z * se] }, pValue, varianceReduction: reduction(variance, rawVariance) };
    }),
  };
}

/** The correction the per-segment results apply to each metric's cells. */
export const MULTIPLE_COMPARISON_METHOD = "holm" as const;

/**
 * Holm's adjusted p-values, in the order given: sorted ascending, the i-th smallest (from 0) is multiplied by
 * m − i, then made non-decreasing and capped at 1. Rejecting where the adjusted p is below α holds the chance of any
 * false rejection among the m at α, under any dependence between them (so also for always-valid p-values read at
 * the same look).
 *
 * @example
 * holmAdjust([0.01, 0.04, 0.03]) // [0.03, 0.06, 0.06]
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const m = pValues.length;
  const order = pValues.map((p, i) => ({ p, i })).sort((a, b) => a.p - b.p);
  const adjusted = new Array<number>(m).fill(1);
  let running = 0;
  order.forEach(({ p, i }, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * p));
    adjusted[i] = running;
  });
  return adjusted;
}
