/**
 * @module The CDNOW 1/10 sample of Fader, Hardie & Lee (2005) as a store's orders export: converted to the generic
 * layout (one row per purchase, USD, the sample's customer ids), computed by the real `valuebar segments compute`
 * with `--as-of 1997-09-30` (the end of the papers' 39-week calibration period), and checked against the figures
 * the papers publish and against the same counts taken here from the raw file.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "../../scripts/dev-server.mjs";
import { scratch, valuebar } from "./run";

/** The sample and its README (format, calibration period) sit beside the checkout. */
const CDNOW = join(root, "test", "fixtures", "cdnow", "CDNOW_sample.txt");
/** The last day of the calibration period, as YYYYMMDD. */
const CALIBRATION_END = "19970930";

interface Purchase {
  customer: string;
  /** YYYYMMDD */
  date: string;
  dollars: string;
}

/** The sample's rows: whitespace-separated, CRLF line ends, a tab in the first row. */
function purchases(): Purchase[] {
  return readFileSync(CDNOW, "utf8")
    .split(/\r?\n/)
    .filter((line) => line.trim() !== "")
    .map((line) => {
      const [, customer = "", date = "", , dollars = ""] = line.trim().split(/\s+/);
      return { customer, date, dollars };
    });
}

/** The generic orders layout, one row per purchase: several on one day stay several orders. */
function ordersCsv(rows: Purchase[]): string {
  const lines = rows.map((p, i) => `${p.customer},${i + 1},${p.date.slice(0, 4)}-${p.date.slice(4, 6)}-${p.date.slice(6)},${p.dollars},USD`);
  return ["customer_id,order_id,created_at,total,currency", ...lines].join("\n") + "\n";
}

/** Per customer, the days bought on before and after the end of the calibration period: the papers' transactions. */
function transactions(rows: Purchase[]): Map<string, { before: Set<string>; after: Set<string> }> {
  const byCustomer = new Map<string, { before: Set<string>; after: Set<string> }>();
  for (const p of rows) {
    const days = byCustomer.get(p.customer) ?? { before: new Set(), after: new Set() };
    (p.date <= CALIBRATION_END ? days.before : days.after).add(p.date);
    byCustomer.set(p.customer, days);
  }
  return byCustomer;
}

const number = (text: string | undefined) => Number((text ?? "").replace(/,/g, ""));

describe("the CDNOW sample as an orders export", () => {
  it("has the papers' customers and repeat orders in the calibration period, and the later period's by calibration orders", async () => {
    const rows = purchases();
    expect(rows).toHaveLength(6919);
    const files = scratch();
    const orders = files.file("cdnow-orders.csv", ordersCsv(rows));
    const run = await valuebar(["segments", "compute", "--orders", orders, "--out", files.path("m.ndjson"), "--as-of", "1997-09-30"]);
    expect(run.code, run.stderr).toBe(0);

    // Published: 2,357 customers; 2,457 repeat transactions in the 39 weeks, by 946 customers (the ones the
    // spend model is fitted to).
    expect(run.stderr).toMatch(/^Read [\d,]+ order\(s\) of 2,357 customer\(s\) from .*, as of 1997-09-30\.$/m);
    expect(run.stderr).toMatch(/^Repeat orders \(after each customer's first; orders of one UTC day count as one\): 2,457 by 946 customer\(s\)\.$/m);

    // The later period, counted here from the raw file: every purchase day after 30 September 1997, by the
    // customer's repeat days before it (0 to 6, and 7 or more), as in the paper's Figure 4.
    const expected = Array.from({ length: 8 }, () => ({ customers: 0, actual: 0 }));
    for (const days of transactions(rows).values()) {
      const row = expected[Math.min(7, days.before.size - 1)];
      if (row) {
        row.customers++;
        row.actual += days.after.size;
      }
    }
    const total = expected.reduce((sum, r) => sum + r.actual, 0);
    // 39 weeks, 1 October 1997 to 30 June 1998.
    expect(run.stderr).toMatch(/^After --as-of \(273 day\(s\) to the latest order\): repeat orders \(one a day\) of the customers known on 1997-09-30, by their repeat orders before it:$/m);
    const table = [...run.stderr.matchAll(/^(\d\+?|total)\s+([\d,]+)\s+([\d,]+)\s+([\d,.]+)$/gm)];
    expect(table.map((m) => [m[1], number(m[2]), number(m[3])])).toEqual([...expected.map((r, x) => [x === 7 ? "7+" : String(x), r.customers, r.actual]), ["total", 2357, total]]);
    // The predicted column: Σ E[Y(273 days) | x, tx, T] per row and in total; the paper's Figure 4 predicts 1,653
    // of the 1,882 in total (its rows are read off a chart, so the total is the check).
    const predicted = table.map((m) => number(m[4]));
    expect(predicted.at(-1)).toBeGreaterThan(1653 * 0.995);
    expect(predicted.at(-1)).toBeLessThan(1653 * 1.005);
    expect(Math.abs(predicted.slice(0, -1).reduce((sum, p) => sum + p, 0) - (predicted.at(-1) ?? 0))).toBeLessThan(0.5);
    // One a day, as the calibration period's 2,457 are counted; 1,959 rows, so several purchases a day are common.
    expect(total).toBe(1882);
  });

  it("fits BG/NBD and Gamma-Gamma to the published parameters, in days, and says the fitted model was used", async () => {
    const files = scratch();
    const orders = files.file("cdnow-orders.csv", ordersCsv(purchases()));
    const run = await valuebar(["segments", "compute", "--orders", orders, "--out", files.path("m.ndjson"), "--as-of", "1997-09-30"]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^Expected value \(the next 365 day\(s\)\): fitted model BG\/NBD \+ Gamma-Gamma/m);
    const bg = /^ {2}BG\/NBD on 2,357 customer\(s\), time in days: r = ([\d.]+), alpha = ([\d.]+) days \(([\d.]+) weeks\), a = ([\d.]+), b = ([\d.]+); log-likelihood (-[\d,.]+)\.$/m.exec(run.stderr);
    const gg = /^ {2}Gamma-Gamma on 946 customer\(s\) with repeat orders, mean repeat order value in USD: p = ([\d.]+), q = ([\d.]+), gamma = ([\d.]+); log-likelihood (-[\d,.]+)\.$/m.exec(run.stderr);
    if (!bg || !gg) throw new Error(run.stderr);
    const near = (value: string | undefined, published: number, tolerance: number) => expect(Math.abs(number(value) / published - 1), `${value} vs ${published}`).toBeLessThan(tolerance);
    // Fader, Hardie & Lee (2005), in weeks: r 0.243, α 4.414, a 0.793, b 2.426; α in days is 7 × 4.414. T is counted
    // from the first purchase's day to 30 September (the calibration period's last day), in whole days.
    near(bg[1], 0.243, 0.03);
    near(bg[2], 4.414 * 7, 0.03);
    near(bg[3], 4.414, 0.03);
    near(bg[4], 0.793, 0.03);
    near(bg[5], 2.426, 0.03);
    // The paper's log-likelihood is −9,582.4 in weeks. In days each of the 2,457 repeat purchases' densities is
    // a seventh of its density in weeks, so LL(days) = LL(weeks) − 2,457 · ln 7.
    near(bg[6], -9582.4 - 2457 * Math.log(7), 0.0005);
    // Gamma-Gamma (Fader, Hardie & Lee 2005, JMR): p 6.25, q 3.74, γ 15.44, within 1%.
    near(gg[1], 6.25, 0.01);
    near(gg[2], 3.74, 0.01);
    near(gg[3], 15.44, 0.01);
    expect(Number.isFinite(number(gg[4]))).toBe(true);
  });
});
