/**
 * @module The sequential tests (src/core/sequential.ts): the closed forms against an independent computation with
 * SciPy (test/core/sequential-reference.json, written by test/core/make-sequential-reference.py: the mixture
 * likelihood ratio by numerical integration, the interval's half-width by root finding), and simulations of
 * experiments looked at every day for 30 days: A/A tests, where the verdict must be "different" in at most 5% of
 * them (the fixed-horizon test under the same peeking is reported beside it), and A/B tests, whose power is reported.
 */
import { describe, expect, it } from "vitest";
import { confidenceHalfWidth, DEFAULT_EXPECTED_UNITS, mixingRatio, mixtureLikelihoodRatio, SEQUENTIAL_ALPHA, sequentialCompare } from "../../src/core/sequential";
import { experimentResults } from "../../src/core/experiment-results";
import type { Arm, MetricKind } from "../../src/core/stats";
import { compare, summarize } from "../../src/core/stats";
import { normal, random } from "../random";
import reference from "./sequential-reference.json";

function expectClose(actual: number, expected: number, relative: number): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(relative * Math.max(1e-12, Math.abs(expected)));
}

describe("the mSPRT's closed forms, against SciPy", () => {
  it.each(reference.ratio)("Λ(θ̂ = $estimate, V = $variance, τ² = $tau2) = $ratio", ({ estimate, variance, tau2, ratio }) => {
    expectClose(mixtureLikelihoodRatio(estimate, variance, tau2), ratio, 1e-8);
  });

  it.each(reference.halfWidth)("the confidence sequence's half-width at V = $variance, τ² = $tau2, α = $alpha: $halfWidth", ({ variance, tau2, alpha, halfWidth }) => {
    expectClose(confidenceHalfWidth(variance, tau2, alpha), halfWidth, 1e-7);
  });

  it("a comparison: the difference, p = min(1, 1/Λ), the interval around the difference, τ² = r · V · n / N", () => {
    const control = { mean: 0.05, variance: 0.05 * 0.95, units: 4_000 };
    const treatment = { mean: 0.06, variance: 0.06 * 0.94, units: 4_000 };
    const result = sequentialCompare(control, treatment, 10_000);
    expect(result).not.toBeNull();
    if (!result) return;
    const variance = control.variance / 4_000 + treatment.variance / 4_000;
    expectClose(result.tau2, mixingRatio(SEQUENTIAL_ALPHA) * variance * (4_000 / 10_000), 1e-12);
    expectClose(result.estimate, 0.01, 1e-12);
    expectClose(result.pValue, Math.min(1, 1 / mixtureLikelihoodRatio(0.01, variance, result.tau2)), 1e-12);
    const half = confidenceHalfWidth(variance, result.tau2, SEQUENTIAL_ALPHA);
    expectClose(result.interval[0], 0.01 - half, 1e-12);
    expectClose(result.interval[1], 0.01 + half, 1e-12);
    // The interval excludes 0 exactly when p < α: the two are the same test.
    expect(result.interval[0] > 0).toBe(result.pValue < SEQUENTIAL_ALPHA);
    expect(sequentialCompare({ ...control, units: 1 }, treatment)).toBeNull();
    expect(sequentialCompare({ mean: 0, variance: 0, units: 10 }, { mean: 0, variance: 0, units: 10 })).toBeNull();
  });

  it.each(reference.mixingRatio)("the mixing ratio at α = $alpha solves r = 2 ln(1/α) + ln(1 + r): $r", ({ alpha, r }) => {
    expectClose(mixingRatio(alpha), r, 1e-12);
  });
});

// ---- Simulations ------------------------------------------------------------------------------------------

const DAYS = 30;
const UNITS_PER_DAY = 300;
const EXPERIMENTS = 500;

interface Outcome {
  /** The sequential test said "different" at some look. */
  sequential: boolean;
  /** The day it first did, when it did. */
  day: number | null;
  /** The fixed-horizon test (Welch) said p < 0.05 at some look. */
  fixed: boolean;
  /** It said so at the last look, the one it is designed for. */
  fixedAtEnd: boolean;
}

/**
 * One experiment looked at every day: each day UNITS_PER_DAY new units per arm, `value` giving one unit's value
 * (0/1 for a conversion, revenue otherwise); the cumulative arms tested after each day.
 */
function experiment(kind: MetricKind, value: (arm: 0 | 1) => number): Outcome {
  const arms: [Arm, Arm] = [
    { units: 0, sum: 0, sumSquares: 0 },
    { units: 0, sum: 0, sumSquares: 0 },
  ];
  const outcome: Outcome = { sequential: false, day: null, fixed: false, fixedAtEnd: false };
  for (let day = 1; day <= DAYS; day++) {
    for (const i of [0, 1] as const) {
      const arm = arms[i];
      for (let u = 0; u < UNITS_PER_DAY; u++) {
        const x = value(i);
        arm.units++;
        arm.sum += x;
        arm.sumSquares += x * x;
      }
    }
    const [c, t] = [summarize(arms[0], kind), summarize(arms[1], kind)];
    const seq = sequentialCompare(c, t, DAYS * UNITS_PER_DAY);
    if (seq && seq.pValue < SEQUENTIAL_ALPHA && !outcome.sequential) {
      outcome.sequential = true;
      outcome.day = day;
    }
    const significant = (compare(arms[0], arms[1], kind)?.pValue ?? 1) < 0.05;
    if (significant) outcome.fixed = true;
    if (day === DAYS) outcome.fixedAtEnd = significant;
  }
  return outcome;
}

function simulate(seed: number, kind: MetricKind, unit: (next: () => number, arm: 0 | 1) => number): { sequential: number; fixed: number; fixedAtEnd: number; medianDay: number | null } {
  const next = random(seed);
  const outcomes = Array.from({ length: EXPERIMENTS }, () => experiment(kind, (arm) => unit(next, arm)));
  const days = outcomes.flatMap((o) => (o.day === null ? [] : [o.day])).sort((a, b) => a - b);
  return {
    sequential: outcomes.filter((o) => o.sequential).length / EXPERIMENTS,
    fixed: outcomes.filter((o) => o.fixed).length / EXPERIMENTS,
    fixedAtEnd: outcomes.filter((o) => o.fixedAtEnd).length / EXPERIMENTS,
    medianDay: days.length ? (days[Math.floor(days.length / 2)] ?? null) : null,
  };
}

/** A conversion with probability `rate`. */
const conversion = (rate: number) => (next: () => number) => (next() < rate ? 1 : 0);
/** Revenue per visitor: 5% buy, order values log-normal around €50 (σ = 0.8, a long right tail), the rest 0. */
const revenue = (lift: number) => (next: () => number) => (next() < 0.05 ? lift * Math.exp(Math.log(50) + 0.8 * normal(next)) : 0);

describe(`${EXPERIMENTS} experiments looked at every day for ${DAYS} days (${UNITS_PER_DAY} units per variant a day)`, () => {
  it("A/A on a 5% conversion: the sequential test calls at most 5% different; the fixed-horizon test, peeked at daily, far more", () => {
    const result = simulate(20261127, "binary", (next) => conversion(0.05)(next));
    console.log(`A/A conversion: sequential ${(result.sequential * 100).toFixed(1)}% ever called different, fixed-horizon under daily peeking ${(result.fixed * 100).toFixed(1)}% (looked at once, at day ${DAYS}: ${(result.fixedAtEnd * 100).toFixed(1)}%)`);
    expect(result.sequential).toBeLessThanOrEqual(0.05);
    expect(result.fixed).toBeGreaterThan(0.1);
  });

  it("A/A on revenue per visitor (zero-inflated, long-tailed): the sequential test calls at most 5% different", () => {
    const result = simulate(11, "continuous", (next) => revenue(1)(next));
    console.log(`A/A revenue: sequential ${(result.sequential * 100).toFixed(1)}% ever called different, fixed-horizon under daily peeking ${(result.fixed * 100).toFixed(1)}%`);
    expect(result.sequential).toBeLessThanOrEqual(0.05);
    expect(result.fixed).toBeGreaterThan(0.1);
  });

  it("power: a 5% → 6% conversion (+20%) is found within 30 days in most experiments, and a true difference more often than none", () => {
    const result = simulate(7, "binary", (next, arm) => conversion(arm === 1 ? 0.06 : 0.05)(next));
    console.log(`power, 5% → 6% over ${DAYS} days at ${UNITS_PER_DAY} a day per variant: sequential ${(result.sequential * 100).toFixed(1)}% (median day ${result.medianDay}), fixed-horizon looked at once, at day ${DAYS}, ${(result.fixedAtEnd * 100).toFixed(1)}% (peeked at daily ${(result.fixed * 100).toFixed(1)}%, not a valid test)`);
    expect(result.sequential).toBeGreaterThan(0.5);
  });
});

describe("the results' verdicts are the sequential test's", () => {
  const campaign = {
    id: "hero",
    placement: "topbar",
    priority: 0,
    variants: [
      { id: "a", weight: 50, message: { text: "A" } },
      { id: "b", weight: 50, message: { text: "B" } },
    ],
  } as unknown as Parameters<typeof experimentResults>[0];
  const counts = (clicksA: number, clicksB: number, units: number) => ({
    variants: [
      { variant: "a", units, clicked: clicksA, addedToCart: 0, purchased: 0, firstExposure: 0, lastExposure: 1 },
      { variant: "b", units, clicked: clicksB, addedToCart: 0, purchased: 0, firstExposure: 0, lastExposure: 1 },
    ],
    revenue: [],
    multipleVariantUnits: 0,
  });
  const vsControl = (clicksA: number, clicksB: number, units: number, expectedUnitsPerVariant?: number) => {
    const tuned = expectedUnitsPerVariant === undefined ? campaign : ({ ...campaign, experiment: { expectedUnitsPerVariant } } as typeof campaign);
    const result = experimentResults(tuned, counts(clicksA, clicksB, units));
    expect(result.expectedUnitsPerVariant).toBe(expectedUnitsPerVariant ?? DEFAULT_EXPECTED_UNITS);
    expect(result.verdictMethod).toBe("sequential");
    const vs = result.metrics.clickThrough.variants[1]?.vsControl;
    if (!vs || !("sequential" in vs)) throw new Error("expected a comparison");
    return vs;
  };

  it("a clear difference: better, with the always-valid p and interval beside the fixed-horizon figures", () => {
    const vs = vsControl(100, 200, 1_000);
    expect(vs.verdict).toBe("better");
    expect(vs.sequential.pValue).toBeLessThan(SEQUENTIAL_ALPHA);
    expect(vs.sequential.interval[0]).toBeGreaterThan(0);
    // Wider than the fixed-horizon interval: the price of looking at any time.
    expect(vs.sequential.interval[1] - vs.sequential.interval[0]).toBeGreaterThan(vs.absolute.interval[1] - vs.absolute.interval[0]);
    expect(vsControl(200, 100, 1_000).verdict).toBe("worse");
  });

  it("a fixed-horizon p below 0.05 that the sequential test does not yet back: no clear difference", () => {
    const vs = vsControl(100, 130, 1_000);
    expect(vs.pValue).toBeLessThan(0.05);
    expect(vs.verdict).toBe("inconclusive");
  });

  it("tuned to the experiment's expected size: the same data is nearer a verdict when the test was planned for about that size", () => {
    const planned = vsControl(100, 130, 1_000, 1_000);
    const bigger = vsControl(100, 130, 1_000, 100_000);
    const standard = vsControl(100, 130, 1_000);
    expect(planned.sequential.pValue).toBeLessThan(standard.sequential.pValue);
    expect(standard.sequential.pValue).toBeLessThan(bigger.sequential.pValue);
    expect(planned.sequential.interval[1] - planned.sequential.interval[0]).toBeLessThan(standard.sequential.interval[1] - standard.sequential.interval[0]);
    // The fixed-horizon figures do not depend on it.
    expect(planned.pValue).toBe(bigger.pValue);
  });
});
