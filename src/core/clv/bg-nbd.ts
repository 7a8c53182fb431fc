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
 * once, weighted by its count: a few hundred thousand customers fold into far fewer terms.
 */
import { minimize } from "./nelder-mead";
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

interface Group extends RepeatHistory {
  count: number;
}

function groupHistories(customers: readonly RepeatHistory[]): Group[] {
  const groups = new Map<string, Group>();
  for (const { x, tx, T } of customers) {
    const key = `${x} ${tx} ${T}`;
    const group = groups.get(key);
    if (group) group.count++;
    else groups.set(key, { x, tx, T, count: 1 });
  }
  // In a fixed order, so the sum (and the fit) does not depend on the order of the customers.
  return [...groups.values()].sort((p, q) => p.x - q.x || p.tx - q.tx || p.T - q.T);
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
  const groups = groupHistories(customers);
  const n = customers.length;
  const meanT = customers.reduce((sum, c) => sum + c.T, 0) / Math.max(1, n);
  const toParams = (v: readonly number[]): BgNbdParams => ({
    r: Math.exp(v[0] ?? 0),
    alpha: Math.exp(v[1] ?? 0),
    a: Math.exp(v[2] ?? 0),
    b: Math.exp(v[3] ?? 0),
  });
  // The mean negative log-likelihood: per customer, so the tolerances mean the same for any store size.
  const objective = (v: readonly number[]): number => {
    const p = toParams(v);
    let total = 0;
    for (const g of groups) total += g.count * bgNbdLogLikelihood(p, g);
    return -total / n;
  };
  const result = minimize(objective, [0, Math.log(Math.max(meanT, 1e-6)), 0, 0]);
  return { params: toParams(result.x), logLikelihood: -result.value * n, iterations: result.iterations, converged: result.converged };
}

/** P(alive | x, tₓ, T), eq. 13: a customer with no repeat purchase is alive for certain (they have had no chance to drop out). */
export function probabilityAlive(p: BgNbdParams, h: RepeatHistory): number {
  if (h.x === 0) return 1;
  return 1 / (1 + (p.a / (p.b + h.x - 1)) * Math.exp((p.r + h.x) * Math.log((p.alpha + h.T) / (p.alpha + h.tx))));
}

/** E[Y(t) | x, tₓ, T]: expected repeat transactions in the next t (conditional expectation, paper eq. 10). Defined for a ≠ 1 (for a < 1 both factors of eq. 10 are negative). */
export function expectedRepeatOrders(p: BgNbdParams, h: RepeatHistory, t: number): number {
  if (t <= 0) return 0;
  const { r, alpha, a, b } = p;
  const { x, T } = h;
  const z = t / (alpha + T + t);
  const decay = Math.exp((r + x) * Math.log((alpha + T) / (alpha + T + t)));
  const numerator = ((a + b + x - 1) / (a - 1)) * (1 - decay * hyp2f1(r + x, b + x, a + b + x - 1, z));
  return numerator * probabilityAlive(p, h);
}
