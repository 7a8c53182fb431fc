/**
 * @module Sequential tests of a variant against its control, valid at every look: a marketer may open the results any
 * day and act on the verdict, and the chance that an A/A test is ever called different stays at most ALPHA.
 *
 * Method: the mixture sequential probability ratio test (mSPRT) with a normal mixing distribution, as in Johari,
 * Koomen, Pekelis and Walsh, "Always Valid Inference: Continuous Monitoring of A/B Tests", Operations Research 70(3),
 * 2022 (arXiv:1512.04922), section 4: the difference of the two means, θ̂ with variance V (the sum of each arm's
 * variance of its mean), against the mixture θ ~ N(0, τ²) of alternatives:
 *
 *   Λ = sqrt(V / (V + τ²)) · exp(τ² θ̂² / (2 V (V + τ²)))
 *
 * By Ville's inequality P(Λ ever reaches 1/α | θ = 0) ≤ α, so p = min(1, 1/Λ) is an always-valid p-value and
 * {θ : Λ(θ̂ − θ) < 1/α} an always-valid (1 − α) confidence sequence:
 *
 *   θ̂ ± sqrt(V (V + τ²) / τ² · (ln((V + τ²) / V) + 2 ln(1/α)))
 *
 * V is estimated from the data (the plug-in of Johari et al.'s implementation), with the normal approximation of
 * each mean: fine from the minimum sample sizes the results require (experiment-results.ts).
 *
 * The tuning parameter τ² is chosen from the experiment's expected size: the interval above is narrowest at the
 * V it will have then, V_N, when τ² = r V_N with r the root of r = 2 ln(1/α) + ln(1 + r) (r ≈ 8.2 at α = 0.05;
 * Howard, Ramdas, McAuliffe and Sekhon, "Time-uniform, nonparametric, nonasymptotic confidence sequences", Annals of
 * Statistics 49(2), 2021, section 3.5, give the same choice to one iteration). V_N is V scaled to the expected units:
 * V · n / N for n units per variant now and N expected.
 */

/** The error rate the sequential verdicts are held to, at every look together. */
export const SEQUENTIAL_ALPHA = 0.05;

/**
 * Units per variant an experiment is tuned for when its campaign does not say: a test on a store's top bar reaches
 * this within a few weeks at a few hundred visitors a day. Reaching it is not a stopping rule: the test stays valid
 * before and after; it is only where its interval is narrowest.
 */
export const DEFAULT_EXPECTED_UNITS = 10_000;

/** r with r = 2 ln(1/α) + ln(1 + r): the mixing variance τ² = r · V at the size the interval is tuned for. */
export function mixingRatio(alpha: number): number {
  const l = 2 * Math.log(1 / alpha);
  let r = l;
  // A contraction (the derivative 1 / (1 + r) is below 1/9 near the root): ten steps are past double precision.
  for (let i = 0; i < 60; i++) {
    const next = l + Math.log1p(r);
    if (Math.abs(next - r) < 1e-12) return next;
    r = next;
  }
  return r;
}

/** The mSPRT's mixture likelihood ratio Λ for the estimate `estimate` of a difference with variance `variance`. */
export function mixtureLikelihoodRatio(estimate: number, variance: number, tau2: number): number {
  const total = variance + tau2;
  return Math.sqrt(variance / total) * Math.exp((tau2 * estimate * estimate) / (2 * variance * total));
}

/** Half the width of the always-valid (1 − α) confidence sequence for a difference with variance `variance`. */
export function confidenceHalfWidth(variance: number, tau2: number, alpha: number): number {
  const total = variance + tau2;
  return Math.sqrt(((variance * total) / tau2) * (Math.log(total / variance) + 2 * Math.log(1 / alpha)));
}

export interface SequentialComparison {
  /** Treatment mean minus control mean. */
  estimate: number;
  /** The always-valid two-sided p-value, min(1, 1/Λ). */
  pValue: number;
  /** The always-valid (1 − α) confidence sequence of the difference, at this look. */
  interval: [number, number];
  /** The mixing variance τ² this look used. */
  tau2: number;
}

/**
 * The sequential comparison of two means (rates or revenue per unit), from each arm's mean, the variance of one
 * unit's value and the units: null when either arm has no variance estimate (below 2 units, or both constant).
 */
export function sequentialCompare(
  control: { mean: number; variance: number; units: number },
  treatment: { mean: number; variance: number; units: number },
  expectedUnits = DEFAULT_EXPECTED_UNITS,
  alpha = SEQUENTIAL_ALPHA,
): SequentialComparison | null {
  if (control.units < 2 || treatment.units < 2) return null;
  const variance = control.variance / control.units + treatment.variance / treatment.units;
  if (!(variance > 0)) return null;
  const estimate = treatment.mean - control.mean;
  // V at the expected size: each arm's variance of its mean shrinks as 1/n.
  const perVariant = (control.units + treatment.units) / 2;
  const tau2 = mixingRatio(alpha) * variance * (perVariant / Math.max(expectedUnits, 1));
  const ratio = mixtureLikelihoodRatio(estimate, variance, tau2);
  const half = confidenceHalfWidth(variance, tau2, alpha);
  return { estimate, pValue: Math.min(1, 1 / ratio), interval: [estimate - half, estimate + half], tau2 };
}
