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
const CDNOW = join(root, "..", "shared", "data", "cdnow", "CDNOW_sample.txt");
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
    const table = [...run.stderr.matchAll(/^(\d\+?|total)\s+([\d,]+)\s+([\d,]+)$/gm)].map((m) => [m[1], number(m[2]), number(m[3])]);
    expect(table).toEqual([...expected.map((r, x) => [x === 7 ? "7+" : String(x), r.customers, r.actual]), ["total", 2357, total]]);
    // One a day, as the calibration period's 2,457 are counted; 1,959 rows, so several purchases a day are common.
    expect(total).toBe(1882);
  });
});
