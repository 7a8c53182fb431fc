/**
 * @module The Gamma-Gamma model of spend per transaction (Fader, Hardie & Lee 2005, "RFM and CLV: using iso-value
 * curves for customer base analysis", Journal of Marketing Research 42(4); the likelihood as written in Fader &
 * Hardie's note "The Gamma-Gamma model of monetary value", 2013): a customer's transaction values are gamma(p, ν),
 * ν is gamma(q, γ) across customers, independent of how often they buy. Fitted to each customer's number of repeat
 * transactions x ≥ 1 and their mean value m̄, whose density (note, eq. 3) is
 *   f(m̄ | p, q, γ; x) = Γ(px+q)/(Γ(px)Γ(q)) · γ^q (m̄x)^(px−1) x / (γ + m̄x)^(px+q).
 * E[M | x, m̄] (note, eq. 5; paper eq. 5) = (q−1)/(px+q−1) · pγ/(q−1) + px/(px+q−1) · m̄: a weighted mean of the
 * population mean pγ/(q−1) and the customer's own mean, leaning on the own mean as x grows.
 */
import { minimize, withinShapeBounds } from "./nelder-mead";
import { lnGamma } from "./special";

export interface GammaGammaParams {
  p: number;
  q: number;
  gamma: number;
}

/** x: number of repeat transactions (≥ 1 to enter the fit); meanValue: the mean value of those repeat transactions. */
export interface SpendHistory {
  x: number;
  meanValue: number;
}

export interface GammaGammaFit {
  params: GammaGammaParams;
  /** The log-likelihood of the customers with x ≥ 1 and a positive mean value, at `params`. */
  logLikelihood: number;
  iterations: number;
  converged: boolean;
}

/** One customer's log-likelihood, the log of the note's eq. 3. */
export function gammaGammaLogLikelihood(params: GammaGammaParams, h: SpendHistory): number {
  const { p, q, gamma } = params;
  const { x, meanValue: m } = h;
  return (
    lnGamma(p * x + q) -
    lnGamma(p * x) -
    lnGamma(q) +
    q * Math.log(gamma) +
    (p * x - 1) * Math.log(m * x) +
    Math.log(x) -
    (p * x + q) * Math.log(gamma + m * x)
  );
}

/**
 * Maximum-likelihood Gamma-Gamma parameters over the customers with at least one repeat transaction and a positive
 * mean value (the model has no zero-value transactions). Nelder-Mead over ln p, ln q, ln γ, from p = q = 1 and γ = the
 * mean of the mean values (γ is on the money scale).
 */
export function fitGammaGamma(customers: readonly SpendHistory[]): GammaGammaFit {
  // Sorted, so the sum (and the fit) does not depend on the order of the customers.
  const spenders = customers.filter((c) => c.x >= 1 && c.meanValue > 0).sort((p, q) => p.x - q.x || p.meanValue - q.meanValue);
  const n = spenders.length;
  const meanValue = spenders.reduce((sum, c) => sum + c.meanValue, 0) / Math.max(1, n);
  const folded = fold(spenders);
  // The search runs over ln p, ln q and ln(pγ), not ln γ: where the values hardly vary within a customer the
  // likelihood's maximum lies along a ridge p → ∞, γ → 0 with pγ (a scale of the mean order value) nearly fixed; in
  // ln p and ln γ that ridge is a diagonal the simplex crawls along (thousands of iterations on the bench's store),
  // in ln p and ln(pγ) it runs along an axis. The maximum is the same.
  const toParams = (v: readonly number[]): GammaGammaParams => ({ p: Math.exp(v[0] ?? 0), q: Math.exp(v[1] ?? 0), gamma: Math.exp((v[2] ?? 0) - (v[0] ?? 0)) });
  // p and q within 10⁻⁴..10⁴ (nelder-mead.ts says why); γ is on the money scale and free.
  const objective = (v: readonly number[]): number =>
    withinShapeBounds(v, [0, 1]) ? -foldedLogLikelihood(toParams(v), folded) / Math.max(1, n) : Number.POSITIVE_INFINITY;
  const result = minimize(objective, [0, 0, Math.log(Math.max(meanValue, 1e-6))]);
  return { params: toParams(result.x), logLikelihood: -result.value * n, iterations: result.iterations, converged: result.converged };
}

/**
 * The spenders prepared for the likelihood: the gamma functions depend on x alone and ln(m̄x) on no parameter, so
 * per distinct x the count and Σ ln(m̄x) + ln x; per customer only the one term with both γ and m̄, ln(γ + m̄x).
 */
interface Folded {
  xs: Float64Array;
  count: Float64Array;
  sumLnTotal: Float64Array;
  sumLnX: Float64Array;
  /** Per customer: x and m̄x (their total repeat spend). */
  x: Float64Array;
  total: Float64Array;
}

function fold(spenders: readonly SpendHistory[]): Folded {
  const byX = new Map<number, { count: number; sumLnTotal: number; sumLnX: number }>();
  for (const { x, meanValue } of spenders) {
    const row = byX.get(x) ?? { count: 0, sumLnTotal: 0, sumLnX: 0 };
    byX.set(x, row);
    row.count++;
    row.sumLnTotal += Math.log(meanValue * x);
    row.sumLnX += Math.log(x);
  }
  const rows = [...byX].sort(([p], [q]) => p - q);
  return {
    xs: Float64Array.from(rows, ([x]) => x),
    count: Float64Array.from(rows, ([, r]) => r.count),
    sumLnTotal: Float64Array.from(rows, ([, r]) => r.sumLnTotal),
    sumLnX: Float64Array.from(rows, ([, r]) => r.sumLnX),
    x: Float64Array.from(spenders, (c) => c.x),
    total: Float64Array.from(spenders, (c) => c.meanValue * c.x),
  };
}

/** Σ gammaGammaLogLikelihood over the folded spenders. */
function foldedLogLikelihood(params: GammaGammaParams, f: Folded): number {
  const { p, q, gamma } = params;
  let ll = 0;
  for (let k = 0; k < f.xs.length; k++) {
    const x = f.xs[k] ?? 0;
    const count = f.count[k] ?? 0;
    ll += count * (lnGamma(p * x + q) - lnGamma(p * x) - lnGamma(q) + q * Math.log(gamma));
    ll += (p * x - 1) * (f.sumLnTotal[k] ?? 0) + (f.sumLnX[k] ?? 0);
  }
  for (let i = 0; i < f.x.length; i++) ll -= (p * (f.x[i] ?? 0) + q) * Math.log(gamma + (f.total[i] ?? 0));
  return ll;
}

/** E[M | x, m̄]: the customer's expected order value; for x = 0 the population mean p·γ/(q−1) (infinite when q ≤ 1). */
export function expectedOrderValue(params: GammaGammaParams, h: SpendHistory): number {
  const { p, q, gamma } = params;
  if (h.x <= 0) return q > 1 ? (p * gamma) / (q - 1) : Number.POSITIVE_INFINITY;
  return (p * (gamma + h.x * h.meanValue)) / (p * h.x + q - 1);
}
