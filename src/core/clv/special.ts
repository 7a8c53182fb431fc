/**
 * @module The special functions the customer-value models need: ln Γ (the Lanczos form of src/core/stats.ts), ln B,
 * and the Gauss hypergeometric function 2F1(a, b; c; z) of the BG/NBD conditional expectation (Fader, Hardie & Lee
 * 2005, eq. 10). 2F1 sums its defining series (Abramowitz & Stegun 15.1.1) where that converges fast (|z| ≤ 0.9), maps
 * negative z into (0, 1) with Pfaff's transformation (A&S 15.3.4), and near z = 1 uses the connection formula in
 * 1 − z (A&S 15.3.6), whose series converge fast there, unless c − a − b is close to an integer (where that formula's
 * gamma terms cancel): then the plain series, which still converges for z < 1, only more slowly. Checked against
 * SciPy's hyp2f1, gammaln and betaln in test/core/clv-reference.json (generator: test/core/make-clv-reference.py).
 */
import { lnGamma } from "../stats";

export { lnGamma };

/** ln B(a, b) = ln Γ(a) + ln Γ(b) − ln Γ(a + b), for a, b > 0. */
export function lnBeta(a: number, b: number): number {
  return lnGamma(a) + lnGamma(b) - lnGamma(a + b);
}

/** Γ(x) as a sign and ln |Γ(x)|, for any real x that is not 0 or a negative integer (reflection, A&S 6.1.17). */
function signedLnGamma(x: number): { sign: number; ln: number } {
  if (x > 0) return { sign: 1, ln: lnGamma(x) };
  const s = Math.sin(Math.PI * x);
  return { sign: s < 0 ? -1 : 1, ln: Math.log(Math.PI / Math.abs(s)) - lnGamma(1 - x) };
}

const SERIES_EPS = 1e-16;
/** Enough terms for z = 0.9999 to 1e-16 with parameters in the hundreds; a customer model never comes near. */
const SERIES_TERMS = 2_000_000;

/** A&S 15.1.1: Σ (a)ₙ(b)ₙ/((c)ₙ n!) zⁿ, for |z| < 1. */
function series(a: number, b: number, c: number, z: number): number {
  let term = 1;
  let sum = 1;
  for (let n = 0; n < SERIES_TERMS; n++) {
    term *= ((a + n) * (b + n) * z) / ((c + n) * (n + 1));
    sum += term;
    if (Math.abs(term) <= SERIES_EPS * Math.abs(sum)) return sum;
    // A terminating series (a or b a non-positive integer).
    if (term === 0) return sum;
  }
  return sum;
}

/** How close c − a − b may come to an integer before A&S 15.3.6 loses more digits than the slow series would. */
const INTEGER_GAP = 1e-3;

/**
 * 2F1(a, b; c; z) for real z < 1 and c not 0 or a negative integer.
 *
 * @example hyp2f1(1, 1, 2, 0.5) // −ln(1 − 0.5)/0.5 = 1.3862943611198906
 */
export function hyp2f1(a: number, b: number, c: number, z: number): number {
  if (!(z < 1)) return Number.NaN;
  if (z === 0) return 1;
  // A&S 15.3.4: 2F1(a, b; c; z) = (1 − z)^(−a) 2F1(a, c − b; c; z/(z − 1)), which maps z < 0 into (0, 1).
  if (z < 0) return (1 - z) ** -a * hyp2f1(a, c - b, c, z / (z - 1));
  if (z <= 0.9) return series(a, b, c, z);
  const s = c - a - b;
  if (Math.abs(s - Math.round(s)) < INTEGER_GAP) return series(a, b, c, z);
  // A&S 15.3.6: 2F1(a, b; c; z) = Γ(c)Γ(s)/(Γ(c−a)Γ(c−b)) 2F1(a, b; 1−s; 1−z)
  //   + (1 − z)^s Γ(c)Γ(−s)/(Γ(a)Γ(b)) 2F1(c−a, c−b; 1+s; 1−z),  s = c − a − b.
  const gc = signedLnGamma(c);
  const g1 = [signedLnGamma(s), signedLnGamma(c - a), signedLnGamma(c - b)] as const;
  const g2 = [signedLnGamma(-s), signedLnGamma(a), signedLnGamma(b)] as const;
  const w = 1 - z;
  const first =
    gc.sign * g1[0].sign * g1[1].sign * g1[2].sign * Math.exp(gc.ln + g1[0].ln - g1[1].ln - g1[2].ln) * series(a, b, 1 - s, w);
  const second =
    gc.sign *
    g2[0].sign *
    g2[1].sign *
    g2[2].sign *
    Math.exp(s * Math.log(w) + gc.ln + g2[0].ln - g2[1].ln - g2[2].ln) *
    series(c - a, c - b, 1 + s, w);
  return first + second;
}
