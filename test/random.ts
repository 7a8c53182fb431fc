/**
 * @module Seeded random numbers for the tests' simulations (the A/B statistics, the sequential tests): the same
 * experiments on every run, so a simulated rate is a fixed figure a change can be held to.
 */

// mulberry32, the generator of the test stores' orders (one copy of it).
export { random } from "../scripts/generate-orders.mjs";

/** A standard normal draw from `next` (Box–Muller). */
export function normal(next: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
}
