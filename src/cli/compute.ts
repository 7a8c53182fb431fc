/**
 * @module `valuebar segments compute`: an orders export in, memberships NDJSON (and optionally every
 * customer's metrics as CSV) out, with a summary per segment on stderr.
 */
import { z } from "zod";
import type { ComputeResult } from "../core/segments/compute";
import { csvTextField } from "../core/csv";
import { computeSegments, DEFAULT_HORIZON_DAYS, HOLDOUT_TOP_ROW, MAX_HORIZON_DAYS, parseHorizonDays } from "../core/segments/compute";
import type { Rates } from "../core/segments/metrics";
import { DAY_MS } from "../core/segments/metrics";
import { DEFAULT_COVARIATE } from "../core/exposure-unit";
import { InputError, parseTime } from "../core/segments/orders";
import type { Rules } from "../core/segments/rules";
import { DEFAULT_RULES, parseRules } from "../core/segments/rules";
import { CliError } from "./errors";
import { readJsonFile, textChunks, writeWhole } from "./files";
import { CURRENCY_CODE, CURRENCY_RULE } from "../core/shared";

export interface ComputeArgs {
  orders: string;
  customers?: string | undefined;
  rules?: string | undefined;
  rates?: string | undefined;
  asOf?: string | undefined;
  horizonDays?: string | undefined;
  out: string;
  metrics?: string | undefined;
  strict: boolean;
}

const RatesSchema = z.strictObject({
  base: z.string().regex(CURRENCY_CODE, CURRENCY_RULE),
  rates: z.record(z.string().regex(CURRENCY_CODE, CURRENCY_RULE), z.number().positive("a rate is a positive number")),
});

/** Bad rows listed on the terminal; all of them are counted. */
const LISTED = 20;

async function loadRules(path: string | undefined): Promise<Rules> {
  if (!path) return DEFAULT_RULES;
  const parsed = parseRules(await readJsonFile(path, "rules file"));
  if (!parsed.ok) throw new CliError(`rules file ${path} is invalid:`, parsed.issues.map((i) => `${i.path}: ${i.message}`));
  return parsed.rules;
}

async function loadRates(path: string | undefined): Promise<Rates | null> {
  if (!path) return null;
  const parsed = RatesSchema.safeParse(await readJsonFile(path, "rates file"));
  if (!parsed.success) {
    throw new CliError(`rates file ${path} is invalid (expected {"base": "EUR", "rates": {"USD": 0.92}}):`, parsed.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`));
  }
  return parsed.data;
}

const NOT_ORDERS = "expected an orders export (CSV)";

export async function runCompute(args: ComputeArgs, log: (line: string) => void): Promise<number> {
  const started = performance.now();
  const rules = await loadRules(args.rules);
  const rates = await loadRates(args.rates);
  let asOf: number | undefined;
  if (args.asOf !== undefined) {
    asOf = parseTime(args.asOf);
    if (Number.isNaN(asOf)) throw new CliError(`--as-of ${JSON.stringify(args.asOf)} is not a date (2026-11-01)`);
    // A date alone means the end of that day.
    if (/^\d{4}-\d{2}-\d{2}$/.test(args.asOf.trim())) asOf += DAY_MS - 1;
  }

  let horizonDays = DEFAULT_HORIZON_DAYS;
  if (args.horizonDays !== undefined) {
    const parsed = parseHorizonDays(args.horizonDays);
    if (parsed === null) throw new CliError(`--horizon-days ${JSON.stringify(args.horizonDays)} is not a whole number of days from 1 to ${MAX_HORIZON_DAYS} (365: a year)`);
    horizonDays = parsed;
  }

  let result: ComputeResult;
  try {
    result = await computeSegments(textChunks(args.orders, NOT_ORDERS), {
      rules,
      rates,
      customers: args.customers ? textChunks(args.customers, "expected Shopify's customers export (CSV)") : null,
      ...(asOf !== undefined ? { asOf } : {}),
      horizonDays,
      keepIssues: LISTED,
    });
  } catch (error) {
    if (error instanceof InputError) throw new CliError(`${args.orders}: ${error.message}`);
    throw error;
  }

  if (result.badRows > 0) {
    const more = result.badRows > result.issues.length ? [`... and ${result.badRows - result.issues.length} more`] : [];
    const details = [...result.issues.map((i) => `line ${i.line}: ${i.message}`), ...more];
    if (args.strict) throw new CliError(`${result.badRows} bad row(s) in ${args.orders}; --strict: nothing written`, details);
    log(`${result.badRows} bad row(s) left out (--strict stops on any):`);
    for (const line of details) log(`  ${line}`);
  }

  const members = result.customers.flatMap((m, i) =>
    result.segments[i]?.length ? [{ id: m.customerId, segments: result.segments[i] ?? [], netRevenue365d: Math.round(m.netRevenue365d * 100) / 100 }] : [],
  );
  await writeWhole(args.out, ndjsonChunks(members));
  if (args.metrics) await writeWhole(args.metrics, metricsCsv(result));

  for (const line of summaryLines(result, args)) log(line);
  const seconds = (performance.now() - started) / 1000;
  const peakMb = process.resourceUsage().maxRSS / 1024;
  log(
    `Wrote ${members.length.toLocaleString("en")} customer(s) in at least one segment to ${args.out}` +
      `${args.metrics ? ` and every customer's metrics to ${args.metrics}` : ""} in ${seconds.toFixed(2)} s (peak memory ${Math.round(peakMb)} MB).`,
  );
  return 0;
}

/**
 * The memberships, each with the covariate experiments adjust for (CUPED): net revenue of the 365 days before the
 * reference date, net of refunds, in the customer's scoring currency (the base currency with --rates).
 */
function* ndjsonChunks(members: { id: string; segments: string[]; netRevenue365d: number }[]): Generator<string> {
  let text = "";
  for (const m of members) {
    text += `${JSON.stringify({ customer_id: m.id, segments: m.segments, covariates: { [DEFAULT_COVARIATE]: m.netRevenue365d } })}\n`;
    if (text.length > 1 << 16) {
      yield text;
      text = "";
    }
  }
  yield text;
}

const METRIC_COLUMNS =
  "customer_id,orders,recency_days,tenure_days,currency,monetary,aov,discount_share,return_rate,r_score,f_score,m_score,aov_score,expected_value," +
  "probability_active,expected_orders,expected_order_value,segments\n";

/**
 * Every customer's metrics. Text cells (customer id, currency, segments) come from the store's export, so they
 * are neutralised against spreadsheet formulas (csvTextField); the numbers are ours and stay numbers.
 */
function* metricsCsv(result: ComputeResult): Generator<string> {
  let text = METRIC_COLUMNS;
  for (const [i, m] of result.customers.entries()) {
    text +=
      `${csvTextField(m.customerId)},${m.orders},${m.recencyDays},${m.tenureDays},${csvTextField(m.currency)},${m.monetary.toFixed(2)},${m.aov.toFixed(2)},` +
      `${round(m.discountShare)},${round(m.returnRate)},${m.rScore},${m.fScore},${m.mScore},${m.aovScore},${m.expectedValue.toFixed(2)},` +
      `${round(m.probabilityActive)},${round(m.expectedOrders)},${m.expectedOrderValue.toFixed(2)},` +
      `${csvTextField((result.segments[i] ?? []).join("|"))}\n`;
    if (text.length > 1 << 16) {
      yield text;
      text = "";
    }
  }
  yield text;
}

const round = (x: number) => String(Math.round(x * 10_000) / 10_000);
const count = (n: number) => n.toLocaleString("en");
const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The summary a store reads after a run: what was read, what was left out, and each segment's size and revenue. */
export function summaryLines(result: ComputeResult, args: Pick<ComputeArgs, "orders">): string[] {
  const lines: string[] = [];
  const layout = result.layout === "shopify" ? "Shopify orders export" : "generic orders CSV";
  lines.push(
    `Read ${count(result.orders)} order(s) of ${count(result.customers.length)} customer(s) from ${args.orders} (${layout}, ${count(result.rows)} row(s)), ` +
      `as of ${new Date(result.store.asOf).toISOString().slice(0, 10)}.`,
  );
  const skipped: string[] = [];
  if (result.skipped.cancelled) skipped.push(`${count(result.skipped.cancelled)} cancelled or voided`);
  if (result.skipped.noCustomer) skipped.push(`${count(result.skipped.noCustomer)} with no customer in the customers export (guest checkouts)`);
  if (result.skipped.afterAsOf) skipped.push(`${count(result.skipped.afterAsOf)} after --as-of`);
  if (skipped.length) lines.push(`Not counted: ${skipped.join(", ")}.`);
  if (result.currencies.length > 1) {
    lines.push(`Currencies: ${result.currencies.join(", ")}, each customer scored (M, order value) against the customers of their own currency.`);
  }
  if (result.mixedCurrencyCustomers) {
    lines.push(
      `${count(result.mixedCurrencyCustomers)} customer(s) bought in more than one currency: their amounts count the currency of most of their orders; pass --rates to convert instead.`,
    );
  }
  lines.push(repeatLine(result));
  lines.push(...modelLines(result));
  lines.push("");
  const header = ["segment", "customers", "share", ...result.currencies.map((c) => (result.currencies.length > 1 ? `revenue ${c}` : "revenue"))];
  const rows = result.summary.map((s) => [s.segment, count(s.customers), percent(s.share), ...result.currencies.map((c) => percent(s.revenueShare[c] ?? 0))]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const format = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  lines.push(format(header), ...rows.map(format));
  lines.push("(A customer can be in several segments; revenue is net of refunds, as a share of all customers' net revenue.)", "");
  lines.push(...holdoutLines(result));
  return lines;
}

/** What a customer-value model is fitted to: the repeat orders, counted one a day as the model counts them. */
function repeatLine(result: ComputeResult): string {
  let orders = 0;
  let customers = 0;
  for (const x of result.repeat.orders) {
    orders += x;
    if (x > 0) customers++;
  }
  return `Repeat orders (after each customer's first; orders of one UTC day count as one): ${count(orders)} by ${count(customers)} customer(s).`;
}

const fixed = (x: number, digits: number) => x.toLocaleString("en", { minimumFractionDigits: digits, maximumFractionDigits: digits });

/** Which model gave the expected values, and the fitted parameters with their units and log-likelihoods. */
function modelLines(result: ComputeResult): string[] {
  const model = result.model;
  const horizon = `the next ${count(result.horizonDays)} day(s)`;
  if (model.kind === "heuristic") {
    return [`Expected value (${horizon}): the heuristic (mean days between orders, at least 7), not the fitted model: ${model.reason}.`];
  }
  const { r, alpha, a, b } = model.bgNbd.params;
  return [
    `Expected value (${horizon}): fitted model BG/NBD + Gamma-Gamma (Fader, Hardie & Lee 2005), fitted in ${model.fitSeconds.toFixed(2)} s.`,
    `  BG/NBD on ${count(model.bgNbd.customers)} customer(s), time in days: r = ${fixed(r, 4)}, alpha = ${fixed(alpha, 3)} days (${fixed(alpha / 7, 3)} weeks), ` +
      `a = ${fixed(a, 4)}, b = ${fixed(b, 4)}; log-likelihood ${fixed(model.bgNbd.logLikelihood, 2)}.`,
    ...model.gammaGamma.map(
      (g) =>
        `  Gamma-Gamma on ${count(g.customers)} customer(s) with repeat orders, mean repeat order value in ${g.currency}: p = ${fixed(g.params.p, 4)}, ` +
        `q = ${fixed(g.params.q, 4)}, gamma = ${g.params.gamma < 1 ? g.params.gamma.toPrecision(4) : fixed(g.params.gamma, 3)}; log-likelihood ${fixed(g.logLikelihood, 2)}.`,
    ),
  ];
}

/**
 * The repeat orders after --as-of by the customers' repeat orders before it (Fader, Hardie & Lee 2005, Figure 4),
 * one a day as the model counts them.
 */
function holdoutLines(result: ComputeResult): string[] {
  const holdout = result.holdout;
  if (!holdout) return [];
  const lines = [
    `After --as-of (${count(holdout.days)} day(s) to the latest order): repeat orders (one a day) of the customers known on ${new Date(result.store.asOf).toISOString().slice(0, 10)}, ` +
      "by their repeat orders before it:",
  ];
  const predicted = holdout.predictedTotal !== null;
  const header = ["repeat orders before", "customers", "actual after", ...(predicted ? ["predicted"] : [])];
  const rows = holdout.byCalibrationOrders.map((r) => [
    r.x === HOLDOUT_TOP_ROW ? `${r.x}+` : String(r.x),
    count(r.customers),
    count(r.actual),
    ...(r.predicted !== null ? [fixed(r.predicted, 1)] : []),
  ]);
  rows.push(["total", count(result.customers.length), count(holdout.total), ...(holdout.predictedTotal !== null ? [fixed(holdout.predictedTotal, 1)] : [])]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const format = (cells: string[]) => cells.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join("  ");
  lines.push(format(header), ...rows.map(format));
  if (holdout.newCustomers) lines.push(`(${count(holdout.newCustomers)} customer(s) ordered first after --as-of: in no row.)`);
  lines.push("");
  return lines;
}
