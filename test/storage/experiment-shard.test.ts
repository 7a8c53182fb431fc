/**
 * @module ExperimentShard, called as the Worker calls it (RPC on a real Durable Object with SQLite): a unit's
 * first exposure fixes its variant, a second variant flags it, events count only for exposed units inside the
 * conversion window, an order id counts once, and one unit cannot flood the counts.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { EVENTS_PER_UNIT_PER_HOUR, ExperimentShard, MAX_UNIT_SEGMENTS } from "../../src/storage/experiment-shard";

const HOUR = 3_600_000;
const WINDOW = 72 * HOUR;
const T0 = Date.parse("2026-11-20T10:00:00Z");
/** CUPED's covariate sums of units exposed without a covariate (every one here but in the covariate tests). */
const NO_COVARIATE = { sum: 0, sumSquares: 0, clicked: 0, addedToCart: 0, purchased: 0, refunded: 0 };

function freshShard() {
  return env.EXPERIMENTS.get(env.EXPERIMENTS.idFromName(`test\n${crypto.randomUUID()}\n0`));
}

describe("exposures", () => {
  it("counts a unit once, in the variant of its first exposure, with first and last exposure times", async () => {
    const shard = freshShard();
    await shard.expose([
      { unit: "u1", variant: "a", at: T0 },
      { unit: "u1", variant: "a", at: T0 + HOUR },
      { unit: "u2", variant: "b", at: T0 + 2 * HOUR },
    ]);
    await shard.expose([{ unit: "u1", variant: "a", at: T0 + 3 * HOUR }]);
    const { variants, multipleVariantUnits } = await shard.aggregates();
    expect(variants).toEqual([
      { variant: "a", units: 1, clicked: 0, addedToCart: 0, purchased: 0, refunded: 0, firstExposure: T0, lastExposure: T0 + 3 * HOUR, covariate: NO_COVARIATE },
      { variant: "b", units: 1, clicked: 0, addedToCart: 0, purchased: 0, refunded: 0, firstExposure: T0 + 2 * HOUR, lastExposure: T0 + 2 * HOUR, covariate: NO_COVARIATE },
    ]);
    expect(multipleVariantUnits).toBe(0);
  });

  it("flags a unit seen in two variants and leaves it out of every figure", async () => {
    const shard = freshShard();
    await shard.expose([
      { unit: "u1", variant: "a", at: T0 },
      { unit: "u2", variant: "a", at: T0 },
      { unit: "u1", variant: "b", at: T0 + HOUR },
    ]);
    await shard.record({ kind: "purchase", unit: "u1", at: T0 + 2 * HOUR, windowMs: WINDOW, orderId: "o1", value: 50, currency: "EUR", capped: false });
    const { variants, revenue, multipleVariantUnits } = await shard.aggregates();
    expect(variants.map((v) => [v.variant, v.units, v.purchased])).toEqual([["a", 1, 0]]);
    expect(revenue).toEqual([]);
    expect(multipleVariantUnits).toBe(1);
  });

  it("flags a unit that clicks another variant than the one it was exposed to", async () => {
    const shard = freshShard();
    await shard.expose([{ unit: "u1", variant: "a", at: T0 }]);
    expect(await shard.record({ kind: "click", unit: "u1", variant: "b", at: T0 + 1000, windowMs: WINDOW })).toBe("counted");
    expect((await shard.aggregates()).multipleVariantUnits).toBe(1);
  });
});

describe("events", () => {
  it("counts clicks, adds to cart and purchases per unit, and revenue per unit and currency", async () => {
    const shard = freshShard();
    await shard.expose([
      { unit: "u1", variant: "a", at: T0 },
      { unit: "u2", variant: "a", at: T0 },
      { unit: "u3", variant: "b", at: T0 },
    ]);
    const at = T0 + HOUR;
    expect(await shard.record({ kind: "click", unit: "u1", variant: "a", at, windowMs: WINDOW })).toBe("counted");
    expect(await shard.record({ kind: "click", unit: "u1", variant: "a", at: at + 1, windowMs: WINDOW })).toBe("counted");
    expect(await shard.record({ kind: "add_to_cart", unit: "u2", at, windowMs: WINDOW })).toBe("counted");
    expect(await shard.record({ kind: "purchase", unit: "u1", at, windowMs: WINDOW, orderId: "o1", value: 30, currency: "EUR", capped: false })).toBe("counted");
    expect(await shard.record({ kind: "purchase", unit: "u1", at, windowMs: WINDOW, orderId: "o2", value: 10, currency: "EUR", capped: false })).toBe("counted");
    expect(await shard.record({ kind: "purchase", unit: "u2", at, windowMs: WINDOW, orderId: "o3", value: 5, currency: "EUR", capped: false })).toBe("counted");
    expect(await shard.record({ kind: "purchase", unit: "u3", at, windowMs: WINDOW, orderId: "o4", value: 99, currency: "USD", capped: false })).toBe("counted");
    const { variants, revenue } = await shard.aggregates();
    expect(variants.map(({ variant, units, clicked, addedToCart, purchased }) => ({ variant, units, clicked, addedToCart, purchased }))).toEqual([
      { variant: "a", units: 2, clicked: 1, addedToCart: 1, purchased: 2 },
      { variant: "b", units: 1, clicked: 0, addedToCart: 0, purchased: 1 },
    ]);
    // Unit u1 spent 40 and u2 spent 5: sum 45, sum of squares 40² + 5² = 1625.
    expect(revenue).toEqual([
      { variant: "a", currency: "EUR", buyers: 2, sum: 45, sumSquares: 1625, cappedOrders: 0, sumProducts: 0 },
      { variant: "b", currency: "USD", buyers: 1, sum: 99, sumSquares: 9801, cappedOrders: 0, sumProducts: 0 },
    ]);
  });

  it("counts an order id once", async () => {
    const shard = freshShard();
    await shard.expose([{ unit: "u1", variant: "a", at: T0 }]);
    const purchase = { kind: "purchase" as const, unit: "u1", at: T0 + 1, windowMs: WINDOW, orderId: "order-1001", value: 42.5, currency: "EUR", capped: false };
    expect(await shard.record(purchase)).toBe("counted");
    expect(await shard.record(purchase)).toBe("duplicate_order");
    expect(await shard.record({ ...purchase, value: 1000 })).toBe("duplicate_order");
    expect((await shard.aggregates()).revenue).toEqual([{ variant: "a", currency: "EUR", buyers: 1, sum: 42.5, sumSquares: 42.5 * 42.5, cappedOrders: 0, sumProducts: 0 }]);
  });

  it("counts an order id once per unit: someone else sending it first does not shut out the buyer", async () => {
    const shard = freshShard();
    await shard.expose([
      { unit: "buyer", variant: "a", at: T0 },
      { unit: "prankster", variant: "b", at: T0 },
    ]);
    const order = { kind: "purchase" as const, at: T0 + 1, windowMs: WINDOW, orderId: "1001", value: 30, currency: "EUR", capped: false };
    expect(await shard.record({ ...order, unit: "prankster", value: 0 })).toBe("counted");
    expect(await shard.record({ ...order, unit: "buyer" })).toBe("counted");
    expect(await shard.record({ ...order, unit: "buyer" })).toBe("duplicate_order");
    expect((await shard.aggregates()).revenue.find((r) => r.variant === "a")).toMatchObject({ buyers: 1, sum: 30 });
  });

  it("ignores events of units never exposed, and events before the first exposure or after the window", async () => {
    const shard = freshShard();
    expect(await shard.record({ kind: "add_to_cart", unit: "stranger", at: T0, windowMs: WINDOW })).toBe("not_exposed");
    await shard.expose([{ unit: "u1", variant: "a", at: T0 }]);
    expect(await shard.record({ kind: "add_to_cart", unit: "u1", at: T0 - 1, windowMs: WINDOW })).toBe("outside_window");
    expect(await shard.record({ kind: "add_to_cart", unit: "u1", at: T0 + WINDOW + 1, windowMs: WINDOW })).toBe("outside_window");
    expect((await shard.aggregates()).variants[0]?.addedToCart).toBe(0);
    expect(await shard.record({ kind: "add_to_cart", unit: "u1", at: T0 + WINDOW, windowMs: WINDOW })).toBe("counted");
    expect((await shard.aggregates()).variants[0]?.addedToCart).toBe(1);
  });

  it(`refuses more than ${EVENTS_PER_UNIT_PER_HOUR} events an hour from one unit, then takes them again`, async () => {
    const shard = freshShard();
    await shard.expose([{ unit: "u1", variant: "a", at: T0 }]);
    const purchase = (i: number, at: number) => ({ kind: "purchase" as const, unit: "u1", at, windowMs: WINDOW, orderId: `o${i}`, value: 1, currency: "EUR", capped: false });
    for (let i = 0; i < EVENTS_PER_UNIT_PER_HOUR; i++) expect(await shard.record(purchase(i, T0 + 1000 + i))).toBe("counted");
    expect(await shard.record(purchase(1000, T0 + 2000))).toBe("rate_limited");
    expect((await shard.aggregates()).revenue[0]?.sum).toBe(EVENTS_PER_UNIT_PER_HOUR);
    expect(await shard.record(purchase(1001, T0 + 1000 + HOUR))).toBe("counted");
  });

  it("keeps that an order was capped, and counts capped orders per variant and currency", async () => {
    const shard = freshShard();
    await shard.expose([
      { unit: "u1", variant: "a", at: T0 },
      { unit: "u2", variant: "b", at: T0 },
    ]);
    const order = { kind: "purchase" as const, at: T0 + 1, windowMs: WINDOW, currency: "EUR" };
    await shard.record({ ...order, unit: "u1", orderId: "big", value: 5000, capped: true });
    await shard.record({ ...order, unit: "u1", orderId: "small", value: 20, capped: false });
    await shard.record({ ...order, unit: "u2", orderId: "other", value: 30, capped: false });
    expect((await shard.aggregates()).revenue).toEqual([
      { variant: "a", currency: "EUR", buyers: 1, sum: 5020, sumSquares: 5020 * 5020, cappedOrders: 1, sumProducts: 0 },
      { variant: "b", currency: "EUR", buyers: 1, sum: 30, sumSquares: 900, cappedOrders: 0, sumProducts: 0 },
    ]);
  });
});

describe("an object made by an older version", () => {
  it("gains the capped column its orders table lacks, and its earlier orders count as not capped", async () => {
    const shard = freshShard();
    await shard.expose([{ unit: "u1", variant: "a", at: T0 }]);
    const revenue = await runInDurableObject(shard, async (_instance, state) => {
      // The orders table as the version before order value caps made it, with one order in it; that version
      // numbered no schema steps, so its object has no meta table either.
      state.storage.sql.exec("DROP TABLE meta");
      state.storage.sql.exec("DROP TABLE orders");
      state.storage.sql.exec(
        "CREATE TABLE orders (unit TEXT NOT NULL, order_id TEXT NOT NULL, value REAL NOT NULL, currency TEXT NOT NULL, at INTEGER NOT NULL, PRIMARY KEY (unit, order_id))",
      );
      state.storage.sql.exec("INSERT INTO orders VALUES ('u1', 'old', 10, 'EUR', ?)", T0 + 1);
      // The new version's constructor on the same storage, as after a deploy.
      const upgraded = new ExperimentShard(state, env);
      upgraded.record({ kind: "purchase", unit: "u1", at: T0 + 2, windowMs: WINDOW, orderId: "new", value: 100, currency: "EUR", capped: true });
      return upgraded.aggregates().revenue;
    });
    expect(revenue).toEqual([{ variant: "a", currency: "EUR", buyers: 1, sum: 110, sumSquares: 110 * 110, cappedOrders: 1, sumProducts: 0 }]);
  });
});

describe("covariates and segments at exposure (issue 14)", () => {
  it("keeps a unit's covariate and segment cells from its first exposure, at most MAX_UNIT_SEGMENTS of them, and adds CUPED's sums", async () => {
    const shard = freshShard();
    const many = Array.from({ length: MAX_UNIT_SEGMENTS + 3 }, (_, i) => `cell-${String(i).padStart(2, "0")}`);
    await shard.expose([
      { unit: "u1", variant: "a", at: T0, covariate: 100, segments: ["vip"] },
      { unit: "u2", variant: "a", at: T0, covariate: 20, segments: many },
      { unit: "u3", variant: "b", at: T0, segments: [":anonymous"] },
    ]);
    // A later exposure changes neither (the membership may have changed since: the unit is counted as it first came).
    await shard.expose([{ unit: "u1", variant: "a", at: T0 + HOUR, covariate: 999, segments: ["bargain_hunter"] }]);
    await shard.record({ kind: "purchase", unit: "u1", at: T0 + 1, windowMs: WINDOW, orderId: "o1", value: 50, currency: "EUR", capped: false });
    await shard.record({ kind: "click", unit: "u2", variant: "a", at: T0 + 1, windowMs: WINDOW });
    const { variants, revenue, segments } = await shard.aggregates();
    expect(variants.map((v) => [v.variant, v.units, v.covariate])).toEqual([
      ["a", 2, { sum: 120, sumSquares: 100 * 100 + 20 * 20, clicked: 20, addedToCart: 0, purchased: 100, refunded: 0 }],
      ["b", 1, NO_COVARIATE],
    ]);
    expect(revenue).toEqual([{ variant: "a", currency: "EUR", buyers: 1, sum: 50, sumSquares: 2500, cappedOrders: 0, sumProducts: 5000 }]);
    const cells = Object.fromEntries((segments ?? []).map((s) => [s.cell, s.counts.variants.map((v) => [v.variant, v.units])]));
    expect(Object.keys(cells).sort()).toEqual([":anonymous", ...many.slice(0, MAX_UNIT_SEGMENTS), "vip"].sort());
    expect(cells.vip).toEqual([["a", 1]]);
    expect(cells[":anonymous"]).toEqual([["b", 1]]);
    expect(segments?.find((s) => s.cell === "vip")?.counts.revenue).toEqual([{ variant: "a", currency: "EUR", buyers: 1, sum: 50, sumSquares: 2500, cappedOrders: 0, sumProducts: 5000 }]);

    // A refund of 20 of u1's order: net revenue, the refunded unit and its covariate, overall and in u1's cells only.
    await shard.record({ kind: "refund", orderId: "o1", refundId: "r1", value: 20, currency: "EUR", at: T0 + 2 });
    const after = await shard.aggregates();
    expect(after.netRevenue).toEqual([{ variant: "a", currency: "EUR", buyers: 1, sum: 30, sumSquares: 900, cappedOrders: 0, sumProducts: 3000 }]);
    expect(after.variants.map((v) => [v.variant, v.refunded, v.covariate?.refunded])).toEqual([["a", 1, 100], ["b", 0, 0]]);
    const vip = after.segments?.find((s) => s.cell === "vip")?.counts;
    expect(vip?.netRevenue).toEqual([{ variant: "a", currency: "EUR", buyers: 1, sum: 30, sumSquares: 900, cappedOrders: 0, sumProducts: 3000 }]);
    expect(vip?.variants.map((v) => [v.variant, v.refunded])).toEqual([["a", 1]]);
    expect(after.segments?.find((s) => s.cell === ":anonymous")?.counts.variants.map((v) => [v.variant, v.refunded])).toEqual([["b", 0]]);
  });

  it("an object made before step 5 gains the columns: its units count overall with covariate 0, and in no segment cell", async () => {
    const shard = freshShard();
    const aggregates = await runInDurableObject(shard, async (_instance, state) => {
      const { sql } = state.storage;
      // The units table of step 1 with one unit in it, and the schema at step 3.
      sql.exec("DROP TABLE units");
      sql.exec("DROP TABLE segment_sets");
      sql.exec(
        "CREATE TABLE units (unit TEXT PRIMARY KEY, variant TEXT NOT NULL, first_at INTEGER NOT NULL, last_at INTEGER NOT NULL, multiple INTEGER NOT NULL DEFAULT 0, clicked INTEGER NOT NULL DEFAULT 0, added INTEGER NOT NULL DEFAULT 0, purchased INTEGER NOT NULL DEFAULT 0, rate_start INTEGER NOT NULL DEFAULT 0, rate_count INTEGER NOT NULL DEFAULT 0)",
      );
      sql.exec("INSERT INTO units (unit, variant, first_at, last_at) VALUES ('old', 'a', ?, ?)", T0, T0);
      sql.exec("UPDATE meta SET value = '3' WHERE key = 'schema_version'");
      const upgraded = new ExperimentShard(state, env);
      upgraded.expose([{ unit: "new", variant: "a", at: T0, covariate: 7, segments: ["vip"] }]);
      return upgraded.aggregates();
    });
    expect(aggregates.variants.map((v) => [v.variant, v.units, v.covariate?.sum])).toEqual([["a", 2, 7]]);
    expect(aggregates.segments?.map((s) => [s.cell, s.counts.variants.map((v) => v.units)])).toEqual([["vip", [1]]]);
  });
});
