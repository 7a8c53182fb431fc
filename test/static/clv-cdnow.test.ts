/**
 * @module The customer-value models against the published CDNOW results: the 1/10 CDNOW sample
 * (test/fixtures/cdnow/CDNOW_sample.txt, a copy of ../shared/data/cdnow, read here with node:fs; the worker suite cannot read files outside the
 * project) converted as the papers do: same-day purchases of a customer are one transaction, calibration = the 39
 * weeks to 1997-09-30, holdout = the 39 weeks after. Time is in weeks; T = days from the customer's first purchase to
 * 1997-09-30, divided by 7 (so a customer who first bought on 1997-01-01 has T = 272/7 = 38.86, as in Fader, Hardie &
 * Lee's data), tₓ = days from the first to the last calibration purchase, divided by 7.
 *
 * Published figures: BG/NBD r = 0.243, α = 4.414, a = 0.793, b = 2.426, LL = −9,582.4 (Fader, Hardie & Lee 2005,
 * Marketing Science 24(2), section 4); Gamma-Gamma p = 6.25, q = 3.74, γ = 15.44 on the 946 customers with repeat
 * purchases (Fader, Hardie & Lee 2005, JMR 42(4), and the 2013 note "The Gamma-Gamma model of monetary value").
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { RepeatHistory } from "../../src/core/clv/bg-nbd";
import { expectedRepeatOrders, fitBgNbd } from "../../src/core/clv/bg-nbd";
import { fitGammaGamma } from "../../src/core/clv/gamma-gamma";
import reference from "../core/clv-reference.json";

const CDNOW = join(dirname(fileURLToPath(import.meta.url)), "..", "fixtures", "cdnow", "CDNOW_sample.txt");
const DAY = 86_400_000;
const CALIBRATION_END = Date.UTC(1997, 8, 30);

interface CdnowCustomer extends RepeatHistory {
  id: string;
  /** The mean value of the repeat transactions in calibration (0 without any). */
  meanValue: number;
  /** Transactions in the holdout weeks. */
  holdout: number;
}

function dayOf(yyyymmdd: string): number {
  return Date.UTC(Number(yyyymmdd.slice(0, 4)), Number(yyyymmdd.slice(4, 6)) - 1, Number(yyyymmdd.slice(6, 8)));
}

/** Per customer: the dollar value of each day with purchases, then the calibration summary and the holdout count. */
function readCdnow(): CdnowCustomer[] {
  const days = new Map<string, Map<number, number>>();
  for (const line of readFileSync(CDNOW, "utf8").split(/\r?\n/)) {
    const cols = line.trim().split(/\s+/);
    const [, id, date, , value] = cols;
    if (id === undefined || date === undefined || value === undefined) continue;
    const spend = days.get(id) ?? new Map<number, number>();
    days.set(id, spend);
    const day = dayOf(date);
    spend.set(day, (spend.get(day) ?? 0) + Number(value));
  }
  return [...days].map(([id, spend]) => {
    const all = [...spend.keys()].sort((p, q) => p - q);
    const calibration = all.filter((d) => d <= CALIBRATION_END);
    const first = calibration[0] ?? 0;
    const repeats = calibration.slice(1).map((d) => spend.get(d) ?? 0);
    return {
      id,
      x: repeats.length,
      tx: ((calibration.at(-1) ?? first) - first) / DAY / 7,
      T: (CALIBRATION_END - first) / DAY / 7,
      meanValue: repeats.length > 0 ? repeats.reduce((s, v) => s + v, 0) / repeats.length : 0,
      holdout: all.length - calibration.length,
    };
  });
}

function expectWithin(actual: number, expected: number, relative: number): void {
  expect(Math.abs(actual / expected - 1), `${actual} vs ${expected}`).toBeLessThanOrEqual(relative);
}

describe("CDNOW, as Fader, Hardie & Lee fit it", () => {
  const customers = readCdnow();
  const bg = fitBgNbd(customers);

  it("has 2,357 customers with 2,457 repeat transactions in the calibration weeks", () => {
    expect(customers.length).toBe(2357);
    expect(customers.reduce((s, c) => s + c.x, 0)).toBe(2457);
    expect(customers.every((c) => c.tx >= 0 && c.tx <= c.T && c.T <= 39)).toBe(true);
  });

  it("BG/NBD: r = 0.243, α = 4.414 weeks, a = 0.793, b = 2.426 (within 3%), and SciPy's optimum", () => {
    console.log("BG/NBD on CDNOW:", bg);
    expect(bg.converged).toBe(true);
    expectWithin(bg.params.r, 0.243, 0.03);
    expectWithin(bg.params.alpha, 4.414, 0.03);
    expectWithin(bg.params.a, 0.793, 0.03);
    expectWithin(bg.params.b, 2.426, 0.03);
    // The paper's LL = −9,582.4.
    expect(Math.abs(bg.logLikelihood - -9582.4)).toBeLessThan(0.1);
    const scipy = reference.cdnow.bgNbd;
    for (const key of ["r", "alpha", "a", "b"] as const) expectWithin(bg.params[key], scipy.params[key], 1e-4);
    expect(Math.abs(bg.logLikelihood - scipy.logLikelihood)).toBeLessThan(1e-6);
  });

  it("Gamma-Gamma on the 946 repeat buyers: p = 6.25, q = 3.74, γ = 15.44 (within 1%), and SciPy's optimum", () => {
    const spenders = customers.filter((c) => c.x >= 1);
    expect(spenders.length).toBe(946);
    const gg = fitGammaGamma(customers);
    console.log("Gamma-Gamma on CDNOW:", gg);
    expect(gg.converged).toBe(true);
    expectWithin(gg.params.p, 6.25, 0.01);
    expectWithin(gg.params.q, 3.74, 0.01);
    expectWithin(gg.params.gamma, 15.44, 0.01);
    const scipy = reference.cdnow.gammaGamma;
    for (const key of ["p", "q", "gamma"] as const) expectWithin(gg.params[key], scipy.params[key], 1e-4);
    expect(Math.abs(gg.logLikelihood - scipy.logLikelihood)).toBeLessThan(1e-6);
  });

  it("predicts the holdout weeks' repeat transactions, by calibration repeat transactions (the paper's Figure 4)", () => {
    const rows = new Map<string, { customers: number; actual: number; predicted: number }>();
    for (const c of customers) {
      const key = c.x >= 7 ? "7+" : String(c.x);
      const row = rows.get(key) ?? { customers: 0, actual: 0, predicted: 0 };
      rows.set(key, row);
      row.customers++;
      row.actual += c.holdout;
      row.predicted += expectedRepeatOrders(bg.params, c, 39);
    }
    const sorted = [...rows].sort(([p], [q]) => p.localeCompare(q));
    const actual = customers.reduce((s, c) => s + c.holdout, 0);
    const predicted = sorted.reduce((s, [, row]) => s + row.predicted, 0);
    const round = (v: number): number => Math.round(v * 10) / 10;
    console.table([
      ...sorted.map(([x, row]) => ({ x, ...row, predicted: round(row.predicted) })),
      { x: "total", customers: customers.length, actual, predicted: round(predicted) },
    ]);
    // The same table computed by SciPy from its own fit.
    const scipy: Record<string, { customers: number; actual: number; predicted: number } | undefined> = reference.cdnow.figure4;
    for (const [x, row] of sorted) {
      expect(row.customers).toBe(scipy[x]?.customers);
      expect(row.actual).toBe(scipy[x]?.actual);
      expectWithin(row.predicted, scipy[x]?.predicted ?? 0, 1e-4);
    }
    expect(actual).toBe(reference.cdnow.holdoutTransactions);
    // 1,653 predicted against 1,882 actual (−12%): the fitted model under-forecasts this holdout, most for the
    // customers with 1 or 2 calibration repeat purchases (−25%) and least for 3 and for 7+ (−3%). SciPy's fit gives the
    // same table (above), so this is the model on this data, not our code: the bounds are what it gives, not targets.
    expect(Math.abs(predicted / actual - 1)).toBeLessThan(0.15);
    expectWithin(rows.get("7+")?.predicted ?? 0, rows.get("7+")?.actual ?? 0, 0.05);
  });
});
