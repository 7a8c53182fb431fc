/**
 * @module `valuebar segments compute` without the file system: orders export (and Shopify's customers export)
 * in as chunks of text, every customer's metrics and segments plus a summary out. The CLI adds the files.
 */
import { CsvReader } from "../csv";
import type { CustomerMetrics, Rates, RepeatHistory, StoreFigures } from "./metrics";
import { CustomerBook, DAY_MS } from "./metrics";
import type { Layout, RowIssue, Skipped } from "./orders";
import { CustomerRows, InputError, OrderRows } from "./orders";
import type { Rules } from "./rules";
import { assignSegments, moneyConditions } from "./rules";
import type { FittedModel, ValueModel } from "./value-model";
import { applyValueModel, fitValueModel, predictedRepeatOrders } from "./value-model";

export interface ComputeOptions {
  rules: Rules;
  rates?: Rates | null;
  /** Shopify's customers export, for a Shopify orders export. */
  customers?: AsyncIterable<string> | null;
  /** ms since epoch; default the end of the UTC day of the latest order. Later orders are left out. */
  asOf?: number;
  /** Bad rows kept with their message (all are counted). */
  keepIssues?: number;
  /** The horizon of expected orders: the next this many days (default DEFAULT_HORIZON_DAYS). */
  horizonDays?: number;
  /** "heuristic": keep the heuristic expected value without fitting (its reference test); default: fit when the store allows. */
  valueModel?: "fitted" | "heuristic";
}

/** The horizon of expected orders by default: a year. */
export const DEFAULT_HORIZON_DAYS = 365;
/** The longest horizon accepted: ten years, beyond which no store's history says anything. */
export const MAX_HORIZON_DAYS = 3650;

/** A horizon in whole days, 1 to MAX_HORIZON_DAYS, from text (a command-line value); null when it is not one. */
export function parseHorizonDays(text: string): number | null {
  if (!/^\d+$/.test(text.trim())) return null;
  const days = Number(text.trim());
  return days >= 1 && days <= MAX_HORIZON_DAYS ? days : null;
}

/** Customers with a given number of repeat orders before `asOf` and their repeat orders after it. */
export interface HoldoutRow {
  /** Repeat orders before `asOf` (x); the last row counts this many or more. */
  x: number;
  customers: number;
  /** Their repeat orders after `asOf`, one a UTC day. */
  actual: number;
  /** The fitted model's expected repeat orders of theirs in those days (Σ E[Y(t)]); null without a fitted model. */
  predicted: number | null;
}

/**
 * The later period when `asOf` is before the latest order: the calibration check of Fader, Hardie & Lee (2005),
 * Figure 4. Customers whose first order came after `asOf` are in no row (`newCustomers`).
 */
export interface Holdout {
  /** Days from the day of `asOf` to the day of the latest order. */
  days: number;
  /** x = 0, 1, ..., HOLDOUT_TOP_ROW (that many or more). */
  byCalibrationOrders: HoldoutRow[];
  /** Repeat orders after `asOf` of all customers known at `asOf`. */
  total: number;
  /** The fitted model's expectation of `total`; null without a fitted model. */
  predictedTotal: number | null;
  newCustomers: number;
}

/** The holdout table's last row: this many repeat orders or more, as in the paper. */
export const HOLDOUT_TOP_ROW = 7;

export interface SegmentSummary {
  segment: string;
  customers: number;
  /** Share of all customers. */
  share: number;
  /** Share of net revenue, per scoring currency. */
  revenueShare: Record<string, number>;
}

export interface ComputeResult {
  layout: Layout;
  /** Data rows read (line items for Shopify). */
  rows: number;
  /** Orders counted. */
  orders: number;
  skipped: Skipped;
  badRows: number;
  issues: RowIssue[];
  customers: CustomerMetrics[];
  /** Segments of `customers[i]`. */
  segments: string[][];
  /** The repeat-purchase history of `customers[i]`, for a customer-value model. */
  repeat: RepeatHistory;
  store: StoreFigures;
  /** Scoring currencies, largest net revenue first. */
  currencies: string[];
  /** Customers who bought in more than one currency without rates. */
  mixedCurrencyCustomers: number;
  /** Per rule in order, then "(none)" for customers in no segment. */
  summary: SegmentSummary[];
  /** The horizon of expected orders, in days. */
  horizonDays: number;
  /** The repeat orders after `asOf`, when there were orders after it; null otherwise. */
  holdout: Holdout | null;
  /** Which model gave the expected values: the fitted one with its parameters, or the heuristic and why. */
  model: ValueModel;
}

/** Reads all of `source` into `sink` through a CSV reader. */
async function readCsv(source: AsyncIterable<string>, sink: (fields: string[], line: number) => void, malformed: (issue: RowIssue) => void): Promise<void> {
  const reader = new CsvReader({ record: sink, malformed: (line, message) => malformed({ line, message }) });
  for await (const chunk of source) reader.push(chunk);
  reader.end();
}

export async function computeSegments(orders: AsyncIterable<string>, options: ComputeOptions): Promise<ComputeResult> {
  const keep = options.keepIssues ?? 100;
  const issues: RowIssue[] = [];
  let badRows = 0;
  const report = (issue: RowIssue) => {
    badRows++;
    if (issues.length < keep) issues.push(issue);
  };

  let customersByEmail: Map<string, string> | null = null;
  if (options.customers) {
    const rows = new CustomerRows((issue) => report({ ...issue, message: `customers export: ${issue.message}` }));
    await readCsv(options.customers, (fields, line) => rows.record(fields, line), (issue) => report({ ...issue, message: `customers export: ${issue.message}` }));
    customersByEmail = rows.byEmail;
  }

  const book = new CustomerBook(options.rates ?? null);
  const reader = new OrderRows(
    {
      order: (order) => {
        // Scoring as of an earlier day: what came after did not exist yet.
        if (options.asOf !== undefined && order.at > options.asOf) {
          reader.skipped.afterAsOf++;
          book.addLater(order.customerId, order.at);
          return;
        }
        const issue = book.add(order);
        if (issue) report(issue);
      },
      issue: report,
    },
    customersByEmail,
  );
  await readCsv(orders, (fields, line) => reader.record(fields, line), report);
  const layout = reader.detected;
  if (!layout) throw new InputError(issues[0] ? `the orders file cannot be read: line ${issues[0].line}: ${issues[0].message}` : "the orders file is empty");
  if (book.size === 0) {
    throw new InputError(
      badRows > 0 ? `no order could be read: all ${badRows} row(s) are invalid (line ${issues[0]?.line}: ${issues[0]?.message})` : "the orders file has no orders",
    );
  }

  const horizonDays = options.horizonDays ?? DEFAULT_HORIZON_DAYS;
  const { customers, store, repeat } = book.metrics(options.asOf, horizonDays);
  const totals = new Map<string, number>();
  let mixedCurrencyCustomers = 0;
  for (const m of customers) {
    totals.set(m.currency, (totals.get(m.currency) ?? 0) + m.monetary);
    if (m.mixedCurrencies) mixedCurrencyCustomers++;
  }
  const currencies = [...totals.keys()].sort((a, b) => (totals.get(b) ?? 0) - (totals.get(a) ?? 0));
  const money = moneyConditions(options.rules);
  if (currencies.length > 1 && money.length > 0) {
    throw new InputError(
      `the rules compare amounts of money (${money.join(", ")}) but the orders are in ${currencies.join(", ")}: ` +
        "convert them to one currency with --rates, or use scores (m_score, aov_score) instead",
    );
  }

  const model: ValueModel = options.valueModel === "heuristic" ? { kind: "heuristic", reason: "asked for (valueModel)" } : fitValueModel(customers, repeat, currencies);
  if (model.kind !== "heuristic") applyValueModel(model, customers, repeat, horizonDays);

  const segments = customers.map((m) => assignSegments(options.rules, m));
  return {
    layout,
    rows: reader.rows,
    orders: book.orders,
    skipped: reader.skipped,
    badRows,
    issues,
    customers,
    segments,
    repeat,
    store,
    currencies,
    mixedCurrencyCustomers,
    summary: summarize(options.rules, customers, segments, totals),
    horizonDays,
    holdout: options.asOf !== undefined && reader.skipped.afterAsOf > 0 ? holdout(repeat, book, options.asOf, model.kind === "heuristic" ? null : model) : null,
    model,
  };
}

/** The repeat orders after `asOf`, by the customers' repeat orders before it. */
function holdout(repeat: RepeatHistory, book: CustomerBook, asOf: number, model: FittedModel | null): Holdout {
  const days = Math.floor(book.latestLater / DAY_MS) - Math.floor(asOf / DAY_MS);
  const rows: HoldoutRow[] = Array.from({ length: HOLDOUT_TOP_ROW + 1 }, (_, x) => ({ x, customers: 0, actual: 0, predicted: model ? 0 : null }));
  let total = 0;
  let predictedTotal = 0;
  repeat.orders.forEach((x, i) => {
    const later = repeat.laterOrders[i] ?? 0;
    const predicted = model ? predictedRepeatOrders(model, repeat, i, days) : 0;
    const row = rows[Math.min(HOLDOUT_TOP_ROW, x)];
    if (row) {
      row.customers++;
      row.actual += later;
      if (row.predicted !== null) row.predicted += predicted;
    }
    total += later;
    predictedTotal += predicted;
  });
  return {
    days,
    byCalibrationOrders: rows,
    total,
    predictedTotal: model ? predictedTotal : null,
    newCustomers: book.laterOnlyCustomers,
  };
}

function summarize(rules: Rules, customers: CustomerMetrics[], segments: string[][], totals: Map<string, number>): SegmentSummary[] {
  const ids = [...rules.segments.map((r) => r.id), "(none)"];
  const count = new Map(ids.map((id) => [id, 0]));
  const revenue = new Map(ids.map((id) => [id, new Map<string, number>()]));
  customers.forEach((m, i) => {
    const list = segments[i]?.length ? (segments[i] ?? []) : ["(none)"];
    for (const id of list) {
      count.set(id, (count.get(id) ?? 0) + 1);
      const byCurrency = revenue.get(id);
      byCurrency?.set(m.currency, (byCurrency.get(m.currency) ?? 0) + m.monetary);
    }
  });
  return ids.map((segment) => ({
    segment,
    customers: count.get(segment) ?? 0,
    share: customers.length ? (count.get(segment) ?? 0) / customers.length : 0,
    revenueShare: Object.fromEntries(
      [...totals].map(([currency, total]) => [currency, total > 0 ? (revenue.get(segment)?.get(currency) ?? 0) / total : 0]),
    ),
  }));
}
