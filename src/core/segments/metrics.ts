/**
 * @module Per-customer value metrics from a stream of orders: recency, frequency and monetary value with
 * their quintile scores, average order value, discount share, return rate, tenure and an expected value, and the
 * repeat-purchase history a customer-value model is fitted to (repeat orders x, days to the last one tx, days
 * observed T, mean repeat order value; Fader, Hardie & Lee 2005), with the repeat orders after `asOf` for a holdout.
 * Memory grows with the number of customers (one small record each) and the days each bought on, never with the
 * number of orders.
 */
import type { Order, RowIssue } from "./orders";

export const DAY_MS = 86_400_000;

/** The last millisecond of the UTC day of `ms`. */
export function endOfDay(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS + DAY_MS - 1;
}

/** Amounts in other currencies converted to `base`: one unit of a currency is worth `rates[currency]` of `base`. */
export interface Rates {
  base: string;
  rates: Record<string, number>;
}

interface CurrencyTotals {
  orders: number;
  gross: number;
  refunded: number;
  /**
   * Time and net amount of each order that may fall in the 365 days before `asOf`, flat ([at, net, at, net, ...]):
   * an order more than 365 days before the latest order read so far never can, and is not kept, so this holds a
   * year of the customer's orders at most.
   */
  recent: number[];
}

/** The window of `netRevenue365d`. */
const YEAR_MS = 365 * DAY_MS;

interface Customer {
  id: string;
  first: number;
  last: number;
  orders: number;
  discounted: number;
  lastOrderId: string;
  lastOrderLine: number;
  /** The currency of the first order and its totals, inline: most customers buy in one currency. */
  currency: string;
  totals: CurrencyTotals;
  /** Totals in any other currency (only without --rates). */
  others: Map<string, CurrencyTotals> | null;
  /** The UTC days the customer ordered on, distinct: their number... */
  dayCount: number;
  /** ...and, from the second one on, the days themselves (a list in the book's DaySets; -1 before). */
  dayList: number;
  /** What the orders of the day of `first` were worth (gross, the currency of `totals`): the first order. */
  firstDayGross: number;
}

export interface CustomerMetrics {
  customerId: string;
  orders: number;
  recencyDays: number;
  tenureDays: number;
  /** The currency of the amounts below: the base currency with rates, else the one most of the orders were in. */
  currency: string;
  /** Net revenue: bought minus refunded. */
  monetary: number;
  /** Average order value, before refunds. */
  aov: number;
  discountShare: number;
  /** Refunded value over bought value. */
  returnRate: number;
  /**
   * Net revenue (bought minus refunded) of the 365 days before `asOf`: the covariate experiments adjust for (CUPED),
   * written into the memberships as `net_revenue_365d`.
   */
  netRevenue365d: number;
  /**
   * Expected net revenue in the next `horizonDays` (default 365): expectedOrders × expectedOrderValue, net of the
   * customer's return rate shrunk towards the store's (value-model.ts), or the heuristic's (`expectedValue`) when
   * the store is too small or too young to fit the model (ComputeResult.model says which).
   */
  expectedValue: number;
  /** The chance the customer is still active, 0..1 (BG/NBD's P(alive); the heuristic's when it stands in). */
  probabilityActive: number;
  /** Expected repeat orders (one a UTC day) in the next `horizonDays` (BG/NBD's E[Y(t)]; the heuristic: orders). */
  expectedOrders: number;
  /** Expected value of one of those orders, gross (Gamma-Gamma's E[M]; the heuristic: net, pulled to the store's). */
  expectedOrderValue: number;
  rScore: number;
  fScore: number;
  mScore: number;
  aovScore: number;
  /** Bought in more than one currency without --rates: amounts count the main currency only. */
  mixedCurrencies: boolean;
}

/**
 * Every customer's repeat-purchase history, the input of a customer-value model (x, tx and T of the BG/NBD model,
 * the mean repeat order value of the Gamma-Gamma model; Fader, Hardie & Lee 2005): index i is `customers[i]`.
 * Orders of one UTC day count as one, as the papers count one transaction a day (a basket split in two, or an
 * order and its add-on, is not a second visit); `CustomerMetrics.orders` still counts every order. Columns of
 * typed arrays, 24 bytes a customer, not fields of each row, which cost more than twice that (the bench's compute
 * peaked 50 MB higher with them).
 */
export interface RepeatHistory {
  /** x: repeat orders, the days ordered on after the first. */
  orders: Int32Array;
  /** tx: days from the first order's day to the last one's (0 for one day of orders). */
  spanDays: Int32Array;
  /** T: days from the first order's day to the day of `asOf`. */
  observedDays: Int32Array;
  /**
   * Mean value of a repeat order, in the customer's scoring currency (`CustomerMetrics.currency`): gross, before
   * refunds (the return rate accounts for those), summed per day and averaged over the days after the first,
   * whose orders are left out as the spend model asks. NaN without repeat orders, and for mixedCurrencies (the
   * amounts of one currency cannot be averaged over the repeat days of all).
   */
  meanValue: Float64Array;
  /** Repeat orders (days ordered on) after `asOf`, which every other figure leaves out: a holdout's actual side. */
  laterOrders: Int32Array;
}

/** Store-wide figures the expected value leans on. */
export interface StoreFigures {
  asOf: number;
  customers: number;
  /** Share of customers with two orders or more. */
  repeatRate: number;
  /** Median days between orders of repeat customers (365 when there are none). */
  typicalGapDays: number;
  /** Net revenue per order, per scoring currency. */
  netOrderValue: Record<string, number>;
}

/**
 * Collects orders one at a time. With `rates`, every amount is converted to the base currency as it comes;
 * without, each customer is scored in the currency most of their orders were in, against the other customers
 * of that currency.
 */
export class CustomerBook {
  private readonly customers = new Map<string, Customer>();
  private latest = Number.NEGATIVE_INFINITY;
  /** The lists of the days each customer ordered on (Customer.dayList). */
  private readonly days = new DaySets();
  /** The UTC days each customer ordered on after `asOf` (see addLater): a list in `laterDays`. */
  private readonly later = new Map<string, number>();
  private readonly laterDays = new DaySets();
  /** The latest order after `asOf`. */
  latestLater = Number.NEGATIVE_INFINITY;
  orders = 0;

  constructor(private readonly rates: Rates | null) {}

  get size(): number {
    return this.customers.size;
  }

  /** Adds one order; an issue instead when it cannot count (no rate for its currency, listed twice). */
  add(order: Order): RowIssue | null {
    let { currency, total, refunded } = order;
    if (this.rates && currency !== this.rates.base) {
      const rate = this.rates.rates[currency];
      if (rate === undefined) return { line: order.line, message: `no rate for ${currency} in --rates (base ${this.rates.base})` };
      total *= rate;
      refunded *= rate;
      currency = this.rates.base;
    }
    let customer = this.customers.get(order.customerId);
    if (customer?.lastOrderId === order.orderId) {
      return { line: order.line, message: `order ${JSON.stringify(order.orderId)} is already on line ${customer.lastOrderLine}` };
    }
    if (!customer) {
      customer = {
        id: order.customerId,
        first: order.at,
        last: order.at,
        orders: 0,
        discounted: 0,
        lastOrderId: "",
        lastOrderLine: 0,
        currency,
        totals: { orders: 0, gross: 0, refunded: 0, recent: [] },
        others: null,
        dayCount: 1,
        dayList: -1,
        firstDayGross: 0,
      };
      this.customers.set(order.customerId, customer);
    }
    this.countDay(customer, order.at, total);
    customer.first = Math.min(customer.first, order.at);
    customer.last = Math.max(customer.last, order.at);
    customer.orders++;
    if (order.discounted) customer.discounted++;
    customer.lastOrderId = order.orderId;
    customer.lastOrderLine = order.line;
    let totals = customer.totals;
    if (currency !== customer.currency) {
      customer.others ??= new Map();
      totals = customer.others.get(currency) ?? { orders: 0, gross: 0, refunded: 0, recent: [] };
      customer.others.set(currency, totals);
    }
    totals.orders++;
    totals.gross += total;
    totals.refunded += refunded;
    if (order.at >= this.latest - YEAR_MS) totals.recent.push(order.at, total - refunded);
    this.latest = Math.max(this.latest, order.at);
    this.orders++;
    return null;
  }

  /**
   * Counts an order placed after `asOf` towards its customer's repeat orders of the later period (a holdout),
   * and nothing else: one a UTC day, like the repeat orders before.
   */
  addLater(customerId: string, at: number): void {
    const list = this.later.get(customerId) ?? -1;
    const day = Math.floor(at / DAY_MS);
    if (!this.laterDays.has(list, day)) this.later.set(customerId, this.laterDays.add(list, day));
    this.latestLater = Math.max(this.latestLater, at);
  }

  /** Counts the UTC day of an order at `at` worth `gross`, before `first` and `last` take it in. */
  private countDay(c: Customer, at: number, gross: number): void {
    const day = Math.floor(at / DAY_MS);
    const firstDay = Math.floor(c.first / DAY_MS);
    const lastDay = Math.floor(c.last / DAY_MS);
    if (day < firstDay) c.firstDayGross = gross;
    else if (day === firstDay) c.firstDayGross += gross;
    // Exports come sorted by time, newest or oldest first, so a day is mostly past one end: new without a look.
    const isNew = day < firstDay || day > lastDay || (day !== firstDay && day !== lastDay && !this.days.has(c.dayList, day));
    if (!isNew) return;
    // One day has no list (most customers): the list starts with the second.
    if (c.dayList < 0) c.dayList = this.days.add(-1, firstDay);
    c.dayList = this.days.add(c.dayList, day);
    c.dayCount++;
  }

  /** Customers with orders after `asOf` only: new in the later period, so in no holdout row. */
  get laterOnlyCustomers(): number {
    let n = 0;
    for (const id of this.later.keys()) if (!this.customers.has(id)) n++;
    return n;
  }

  /**
   * Every customer's metrics and scores, as of `asOf` (default: the end of the day of the latest order in the
   * file, in UTC, so an old export scores as it would have on its day; days are then calendar days). Orders
   * after `asOf` must be left out before (`computeSegments` does).
   */
  metrics(asOf: number = endOfDay(this.latest), horizonDays = 365): { customers: CustomerMetrics[]; store: StoreFigures; repeat: RepeatHistory } {
    const rows: CustomerMetrics[] = [];
    const gaps: number[] = [];
    // Per row: the customer's own days between orders (null for one order) and orders in the scoring currency.
    const ownGap: (number | null)[] = [];
    const ordersInCurrency: number[] = [];
    const groupNet = new Map<string, { net: number; orders: number }>();
    let repeaters = 0;
    const asOfDay = Math.floor(asOf / DAY_MS);
    const n = this.customers.size;
    const repeat: RepeatHistory = {
      orders: new Int32Array(n),
      spanDays: new Int32Array(n),
      observedDays: new Int32Array(n),
      meanValue: new Float64Array(n),
      laterOrders: new Int32Array(n),
    };
    for (const c of this.customers.values()) {
      const i = rows.length;
      const firstDay = Math.floor(c.first / DAY_MS);
      const [currency, main] = mainCurrency(c);
      const recencyDays = Math.max(0, Math.floor((asOf - c.last) / DAY_MS));
      const tenureDays = Math.max(0, Math.floor((asOf - c.first) / DAY_MS));
      const gap = c.orders >= 2 ? repeatGap(c) : null;
      if (gap !== null) {
        repeaters++;
        gaps.push(gap);
      }
      ownGap.push(gap);
      ordersInCurrency.push(main.orders);
      const group = groupNet.get(currency) ?? { net: 0, orders: 0 };
      group.net += main.gross - main.refunded;
      group.orders += main.orders;
      groupNet.set(currency, group);
      rows.push({
        customerId: c.id,
        orders: c.orders,
        recencyDays,
        tenureDays,
        currency,
        monetary: main.gross - main.refunded,
        netRevenue365d: netInWindow(main.recent, asOf - YEAR_MS, asOf),
        aov: main.gross / main.orders,
        discountShare: c.discounted / c.orders,
        returnRate: main.gross > 0 ? main.refunded / main.gross : 0,
        expectedValue: 0,
        probabilityActive: 0,
        expectedOrders: 0,
        expectedOrderValue: 0,
        rScore: 0,
        fScore: 0,
        mScore: 0,
        aovScore: 0,
        mixedCurrencies: c.others !== null,
      });
      const x = c.dayCount - 1;
      repeat.orders[i] = x;
      repeat.spanDays[i] = Math.floor(c.last / DAY_MS) - firstDay;
      repeat.observedDays[i] = Math.max(0, asOfDay - firstDay);
      repeat.meanValue[i] = x > 0 && c.others === null ? (main.gross - c.firstDayGross) / x : Number.NaN;
      repeat.laterOrders[i] = this.laterDays.count(this.later.get(c.id) ?? -1);
    }
    const store: StoreFigures = {
      asOf,
      customers: rows.length,
      repeatRate: rows.length ? repeaters / rows.length : 0,
      typicalGapDays: gaps.length ? median(gaps) : 365,
      netOrderValue: Object.fromEntries([...groupNet].map(([currency, g]) => [currency, g.orders ? g.net / g.orders : 0])),
    };

    // R and F are comparable across currencies; M and order value only within one.
    const r = quintileScores(rows.map((m) => -m.recencyDays));
    const f = quintileScores(rows.map((m) => m.orders));
    rows.forEach((m, i) => {
      m.rScore = r[i] ?? 1;
      m.fScore = f[i] ?? 1;
    });
    for (const currency of groupNet.keys()) {
      const members = rows.filter((m) => m.currency === currency);
      const ms = quintileScores(members.map((m) => m.monetary));
      const aovs = quintileScores(members.map((m) => m.aov));
      members.forEach((m, i) => {
        m.mScore = ms[i] ?? 1;
        m.aovScore = aovs[i] ?? 1;
      });
    }
    rows.forEach((m, i) => {
      const h = heuristicValue(m, ordersInCurrency[i] ?? m.orders, ownGap[i] ?? null, store);
      m.probabilityActive = h.active;
      m.expectedOrders = (h.active * h.ordersAYear * horizonDays) / 365;
      m.expectedOrderValue = h.orderValue;
      m.expectedValue = m.expectedOrders * h.orderValue;
    });
    return { customers: rows, store, repeat };
  }
}

/** The net amounts of the orders in `recent` (flat [at, net, ...]) placed after `from` and up to `to`. */
function netInWindow(recent: readonly number[], from: number, to: number): number {
  let net = 0;
  for (let i = 0; i + 1 < recent.length; i += 2) {
    const at = recent[i] ?? 0;
    if (at > from && at <= to) net += recent[i + 1] ?? 0;
  }
  return net;
}

/**
 * Sets of days, each a linked list of [day, next] pairs in pages of Int32Array: 8 bytes a day, where an array per
 * customer costs a hundred bytes or more. A list is named by its head (-1: empty); adding returns the new head.
 * Looking a day up walks the list, which the caller saves where the day is past either end of the customer's days.
 */
class DaySets {
  /** Pages of PAGE cells, so that growing never copies (nor holds the old and the new at once). */
  private readonly pages: Int32Array[] = [];
  private used = 0;

  has(list: number, day: number): boolean {
    for (let at = list; at >= 0; at = this.cell(at + 1)) if (this.cell(at) === day) return true;
    return false;
  }

  add(list: number, day: number): number {
    const at = this.used;
    if ((at & PAGE_MASK) === 0) this.pages.push(new Int32Array(PAGE));
    const page = this.pages[at >>> PAGE_BITS];
    if (page) {
      page[at & PAGE_MASK] = day;
      page[(at & PAGE_MASK) + 1] = list;
    }
    this.used += 2;
    return at;
  }

  count(list: number): number {
    let n = 0;
    for (let at = list; at >= 0; at = this.cell(at + 1)) n++;
    return n;
  }

  private cell(at: number): number {
    return this.pages[at >>> PAGE_BITS]?.[at & PAGE_MASK] ?? -1;
  }
}

/** DaySets' page: 2^16 cells, 256 KB. */
const PAGE_BITS = 16;
const PAGE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE - 1;

/** The currency most of a customer's orders were in (ties: the larger gross), with its totals. */
function mainCurrency(c: Customer): [string, CurrencyTotals] {
  let best: [string, CurrencyTotals] = [c.currency, c.totals];
  for (const entry of c.others ?? []) {
    if (entry[1].orders > best[1].orders || (entry[1].orders === best[1].orders && entry[1].gross > best[1].gross)) best = entry;
  }
  return best;
}

/** Mean days between a repeat customer's orders, at least a week (two orders on one day are not a daily habit). */
function repeatGap(c: Customer): number {
  return Math.max(7, (c.last - c.first) / DAY_MS / (c.orders - 1));
}

function median(values: number[]): number {
  const sorted = Float64Array.from(values).sort();
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
}

/** How many orders a year an active customer places at most. */
const MAX_ORDERS_A_YEAR = 52;
/** Orders' worth of weight the store's net order value gets against a customer's own. */
const PRIOR_ORDERS = 2;

/**
 * The heuristic the fitted model (value-model.ts) replaces, kept as its fallback for a store too small or too young
 * to fit. Expected net revenue in the next 365 days: the chance the customer is still active, times the orders a
 * year they place when active, times what an order of theirs is worth after refunds.
 * - Orders a year: 365 over their mean days between orders; one-time buyers get the store's typical gap.
 * - Still active: 1 until they are overdue by one gap, then falling as exp(-overdue / gap); a one-time
 *   buyer starts at the store's repeat rate, the share of customers who ever came back.
 * - Worth of an order: their net order value, pulled towards the store's by two orders' weight, so one
 *   large order is not taken for a habit.
 */
export function expectedValue(m: CustomerMetrics, ordersInCurrency: number, gapDays: number | null, store: StoreFigures): number {
  const { active, ordersAYear, orderValue } = heuristicValue(m, ordersInCurrency, gapDays, store);
  return active * ordersAYear * orderValue;
}

/** The heuristic's three factors: still active, orders a year when active, net value of an order. */
function heuristicValue(m: CustomerMetrics, ordersInCurrency: number, gapDays: number | null, store: StoreFigures): { active: number; ordersAYear: number; orderValue: number } {
  const gap = gapDays ?? store.typicalGapDays;
  const overdue = Math.max(0, m.recencyDays - gap);
  const active = (gapDays === null ? store.repeatRate : 1) * Math.exp(-overdue / gap);
  const ordersAYear = Math.min(MAX_ORDERS_A_YEAR, 365 / gap);
  const ownValue = m.monetary / ordersInCurrency;
  const storeValue = store.netOrderValue[m.currency] ?? ownValue;
  const orderValue = (ordersInCurrency * ownValue + PRIOR_ORDERS * storeValue) / (ordersInCurrency + PRIOR_ORDERS);
  return { active, ordersAYear, orderValue };
}

/**
 * Scores 1 to 5 by quintile, higher values scoring higher: 1 + floor(5 × share of values strictly below).
 * Equal values share a score, so where many customers tie (one order, most often) a score can be skipped.
 */
export function quintileScores(values: number[]): Uint8Array {
  const n = values.length;
  const sorted = Float64Array.from(values).sort();
  const scores = new Uint8Array(n);
  values.forEach((v, i) => {
    let lo = 0;
    let hi = n;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if ((sorted[mid] ?? 0) < v) lo = mid + 1;
      else hi = mid;
    }
    scores[i] = Math.min(5, 1 + Math.floor((5 * lo) / n));
  });
  return scores;
}
