/**
 * @module The customer-value models' pure parts against SciPy (test/core/clv-reference.json, written by
 * test/core/make-clv-reference.py): the special functions, and on CDNOW customers the BG/NBD P(alive) and
 * E[Y(t) | x, tₓ, T] and the Gamma-Gamma E[M | x, m̄] at SciPy's maximum-likelihood parameters. The fits themselves
 * against the CDNOW data and the published figures: test/static/clv-cdnow.test.ts (it reads the data with node:fs).
 */
import { describe, expect, it } from "vitest";
import { expectedRepeatOrders, fitBgNbd, probabilityAlive } from "../../src/core/clv/bg-nbd";
import { expectedOrderValue, fitGammaGamma } from "../../src/core/clv/gamma-gamma";
import { minimize } from "../../src/core/clv/nelder-mead";
import { hyp2f1, lnBeta, lnGamma } from "../../src/core/clv/special";
import { normal, random } from "../random";
import reference from "./clv-reference.json";

function expectClose(actual: number, expected: number, relative: number): void {
  expect(Math.abs(actual - expected), `${actual} vs ${expected}`).toBeLessThanOrEqual(relative * Math.max(1, Math.abs(expected)));
}

describe("special functions, against SciPy", () => {
  it.each(reference.special.hyp2f1)("2F1(%f, %f; %f; %f) = %f", (a, b, c, z, value) => {
    expect(Math.abs(hyp2f1(a ?? 0, b ?? 0, c ?? 0, z ?? 0) - (value ?? 0))).toBeLessThanOrEqual(1e-11 * Math.abs(value ?? 0));
  });
  it.each(reference.special.lnGamma)("lnΓ(%f) = %f", (x, value) => expectClose(lnGamma(x ?? 0), value ?? 0, 1e-13));
  it.each(reference.special.lnBeta)("lnB(%f, %f) = %f", (a, b, value) => expectClose(lnBeta(a ?? 0, b ?? 0), value ?? 0, 1e-12));
  it("2F1 is undefined from z = 1 on", () => {
    expect(hyp2f1(1, 1, 2, 1)).toBeNaN();
    expect(hyp2f1(1, 1, 2, 1.5)).toBeNaN();
  });
});

describe("Nelder-Mead", () => {
  it("finds the minimum of Rosenbrock's valley from the textbook start", () => {
    const rosenbrock = ([x = 0, y = 0]: readonly number[]): number => 100 * (y - x * x) ** 2 + (1 - x) ** 2;
    const result = minimize(rosenbrock, [-1.2, 1]);
    expect(result.converged).toBe(true);
    expect(Math.abs((result.x[0] ?? 0) - 1)).toBeLessThan(1e-6);
    expect(Math.abs((result.x[1] ?? 0) - 1)).toBeLessThan(1e-6);
  });
  it("backs away from where the function is undefined", () => {
    const result = minimize(([x = 0]) => (x < 0 ? Number.NaN : (x - 2) ** 2), [0.1]);
    expect(Math.abs((result.x[0] ?? 0) - 2)).toBeLessThan(1e-6);
  });
});

describe("per-customer expectations on CDNOW customers, against SciPy at SciPy's parameters", () => {
  const { bgNbd, gammaGamma, perCustomer } = reference.cdnow;
  it.each(perCustomer)("customer $id (x = $x, tx = $tx, T = $T)", (c) => {
    const h = { x: c.x, tx: c.tx, T: c.T };
    expectClose(probabilityAlive(bgNbd.params, h), c.probabilityAlive, 1e-12);
    expectClose(expectedRepeatOrders(bgNbd.params, h, 39), c.expectedRepeatOrders39, 1e-11);
    // Ten years ahead: z = t/(α+T+t) near 1, the connection-formula branch of 2F1.
    expectClose(expectedRepeatOrders(bgNbd.params, h, 520), c.expectedRepeatOrders520, 1e-10);
    expectClose(expectedOrderValue(gammaGamma.params, { x: c.x, meanValue: c.meanValue }), c.expectedOrderValue, 1e-12);
  });
});

describe("the fits on a few customers", () => {
  it("BG/NBD: a customer with no repeat purchase is alive for certain; more recent buyers more likely alive", () => {
    const p = reference.cdnow.bgNbd.params;
    expect(probabilityAlive(p, { x: 0, tx: 0, T: 30 })).toBe(1);
    expect(probabilityAlive(p, { x: 3, tx: 29, T: 30 })).toBeGreaterThan(probabilityAlive(p, { x: 3, tx: 5, T: 30 }));
    expect(expectedRepeatOrders(p, { x: 3, tx: 29, T: 30 }, 0)).toBe(0);
    // Eq. 10 is 0/0 at a = 1: the expectation there is the limit of its neighbours.
    const h = { x: 2, tx: 20, T: 30 };
    const above = expectedRepeatOrders({ ...p, a: 1 + 1e-4 }, h, 39);
    const below = expectedRepeatOrders({ ...p, a: 1 - 1e-4 }, h, 39);
    expectClose(expectedRepeatOrders({ ...p, a: 1 }, h, 39), (above + below) / 2, 1e-6);
  });
  it("are deterministic and do not depend on the order of the customers", () => {
    const customers = reference.cdnow.perCustomer.map((c) => ({ x: c.x, tx: c.tx, T: c.T }));
    const one = fitBgNbd(customers);
    const two = fitBgNbd([...customers].reverse());
    expect(two.params).toEqual(one.params);
    const spend = reference.cdnow.perCustomer.map((c) => ({ x: c.x, meanValue: c.meanValue }));
    expect(fitGammaGamma(spend).params).toEqual(fitGammaGamma([...spend].reverse()).params);
  });
});

/** A gamma(shape, scale 1) draw (Marsaglia & Tsang 2000; shape < 1 by Stuart's boost). */
function gammaDraw(next: () => number, shape: number): number {
  if (shape < 1) return gammaDraw(next, shape + 1) * next() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    const z = normal(next);
    const v = (1 + c * z) ** 3;
    if (v > 0 && Math.log(1 - next()) < 0.5 * z * z + d - d * v + d * Math.log(v)) return d * v;
  }
}

describe("the fits recover the parameters of data simulated from the models", () => {
  it("BG/NBD: 20,000 customers drawn with r = 0.25, α = 4, a = 0.8, b = 2.5 over 27 to 39 weeks", () => {
    const next = random(15);
    const customers = Array.from({ length: 20_000 }, () => {
      const lambda = gammaDraw(next, 0.25) / 4;
      const g = gammaDraw(next, 0.8);
      const dropout = g / (g + gammaDraw(next, 2.5));
      const T = 27 + 12 * next();
      let x = 0;
      let tx = 0;
      for (let t = 0; ; ) {
        t += -Math.log(1 - next()) / lambda;
        if (t > T) break;
        x++;
        tx = t;
        if (next() < dropout) break;
      }
      return { x, tx, T };
    });
    const fit = fitBgNbd(customers);
    expect(fit.converged).toBe(true);
    // Sampling error at this size is a few percent (a and b the least determined).
    expectRelative(fit.params.r, 0.25, 0.1);
    expectRelative(fit.params.alpha, 4, 0.15);
    expectRelative(fit.params.a, 0.8, 0.2);
    expectRelative(fit.params.b, 2.5, 0.25);
  });

  it("Gamma-Gamma: 5,000 customers drawn with p = 6, q = 4, γ = 15", () => {
    const next = random(16);
    const customers = Array.from({ length: 5_000 }, () => {
      const nu = gammaDraw(next, 4) / 15;
      const x = 1 + Math.floor(next() * 8);
      let sum = 0;
      for (let i = 0; i < x; i++) sum += gammaDraw(next, 6) / nu;
      return { x, meanValue: sum / x };
    });
    const fit = fitGammaGamma(customers);
    expect(fit.converged).toBe(true);
    expectRelative(fit.params.p, 6, 0.1);
    expectRelative(fit.params.q, 4, 0.15);
    expectRelative(fit.params.gamma, 15, 0.2);
  });

  it("Gamma-Gamma on order values that do not vary within a customer stops at the shape bound, E[M] ≈ the own mean", () => {
    const next = random(17);
    // Each customer's orders all of one value, 6/ν with ν ~ gamma(4, 15): the model's limit p → ∞ at pγ = 6 × 15.
    const customers = Array.from({ length: 2_000 }, () => ({ x: 1 + Math.floor(next() * 5), meanValue: 6 / (gammaDraw(next, 4) / 15) }));
    const fit = fitGammaGamma(customers);
    expect(fit.converged).toBe(true);
    expect(fit.params.p).toBeGreaterThan(1e3);
    expect(fit.params.p).toBeLessThanOrEqual(1e4 * (1 + 1e-9));
    expectRelative(fit.params.p * fit.params.gamma, 90, 0.1);
    expectRelative(expectedOrderValue(fit.params, { x: 3, meanValue: 50 }), 50, 0.01);
  });
});

function expectRelative(actual: number, expected: number, relative: number): void {
  expect(Math.abs(actual / expected - 1), `${actual} vs ${expected}`).toBeLessThanOrEqual(relative);
}
