/**
 * @module Each customer's expected value from a fitted model: BG/NBD (how many repeat orders, and whether the customer
 * is still active) fitted to every customer's repeat history in days, Gamma-Gamma (what an order is worth) fitted to
 * the customers with repeat orders and a positive mean value (src/core/clv). Expected value = expected repeat orders
 * in the horizon × expected order value × (1 − the customer's return rate shrunk towards the store's). A store too
 * small or too young to fit keeps the heuristic of metrics.ts, and says why (`ValueModel`).
 */
import type { BgNbdParams, RepeatHistory as Triple } from "../clv/bg-nbd";
import { expectedRepeatOrders, fitBgNbd, probabilityAlive } from "../clv/bg-nbd";
import type { GammaGammaParams, SpendHistory } from "../clv/gamma-gamma";
import { expectedOrderValue, fitGammaGamma } from "../clv/gamma-gamma";
import type { CustomerMetrics, RepeatHistory } from "./metrics";

export interface FittedModel {
  kind: "bg-nbd+gamma-gamma";
  /** Time in days (α too: α / 7 is the papers' weeks). */
  bgNbd: { params: BgNbdParams; timeUnit: "days"; logLikelihood: number; customers: number; iterations: number };
  /**
   * One fit per scoring currency, largest net revenue first (order values are gross of refunds, in that currency):
   * a customer's order values are compared with their own currency's customers, as their M score is.
   */
  gammaGamma: { currency: string; params: GammaGammaParams; logLikelihood: number; customers: number; iterations: number }[];
  /** Wall time of the fits, in seconds (the bench reports it). */
  fitSeconds: number;
}

export type ValueModel = FittedModel | { kind: "heuristic"; reason: string };

/**
 * The least the fit needs: customers with repeat orders (and a positive mean value, for the spend model). With
 * fewer, four and three parameters rest on a handful of histories and the maximum of the likelihood is mostly
 * noise (CDNOW's sample has 946).
 */
export const MIN_REPEAT_CUSTOMERS = 50;
/**
 * The least history, first order to `asOf`, in days: under three months no customer has had the time to show a
 * buying rate or a dropout, and the model would read the store's first weeks as its habits.
 */
export const MIN_HISTORY_DAYS = 90;
/** Orders' worth of weight the store's return rate gets against a customer's own (a beta prior of that strength). */
export const RETURN_PRIOR_ORDERS = 4;

/**
 * Fits the model to the store's repeat histories, or says why the heuristic stays: too few customers with repeat
 * orders (in any one scoring currency: the spend model is fitted per currency), too short a history, a fit that did
 * not converge, or a spend model without a finite mean (q ≤ 1).
 */
export function fitValueModel(customers: readonly CustomerMetrics[], repeat: RepeatHistory, currencies: readonly string[]): ValueModel {
  const n = repeat.orders.length;
  let history = 0;
  const triples: Triple[] = new Array<Triple>(n);
  const spend = new Map<string, SpendHistory[]>(currencies.map((c) => [c, []]));
  for (let i = 0; i < n; i++) {
    const x = repeat.orders[i] ?? 0;
    const T = repeat.observedDays[i] ?? 0;
    history = Math.max(history, T);
    triples[i] = { x, tx: repeat.spanDays[i] ?? 0, T };
    const meanValue = repeat.meanValue[i] ?? Number.NaN;
    if (x > 0 && meanValue > 0) spend.get(customers[i]?.currency ?? "")?.push({ x, meanValue });
  }
  for (const [currency, spenders] of spend) {
    if (spenders.length < MIN_REPEAT_CUSTOMERS) {
      const where = currencies.length > 1 ? ` in ${currency} (pass --rates to pool the currencies)` : "";
      return { kind: "heuristic", reason: `${spenders.length} customer(s) with repeat orders${where}, fewer than the ${MIN_REPEAT_CUSTOMERS} the fit needs` };
    }
  }
  if (history < MIN_HISTORY_DAYS) return { kind: "heuristic", reason: `${history} day(s) of history, fewer than the ${MIN_HISTORY_DAYS} the fit needs` };
  const started = performance.now();
  const bgNbd = fitBgNbd(triples);
  if (!bgNbd.converged || !Number.isFinite(bgNbd.logLikelihood)) return { kind: "heuristic", reason: "the BG/NBD fit did not converge" };
  const gammaGamma: FittedModel["gammaGamma"] = [];
  for (const [currency, spenders] of spend) {
    const fit = fitGammaGamma(spenders);
    const where = currencies.length > 1 ? ` (${currency})` : "";
    if (!fit.converged || !Number.isFinite(fit.logLikelihood)) return { kind: "heuristic", reason: `the Gamma-Gamma fit${where} did not converge` };
    if (fit.params.q <= 1) return { kind: "heuristic", reason: `the Gamma-Gamma fit${where} has no finite mean order value (q ≤ 1)` };
    gammaGamma.push({ currency, params: fit.params, logLikelihood: fit.logLikelihood, customers: spenders.length, iterations: fit.iterations });
  }
  return {
    kind: "bg-nbd+gamma-gamma",
    bgNbd: { params: bgNbd.params, timeUnit: "days", logLikelihood: bgNbd.logLikelihood, customers: n, iterations: bgNbd.iterations },
    gammaGamma,
    fitSeconds: (performance.now() - started) / 1000,
  };
}

/**
 * Sets each customer's probabilityActive, expectedOrders (repeat orders in the next `horizonDays`), expectedOrderValue
 * and expectedValue from the fitted model. The return rate is shrunk as a beta-binomial mean would be: the store's
 * value-weighted rate ρ counts as RETURN_PRIOR_ORDERS orders against the customer's n, (n·own + k·ρ) / (n + k), so one
 * returned order of a one-off buyer does not zero their value, and a habit of returning does show.
 */
export function applyValueModel(model: FittedModel, customers: CustomerMetrics[], repeat: RepeatHistory, horizonDays: number): void {
  let gross = 0;
  let refunded = 0;
  for (const m of customers) {
    const g = m.aov * m.orders;
    gross += g;
    refunded += g * m.returnRate;
  }
  const storeReturnRate = gross > 0 ? refunded / gross : 0;
  const bg = model.bgNbd.params;
  const spendModel = new Map(model.gammaGamma.map((g) => [g.currency, g.params]));
  // Customers with the same (x, tₓ, T) share P(alive) and E[Y(t)]: each distinct triple once (eq. 10's 2F1 is the cost).
  const perTriple = new Map<number, [number, number]>();
  customers.forEach((m, i) => {
    const h: Triple = { x: repeat.orders[i] ?? 0, tx: repeat.spanDays[i] ?? 0, T: repeat.observedDays[i] ?? 0 };
    // Days fit in 16 bits for 179 years; x below 2^20 orders.
    const key = (h.x * 65_536 + h.tx) * 65_536 + h.T;
    let expected = perTriple.get(key);
    if (!expected) {
      expected = [probabilityAlive(bg, h), expectedRepeatOrders(bg, h, horizonDays)];
      perTriple.set(key, expected);
    }
    const meanValue = repeat.meanValue[i] ?? Number.NaN;
    const gg = spendModel.get(m.currency);
    // Without a repeat order (or with them in several currencies) the customer's own mean says nothing: the currency's mean.
    const orderValue = gg ? expectedOrderValue(gg, Number.isFinite(meanValue) ? { x: h.x, meanValue } : { x: 0, meanValue: 0 }) : 0;
    const returnRate = (m.orders * m.returnRate + RETURN_PRIOR_ORDERS * storeReturnRate) / (m.orders + RETURN_PRIOR_ORDERS);
    m.probabilityActive = expected[0];
    m.expectedOrders = expected[1];
    m.expectedOrderValue = orderValue;
    m.expectedValue = expected[1] * orderValue * (1 - returnRate);
  });
}

/** Expected repeat orders in the next `days` of one customer (the holdout's predicted side). */
export function predictedRepeatOrders(model: FittedModel, repeat: RepeatHistory, i: number, days: number): number {
  return expectedRepeatOrders(model.bgNbd.params, { x: repeat.orders[i] ?? 0, tx: repeat.spanDays[i] ?? 0, T: repeat.observedDays[i] ?? 0 }, days);
}
