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
