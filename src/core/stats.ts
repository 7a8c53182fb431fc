/**
 * @module The statistics of an A/B test, from per-variant sufficient statistics (units, sum and sum of
 * squares of each unit's value): intervals, Welch's t-test, the delta-method interval of a relative uplift,
 * the chance to beat control, and the sample-ratio-mismatch check. Pure and dependency-free; checked against
 * SciPy's values in test/core/stats-reference.json (generator: test/core/make-stats-reference.py).
 */

/** One variant's data for one metric: `sum` and `sumSquares` of the per-unit values (0/1 for a conversion). */
export interface Arm {
  units: number;
  sum: number;
  sumSquares: number;
}

/** How a metric's per-unit values are distributed: a 0/1 conversion, or any number (revenue). */
export type MetricKind = "binary" | "continuous";

export type Interval = [number, number];

/** Two-sided 95% intervals and tests throughout. */
export const CONFIDENCE = 0.95;

// ---- Special functions ----------------------------------------------------------------------------------

const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0 (Lanczos, g = 7: about 15 significant digits). */
export function lnGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let sum = LANCZOS[0] ?? 0;
  for (let i = 1; i < LANCZOS.length; i++) sum += (LANCZOS[i] ?? 0) / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(sum);
}

const EPS = 1e-15;
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000;

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaFraction(x: number, a: number, b: number): number {
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < EPS) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  return x < (a + 1) / (a + b + 2) ? (front * betaFraction(x, a, b)) / a : 1 - (front * betaFraction(1 - x, b, a)) / b;
}

/** The regularized upper incomplete gamma function Q(s, x) = 1 - P(s, x). */
export function upperIncompleteGamma(s: number, x: number): number {
  if (x <= 0) return 1;
  const logFront = s * Math.log(x) - x - lnGamma(s);
  if (x < s + 1) {
    // Series for P(s, x).
    let term = 1 / s;
    let sum = term;
    for (let n = 1; n <= MAX_ITERATIONS; n++) {
      term *= x / (s + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * EPS) break;
    }
    return 1 - sum * Math.exp(logFront);
  }
  // Continued fraction for Q(s, x) (modified Lentz).
  let b = x + 1 - s;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i <= MAX_ITERATIONS; i++) {
    const an = -i * (i - s);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const step = d * c;
    h *= step;
    if (Math.abs(step - 1) < EPS) break;
  }
  return Math.exp(logFront) * h;
}

/** P(Z ≤ z) for a standard normal Z. */
export function normalCdf(z: number): number {
  // Φ(z) = Q(1/2, z²/2) / 2 below 0, mirrored above: exact to the precision of the incomplete gamma.
  const tail = 0.5 * upperIncompleteGamma(0.5, (z * z) / 2);
  return z < 0 ? tail : 1 - tail;
}

/** The z with Φ(z) = p (Acklam's rational approximation, refined by one Halley step). */
export function normalQuantile(p: number): number {
  if (p <= 0) return Number.NEGATIVE_INFINITY;
  if (p >= 1) return Number.POSITIVE_INFINITY;
  const a = [-39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [-0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  let x: number;
  if (p < 0.02425) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  } else if (p <= 1 - 0.02425) {
    const q = p - 0.5;
    const r = q * q;
    x = ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  const e = normalCdf(x) - p;
  const u = e * Math.sqrt(2 * Math.PI) * Math.exp((x * x) / 2);
  return x - u / (1 + (x * u) / 2);
}

/** P(T ≤ t) for Student's t with `df` degrees of freedom (df may be fractional, as Welch's is). */
export function studentTCdf(t: number, df: number): number {
  if (!Number.isFinite(df)) return normalCdf(t);
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t < 0 ? tail : 1 - tail;
}

/** The t with P(T ≤ t) = p for Student's t with `df` degrees of freedom. */
export function studentTQuantile(p: number, df: number): number {
  if (!Number.isFinite(df)) return normalQuantile(p);
  if (p === 0.5) return 0;
  // Bracket from the normal quantile outwards, then bisect: the CDF is monotone, 100 halvings reach 1e-15.
  let lo = -1;
  let hi = 1;
  while (studentTCdf(lo, df) > p) lo *= 2;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-13 * Math.max(1, Math.abs(lo)); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** P(X ≥ x) for a chi-square X with `df` degrees of freedom. */
export function chiSquareSurvival(x: number, df: number): number {
  return upperIncompleteGamma(df / 2, x / 2);
}

// ---- One variant ----------------------------------------------------------------------------------------

export interface ArmSummary {
  units: number;
  /** Conversion rate, or mean value per unit. */
  mean: number;
  /** Sample variance of the per-unit values (n - 1 in the denominator). */
  variance: number;
  /** 95% interval of the mean: Wilson score for a rate, Student's t for a mean. Null below 2 units. */
  interval: Interval | null;
}

export function summarize(arm: Arm, kind: MetricKind): ArmSummary {
  const { units: n, sum, sumSquares } = arm;
  if (n === 0) return { units: 0, mean: 0, variance: 0, interval: null };
  const mean = sum / n;
  const variance = n > 1 ? Math.max(0, (sumSquares - n * mean * mean) / (n - 1)) : 0;
  if (n < 2) return { units: n, mean, variance, interval: null };
  if (kind === "binary") return { units: n, mean, variance, interval: wilson(sum, n) };
  const margin = studentTQuantile(1 - (1 - CONFIDENCE) / 2, n - 1) * Math.sqrt(variance / n);
  return { units: n, mean, variance, interval: [mean - margin, mean + margin] };
}

/** Wilson score interval of a proportion `successes / n`. */
export function wilson(successes: number, n: number): Interval {
  const z = normalQuantile(1 - (1 - CONFIDENCE) / 2);
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return [Math.max(0, centre - half), Math.min(1, centre + half)];
}

// ---- A variant against control --------------------------------------------------------------------------

export interface Comparison {
  /** Treatment mean minus control mean, with its Welch 95% interval. */
  absolute: { estimate: number; interval: Interval };
  /** Treatment mean over control mean, minus 1, with its delta-method 95% interval; null when control is 0. */
  relative: { estimate: number; interval: Interval } | null;
  /** Two-sided p-value of Welch's t-test. */
  pValue: number;
  /** Welch–Satterthwaite degrees of freedom. */
  degreesOfFreedom: number;
  /** Posterior probability that the treatment's true mean is above control's (flat priors, normal approximation). */
  chanceToBeatControl: number;
}

/** Null when either side has fewer than 2 units or both have no variance: there is nothing to test. */
export function compare(control: Arm, treatment: Arm, kind: MetricKind): Comparison | null {
  const c = summarize(control, kind);
  const t = summarize(treatment, kind);
  if (c.units < 2 || t.units < 2) return null;
  const vc = c.variance / c.units;
  const vt = t.variance / t.units;
  const se = Math.sqrt(vc + vt);
  if (se === 0) return null;
  const diff = t.mean - c.mean;
  const df = (vc + vt) ** 2 / (vc ** 2 / (c.units - 1) + vt ** 2 / (t.units - 1));
  const tStat = diff / se;
  const pValue = Math.min(1, 2 * studentTCdf(-Math.abs(tStat), df));
  const tCrit = studentTQuantile(1 - (1 - CONFIDENCE) / 2, df);
  const zCrit = normalQuantile(1 - (1 - CONFIDENCE) / 2);

  let relative: Comparison["relative"] = null;
  if (c.mean !== 0) {
    // Delta method for the ratio of two independent means (Deng, Knoblich and Lu, KDD 2018, eq. 3).
    const estimate = t.mean / c.mean - 1;
    const sd = Math.sqrt(vt / c.mean ** 2 + (t.mean ** 2 * vc) / c.mean ** 4);
    relative = { estimate, interval: [estimate - zCrit * sd, estimate + zCrit * sd] };
  }
  return {
    absolute: { estimate: diff, interval: [diff - tCrit * se, diff + tCrit * se] },
    relative,
    pValue,
    degreesOfFreedom: df,
    chanceToBeatControl: chanceToBeat(control, treatment, kind, c, t),
  };
}

function chanceToBeat(control: Arm, treatment: Arm, kind: MetricKind, c: ArmSummary, t: ArmSummary): number {
  if (kind === "binary") {
    // Beta(1 + conversions, 1 + non-conversions) posteriors, compared through their normal approximations.
    const posterior = (arm: Arm) => {
      const a = 1 + arm.sum;
      const b = 1 + arm.units - arm.sum;
      return { mean: a / (a + b), variance: (a * b) / ((a + b) ** 2 * (a + b + 1)) };
    };
    const pc = posterior(control);
    const pt = posterior(treatment);
    return normalCdf((pt.mean - pc.mean) / Math.sqrt(pc.variance + pt.variance));
  }
  return normalCdf((t.mean - c.mean) / Math.sqrt(c.variance / c.units + t.variance / t.units));
}

// ---- Sample ratio mismatch ------------------------------------------------------------------------------

/** Below this p-value the split of units is too far from the weights to trust the test. */
export const SRM_THRESHOLD = 0.001;

export interface SampleRatioCheck {
  chiSquare: number;
  degreesOfFreedom: number;
  pValue: number;
  /** True when p < SRM_THRESHOLD: assignment or exposure logging is broken; do not read the results. */
  mismatch: boolean;
}

/** Pearson's chi-square goodness of fit of the units per variant against the variants' weights. */
export function sampleRatioCheck(units: readonly number[], weights: readonly number[]): SampleRatioCheck | null {
  const total = units.reduce((s, u) => s + u, 0);
  const weightTotal = weights.reduce((s, w) => s + w, 0);
  if (units.length < 2 || units.length !== weights.length || total === 0 || weightTotal <= 0) return null;
  let chiSquare = 0;
  units.forEach((observed, i) => {
    const expected = (total * (weights[i] ?? 0)) / weightTotal;
    if (expected > 0) chiSquare += (observed - expected) ** 2 / expected;
  });
  const degreesOfFreedom = weights.filter((w) => w > 0).length - 1;
  const pValue = degreesOfFreedom > 0 ? chiSquareSurvival(chiSquare, degreesOfFreedom) : 1;
  return { chiSquare, degreesOfFreedom, pValue, mismatch: pValue < SRM_THRESHOLD };
}
