/**
 * @module The BG/NBD model of repeat buying (Fader, Hardie & Lee 2005, "Counting your customers the easy way: an
 * alternative to the Pareto/NBD model", Marketing Science 24(2)): while active, a customer buys at a Poisson rate λ
 * (gamma(r, α) across customers); after each purchase they drop out with probability p (beta(a, b) across customers).
 * Fitted by maximum likelihood to each customer's (x, tₓ, T): the log-likelihood in closed form is eq. 6 of the paper
 * as written in Fader, Hardie & Lee's note "Implementing the BG/NBD model for customer base analysis in Excel" (2005):
 *   LL = ln A₁ + ln A₂ + ln(exp(A₃) + δₓ₍>₀₎ exp(A₄)),
 *   A₁ = lnΓ(r+x) − lnΓ(r) + r ln α,  A₂ = lnΓ(a+b) + lnΓ(b+x) − lnΓ(b) − lnΓ(a+b+x),
 *   A₃ = −(r+x) ln(α+T),  A₄ = ln a − ln(b+x−1) − (r+x) ln(α+tₓ).
 * P(alive | x, tₓ, T) is the paper's eq. 13 and E[Y(t) | x, tₓ, T] its eq. 10. Time is in whatever unit the histories
 * use (α shares it). Customers with the same (x, tₓ, T) add the same term, so the fit evaluates each distinct triple
 * once, weighted by its count, and its gamma functions once per distinct x: a few hundred thousand customers
 * fold into far fewer terms.
 */
import { minimize, withinShapeBounds } from "./nelder-mead";
import { hyp2f1, lnGamma } from "./special";

export interface BgNbdParams {
  r: number;
  alpha: number;
  a: number;
  b: number;
}

/** x: repeat transactions; tx: time of the last one since the first; T: time from the first to the end of calibration; same unit. */
export interface RepeatHistory {
  x: number;
  tx: number;
  T: number;
}

export interface BgNbdFit {
  params: BgNbdParams;
  /** The log-likelihood of all customers at `params` (eq. 6 summed). */
  logLikelihood: number;
  iterations: number;
  converged: boolean;
}

/**
 * The customers folded for the likelihood: each distinct (x, tₓ, T) once with its count, as indices into the distinct
 * x, tₓ and T values. The gamma-function terms depend on x alone and the logarithms on tₓ or T alone, so one
 * evaluation computes them per distinct value and spends one exp and one log per distinct triple.
 */
interface Folded {
  xs: Float64Array;
  txs: Float64Array;
  Ts: Float64Array;
  count: Float64Array;
  xIndex: Int32Array;
  txIndex: Int32Array;
  TIndex: Int32Array;
}

function distinctIndex(values: readonly number[]): { values: Float64Array; index: Map<number, number> } {
  const sorted = [...new Set(values)].sort((p, q) => p - q);
  return { values: Float64Array.from(sorted), index: new Map(sorted.map((v, i) => [v, i])) };
}

function fold(customers: readonly RepeatHistory[]): Folded {
  const triples = new Map<string, { h: RepeatHistory; count: number }>();
  for (const h of customers) {
    const key = `${h.x} ${h.tx} ${h.T}`;
    const triple = triples.get(key);
    if (triple) triple.count++;
    else triples.set(key, { h, count: 1 });
  }
  // In a fixed order, so the sum (and the fit) does not depend on the order of the customers.
  const groups = [...triples.values()].sort((p, q) => p.h.x - q.h.x || p.h.tx - q.h.tx || p.h.T - q.h.T);
  const x = distinctIndex(groups.map((g) => g.h.x));
  const tx = distinctIndex(groups.map((g) => g.h.tx));
  const T = distinctIndex(groups.map((g) => g.h.T));
  return {
    xs: x.values,
    txs: tx.values,
    Ts: T.values,
    count: Float64Array.from(groups, (g) => g.count),
    xIndex: Int32Array.from(groups, (g) => x.index.get(g.h.x) ?? 0),
    txIndex: Int32Array.from(groups, (g) => tx.index.get(g.h.tx) ?? 0),
    TIndex: Int32Array.from(groups, (g) => T.index.get(g.h.T) ?? 0),
  };
}

/** The log-likelihood of all folded customers: eq. 6 summed, term by term as bgNbdLogLikelihood writes it. */
function foldedLogLikelihood(p: BgNbdParams, f: Folded): number {
  const { r, alpha, a, b } = p;
  const base = r * Math.log(alpha) - lnGamma(r) + lnGamma(a + b) - lnGamma(b);
  const shared = f.xs.map((x) => base + lnGamma(r + x) + lnGamma(b + x) - lnGamma(a + b + x));
  const dropout = f.xs.map((x) => (x > 0 ? Math.log(a) - Math.log(b + x - 1) : 0));
  const lnT = f.Ts.map((T) => Math.log(alpha + T));
  const lnTx = f.txs.map((tx) => Math.log(alpha + tx));
  let total = 0;
  for (let i = 0; i < f.count.length; i++) {
    const k = f.xIndex[i] ?? 0;
    const x = f.xs[k] ?? 0;
    const a3 = -(r + x) * (lnT[f.TIndex[i] ?? 0] ?? 0);
    let term = (shared[k] ?? 0) + a3;
    if (x > 0) {
      const a4 = (dropout[k] ?? 0) - (r + x) * (lnTx[f.txIndex[i] ?? 0] ?? 0);
      term = (shared[k] ?? 0) + Math.max(a3, a4) + Math.log1p(Math.exp(-Math.abs(a3 - a4)));
    }
    total += (f.count[i] ?? 0) * term;
  }
  return total;
}

/** One customer's log-likelihood (eq. 6, in the note's A₁..A₄ form). */
export function bgNbdLogLikelihood(p: BgNbdParams, h: RepeatHistory): number {
  const { r, alpha, a, b } = p;
  const { x, tx, T } = h;
  const a1 = lnGamma(r + x) - lnGamma(r) + r * Math.log(alpha);
  const a2 = lnGamma(a + b) + lnGamma(b + x) - lnGamma(b) - lnGamma(a + b + x);
  const a3 = -(r + x) * Math.log(alpha + T);
  if (x === 0) return a1 + a2 + a3;
  const a4 = Math.log(a) - Math.log(b + x - 1) - (r + x) * Math.log(alpha + tx);
  // ln(e^A₃ + e^A₄) without overflow.
  const top = Math.max(a3, a4);
  return a1 + a2 + top + Math.log(Math.exp(a3 - top) + Math.exp(a4 - top));
}

/**
 * Maximum-likelihood BG/NBD parameters. Nelder-Mead over ln r, ln α, ln a, ln b, from r = a = b = 1 and α = the
 * customers' mean T (α is a time scale; starting on the data's scale keeps the start independent of the unit).
 */
export function fitBgNbd(customers: readonly RepeatHistory[]): BgNbdFit {
  const folded = fold(customers);
  const n = customers.length;
  const meanT = customers.reduce((sum, c) => sum + c.T, 0) / Math.max(1, n);
  const toParams = (v: readonly number[]): BgNbdParams => ({
    r: Math.exp(v[0] ?? 0),
    alpha: Math.exp(v[1] ?? 0),
    a: Math.exp(v[2] ?? 0),
    b: Math.exp(v[3] ?? 0),
  });
  // The mean negative log-likelihood: per customer, so the tolerances mean the same for any store size.
  // r, a and b within 10⁻⁴..10⁴ (nelder-mead.ts says why); α is on the time scale and free.
  const objective = (v: readonly number[]): number =>
    withinShapeBounds(v, [0, 2, 3]) ? -foldedLogLikelihood(toParams(v), folded) / n : Number.POSITIVE_INFINITY;
  const result = minimize(objective, [0, Math.log(Math.max(meanT, 1e-6)), 0, 0]);
  return { params: toParams(result.x), logLikelihood: -result.value * n, iterations: result.iterations, converged: result.converged };
}

/** P(alive | x, tₓ, T), eq. 13: a customer with no repeat purchase is alive for certain (they have had no chance to drop out). */
export function probabilityAlive(p: BgNbdParams, h: RepeatHistory): number {
  if (h.x === 0) return 1;
  return 1 / (1 + (p.a / (p.b + h.x - 1)) * Math.exp((p.r + h.x) * Math.log((p.alpha + h.T) / (p.alpha + h.tx))));
}

/** E[Y(t) | x, tₓ, T]: expected repeat transactions in the next t (conditional expectation, paper eq. 10). For a < 1 both factors of eq. 10 are negative. */
export function expectedRepeatOrders(p: BgNbdParams, h: RepeatHistory, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, b } = p;
  // At a = 1 eq. 10 is 0/0 (its limit is finite); next to it the subtraction loses about eps/|a − 1| relative, so a
  // fit that lands within 10⁻⁷ of 1 is evaluated 10⁻⁷ away: an error near 10⁻⁷ instead of a division by zero.
  const a = Math.abs(p.a - 1) < 1e-7 ? 1 + 1e-7 : p.a;
  const { x, T } = h;
  const z = t / (alpha + T + t);
  const decay = Math.exp((r + x) * Math.log((alpha + T) / (alpha + T + t)));
  const numerator = ((a + b + x - 1) / (a - 1)) * (1 - decay * hyp2f1(r + x, b + x, a + b + x - 1, z));
  return numerator * probabilityAlive(p, h);
}
