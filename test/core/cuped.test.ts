/**
 * @module CUPED and Holm's correction against NumPy/SciPy (test/core/cuped-reference.json, written by
 * test/core/make-cuped-reference.py from raw per-unit data), and a seeded simulation: with a covariate correlated
 * 0.5 with the metric, the adjusted interval is √(1 − 0.5²) ≈ 0.866 as wide as the raw one and still covers.
 */
import { describe, expect, it } from "vitest";
import type { CovariateArm } from "../../src/core/cuped";
import { cuped, holmAdjust } from "../../src/core/cuped";
import { SEQUENTIAL_ALPHA, sequentialCompare } from "../../src/core/sequential";
import { summarize } from "../../src/core/stats";
import { normal, random } from "../random";
import reference from "./cuped-reference.json";

function expectClose(actual: number | undefined, expected: number, tolerance = 1e-9): void {
  expect(actual).toBeDefined();
  const error = Math.abs((actual ?? Number.NaN) - expected);
  expect(error, `${actual} vs ${expected}`).toBeLessThanOrEqual(tolerance * Math.max(1, Math.abs(expected)));
}

describe("CUPED, against NumPy/SciPy on raw per-unit data", () => {
  it.each(reference.cases.map((c) => [c.name, c] as const))("%s", (_name, c) => {
    const result = cuped(c.arms);
    expect(result).not.toBeNull();
    expectClose(result?.theta, c.expected.theta);
    c.expected.arms.forEach((arm, i) => {
      const got = result?.arms[i];
      expectClose(got?.mean, arm.mean);
      expectClose(got?.interval[0], arm.interval[0] ?? NaN);
      expectClose(got?.interval[1], arm.interval[1] ?? NaN);
      expectClose(got?.varianceReduction, arm.varianceReduction);
    });
    c.expected.comparisons.forEach((comparison, i) => {
      const got = result?.comparisons[i];
      expectClose(got?.absolute.estimate, comparison.absolute.estimate);
      expectClose(got?.absolute.interval[0], comparison.absolute.interval[0] ?? NaN);
      expectClose(got?.absolute.interval[1], comparison.absolute.interval[1] ?? NaN);
      expectClose(got?.pValue, comparison.pValue, 1e-7);
      expectClose(got?.varianceReduction, comparison.varianceReduction);
    });
  });

  it("is null when the covariate does not vary (every unit without history) or an arm has under 2 units", () => {
    const flat: CovariateArm = { units: 10, sum: 3, sumSquares: 3, sumCovariate: 0, sumCovariateSquares: 0, sumProducts: 0 };
    expect(cuped([flat, flat])).toBeNull();
    expect(cuped([{ ...flat, units: 1 }, flat])).toBeNull();
  });
});

describe("Holm's correction, against the definition computed in Python", () => {
  it.each(reference.holm.map((f) => [JSON.stringify(f.p), f] as const))("%s", (_name, family) => {
    holmAdjust(family.p).forEach((p, i) => expectClose(p, family.adjusted[i] ?? NaN, 1e-12));
  });
});

describe("a covariate correlated 0.5 with revenue, simulated", () => {
  // 200 seeded experiments of 1,000 units per variant, revenue 10 + 5 (0.5 x + √0.75 e) with x, e standard normal,
  // so corr(revenue, x) = 0.5, and a true lift of 0.3. The interval's width ratio in one experiment is
  // √(1 − ρ̂²), whose standard deviation at 2,000 units is about (1 − ρ²) / √2000 · ρ / √(1 − ρ²) ≈ 0.0097; the mean
  // over 200 experiments has a standard deviation of about 0.0007, so ±0.005 around √0.75 is over 7 of them.
  const experiments = 200;
  const units = 1000;
  const lift = 0.3;
  const next = random(14);
  const ratios: number[] = [];
  let covered = 0;
  for (let e = 0; e < experiments; e++) {
    const arms = [0, 1].map((variant) => {
      const arm: CovariateArm = { units, sum: 0, sumSquares: 0, sumCovariate: 0, sumCovariateSquares: 0, sumProducts: 0 };
      for (let i = 0; i < units; i++) {
        const x = normal(next);
        const y = 10 + lift * variant + 5 * (0.5 * x + Math.sqrt(0.75) * normal(next));
        arm.sum += y;
        arm.sumSquares += y * y;
        arm.sumCovariate += x;
        arm.sumCovariateSquares += x * x;
        arm.sumProducts += x * y;
      }
      return arm;
    });
    const result = cuped(arms);
    const comparison = result?.comparisons[0];
    if (!comparison) throw new Error("no CUPED result");
    ratios.push(Math.sqrt(1 - comparison.varianceReduction));
    const [lo, hi] = comparison.absolute.interval;
    if (lo <= lift && lift <= hi) covered++;
  }
  const meanRatio = ratios.reduce((a, b) => a + b, 0) / experiments;

  it("shrinks the interval to √(1 − ρ²) ≈ 0.866 of its width", () => {
    expect(Math.abs(meanRatio - Math.sqrt(0.75))).toBeLessThan(0.005);
  });

  it("still covers the true lift about 95% of the time", () => {
    // Binomial(200, 0.95): standard deviation 3.1 experiments; 180 to 199 is more than 3 of them either way.
    expect(covered).toBeGreaterThanOrEqual(180);
    expect(covered).toBeLessThanOrEqual(199);
  });
});

describe("the sequential test on CUPED-adjusted values, looked at every day", () => {
  // As test/core/sequential.test.ts: 500 experiments, 300 units per variant a day for 30 days, looked at after each
  // day; revenue 10 + 5 (0.5 x + √0.75 e) with a covariate x correlated 0.5. θ is re-estimated at every look from
  // the data (the plug-in the results use), so this checks that the estimate does not break the always-valid bound.
  const EXPERIMENTS = 500;
  const DAYS = 30;
  const PER_DAY = 300;

  function run(seed: number, lift: number): { raw: number; adjusted: number; rawDays: number[]; adjustedDays: number[] } {
    const next = random(seed);
    let raw = 0;
    let adjusted = 0;
    const rawDays: number[] = [];
    const adjustedDays: number[] = [];
    for (let e = 0; e < EXPERIMENTS; e++) {
      const arms: CovariateArm[] = [0, 1].map(() => ({ units: 0, sum: 0, sumSquares: 0, sumCovariate: 0, sumCovariateSquares: 0, sumProducts: 0 }));
      let rawDay: number | null = null;
      let adjustedDay: number | null = null;
      for (let day = 1; day <= DAYS; day++) {
        arms.forEach((arm, variant) => {
          for (let i = 0; i < PER_DAY; i++) {
            const x = normal(next);
            const y = 10 + lift * variant + 5 * (0.5 * x + Math.sqrt(0.75) * normal(next));
            arm.units++;
            arm.sum += y;
            arm.sumSquares += y * y;
            arm.sumCovariate += x;
            arm.sumCovariateSquares += x * x;
            arm.sumProducts += x * y;
          }
        });
        const [c, t] = arms as [CovariateArm, CovariateArm];
        const plain = sequentialCompare(summarize(c, "continuous"), summarize(t, "continuous"), DAYS * PER_DAY);
        if (rawDay === null && plain && plain.pValue < SEQUENTIAL_ALPHA) rawDay = day;
        const result = cuped(arms);
        const [ac, at] = result?.arms ?? [];
        const adjustedTest = ac && at ? sequentialCompare(ac, at, DAYS * PER_DAY) : null;
        if (adjustedDay === null && adjustedTest && adjustedTest.pValue < SEQUENTIAL_ALPHA) adjustedDay = day;
      }
      if (rawDay !== null) {
        raw++;
        rawDays.push(rawDay);
      }
      if (adjustedDay !== null) {
        adjusted++;
        adjustedDays.push(adjustedDay);
      }
    }
    return { raw: raw / EXPERIMENTS, adjusted: adjusted / EXPERIMENTS, rawDays: rawDays.sort((a, b) => a - b), adjustedDays: adjustedDays.sort((a, b) => a - b) };
  }

  it("A/A: at most 5% are ever called different, as for the raw test", () => {
    const result = run(20261128, 0);
    console.log(`A/A with daily looks: CUPED-adjusted sequential ${(result.adjusted * 100).toFixed(1)}% ever called different, raw ${(result.raw * 100).toFixed(1)}%`);
    expect(result.adjusted).toBeLessThanOrEqual(0.05);
  });

  it("a true lift is found more often, and sooner, than by the raw test", () => {
    // A lift of 0.2 (0.04 standard deviations of revenue): the raw test finds it in some experiments within 30 days.
    const result = run(15, 0.2);
    const median = (days: number[]) => days[Math.floor(days.length / 2)] ?? null;
    console.log(
      `lift 0.2: CUPED-adjusted sequential finds it in ${(result.adjusted * 100).toFixed(1)}% (median day ${median(result.adjustedDays)}), raw in ${(result.raw * 100).toFixed(1)}% (median day ${median(result.rawDays)})`,
    );
    expect(result.adjusted).toBeGreaterThan(result.raw);
    expect(median(result.adjustedDays) ?? DAYS).toBeLessThanOrEqual(median(result.rawDays) ?? DAYS);
  });
});
