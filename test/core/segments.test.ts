/**
 * @module Segments from orders: generated stores where every customer's right segments are known by
 * construction, Shopify's real export layout, metrics and scores against an independent Python reference
 * (test/core/make-segments-reference.py), mixed currencies, rules files and bad input reported by line.
 */
import { describe, expect, it } from "vitest";
import type { GenerateOptions } from "../../scripts/generate-orders.mjs";
import { expectedSegments, genericOrdersCsv, shopifyCustomersCsv, shopifyOrdersCsv } from "../../scripts/generate-orders.mjs";
import type { ComputeOptions, ComputeResult } from "../../src/core/segments/compute";
import { computeSegments, DEFAULT_HORIZON_DAYS, parseHorizonDays } from "../../src/core/segments/compute";
import { InputError, parseTime } from "../../src/core/segments/orders";
import type { Rules } from "../../src/core/segments/rules";
import { DEFAULT_RULES, parseRules } from "../../src/core/segments/rules";
import shopifyCustomers from "../fixtures/shopify-customers.csv?raw";
import shopifyOrders from "../fixtures/shopify-orders.csv?raw";
import referenceOrders from "./segments-orders.csv?raw";
import reference from "./segments-reference.json";

async function* chunks(source: Iterable<string> | string): AsyncGenerator<string> {
  if (typeof source === "string") {
    // Odd-sized chunks, so records and quoted fields are cut in the middle.
    for (let i = 0; i < source.length; i += 4093) yield source.slice(i, i + 4093);
  } else yield* source;
}

function compute(orders: Iterable<string> | string, options: Partial<Omit<ComputeOptions, "customers">> & { customers?: Iterable<string> | string } = {}): Promise<ComputeResult> {
  const { customers, ...rest } = options;
  return computeSegments(chunks(orders), { rules: DEFAULT_RULES, ...rest, customers: customers ? chunks(customers) : null });
}

/** Customer id → segments joined by "|", for comparing with what was constructed. */
function segmentsById(result: ComputeResult): Map<string, string> {
  return new Map(result.customers.map((m, i) => [m.customerId, (result.segments[i] ?? []).join("|")]));
}

/** Customers whose segments differ from their archetype's, as "archetype: expected -> got" counts. */
function misassigned(result: ComputeResult, options: GenerateOptions): Record<string, number> {
  const got = segmentsById(result);
  const wrong: Record<string, number> = {};
  for (const [id, c] of expectedSegments(options)) {
    const key = `${c.archetype}: ${c.expected.join("|")} -> ${got.get(id) ?? "(missing)"}`;
    if (got.get(id) !== c.expected.join("|")) wrong[key] = (wrong[key] ?? 0) + 1;
  }
  return wrong;
}

describe("segments from generated orders (right answer known by construction)", () => {
  it("puts every customer of a generic export in their archetype's segments", async () => {
    const options = { customers: 3000, seed: 11 };
    const result = await compute(genericOrdersCsv(options));
    expect(result.layout).toBe("generic");
    expect(result.badRows).toBe(0);
    expect(result.customers).toHaveLength(3000);
    expect(misassigned(result, options)).toEqual({});
  });

  it("does the same from Shopify's orders export, leaving out cancelled orders and guest checkouts", async () => {
    const options = { customers: 2000, seed: 12 };
    const result = await compute(shopifyOrdersCsv(options), { customers: shopifyCustomersCsv(options) });
    expect(result.layout).toBe("shopify");
    expect(result.badRows).toBe(0);
    expect(result.skipped.cancelled).toBeGreaterThan(0);
    expect(result.skipped.noCustomer).toBeGreaterThan(0);
    expect(result.rows).toBeGreaterThan(result.orders + result.skipped.cancelled + result.skipped.noCustomer); // line items
    expect(misassigned(result, options)).toEqual({});
    // The same orders as the generic export, once the skipped ones are left out.
    const generic = await compute(genericOrdersCsv(options));
    expect(result.orders).toBe(generic.orders);
  });

  it("scores each currency's customers against their own currency without rates", async () => {
    const options = { customers: 4000, seed: 13, usdShare: 0.35 };
    const result = await compute(genericOrdersCsv(options));
    expect(result.currencies).toEqual(["EUR", "USD"]);
    expect(misassigned(result, options)).toEqual({});
    // USD amounts are 10% higher, so on one scale they would crowd the top quintiles; per currency they do not.
    const usd = result.customers.filter((m) => m.currency === "USD");
    expect(usd.filter((m) => m.mScore === 5).length / usd.length).toBeCloseTo(0.2, 1);
    expect(result.summary.find((s) => s.segment === "vip")?.revenueShare).toEqual({ EUR: expect.any(Number), USD: expect.any(Number) });
  });

  it("converts to one currency with rates, and then scores everyone together", async () => {
    const options = { customers: 3000, seed: 14, usdShare: 0.35 };
    const result = await compute(genericOrdersCsv(options), { rates: { base: "EUR", rates: { USD: 1 / 1.1 } } });
    expect(result.currencies).toEqual(["EUR"]);
    expect(misassigned(result, options)).toEqual({});
    const euro = await compute(genericOrdersCsv({ ...options, usdShare: 0 }));
    // USD prices are EUR prices × 1.1, so converted back every customer's figures match the all-EUR store.
    const expected = new Map(euro.customers.map((m) => [m.customerId, m.monetary]));
    for (const m of result.customers) expect(m.monetary).toBeCloseTo(expected.get(m.customerId) ?? Number.NaN, 1);
  });

  it("summarizes customers, share and revenue share per segment, in the rules' order", async () => {
    const result = await compute(genericOrdersCsv({ customers: 1000, seed: 15 }));
    expect(result.summary.map((s) => s.segment)).toEqual([...DEFAULT_RULES.segments.map((r) => r.id), "(none)"]);
    const total = result.customers.reduce((sum, m) => sum + m.monetary, 0);
    for (const [i, s] of result.summary.entries()) {
      const members = result.customers.filter((_, j) => (s.segment === "(none)" ? result.segments[j]?.length === 0 : result.segments[j]?.includes(s.segment)));
      expect(s.customers, s.segment).toBe(members.length);
      expect(s.share).toBeCloseTo(members.length / 1000, 10);
      expect(s.revenueShare.EUR, `${i}`).toBeCloseTo(members.reduce((sum, m) => sum + m.monetary, 0) / total, 10);
    }
  });
});

describe("metrics and scores against the Python reference", () => {
  type Row = (typeof reference.customers)[keyof typeof reference.customers];
  const customers = reference.customers as Record<string, Row>;

  it("matches recency, frequency, money, scores, expected value and segments for every customer", async () => {
    // The reference computes the heuristic expected value, the fallback of the fitted model (value-model.ts).
    const result = await compute(referenceOrders, { valueModel: "heuristic" });
    expect(result.model.kind).toBe("heuristic");
    expect(result.store.asOf).toBe(reference.asOf);
    expect(result.store.typicalGapDays).toBeCloseTo(reference.typicalGapDays, 9);
    expect(result.store.repeatRate).toBeCloseTo(reference.repeatRate, 12);
    expect(result.customers).toHaveLength(Object.keys(customers).length);
    expect(result.mixedCurrencyCustomers).toBeGreaterThan(0);
    for (const [i, m] of result.customers.entries()) {
      const want = customers[m.customerId];
      if (!want) throw new Error(`customer ${m.customerId} is not in the reference`);
      const at = `customer ${m.customerId}`;
      expect({ orders: m.orders, recencyDays: m.recencyDays, tenureDays: m.tenureDays, currency: m.currency }, at).toEqual({
        orders: want.orders,
        recencyDays: want.recencyDays,
        tenureDays: want.tenureDays,
        currency: want.currency,
      });
      expect([m.rScore, m.fScore, m.mScore, m.aovScore], at).toEqual([want.rScore, want.fScore, want.mScore, want.aovScore]);
      for (const key of ["monetary", "netRevenue365d", "aov", "discountShare", "returnRate", "expectedValue"] as const) {
        expect(Math.abs(m[key] - want[key]), `${at} ${key}: ${m[key]} vs ${want[key]}`).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(want[key])));
      }
      expect(result.segments[i], at).toEqual(want.segments);
    }
  });
});

describe("Shopify's orders export (test/fixtures, Shopify's real columns)", () => {
  it("groups line items into orders, maps emails to customer ids, and leaves out cancelled, voided and guest orders", async () => {
    const result = await compute(shopifyOrders, { customers: shopifyCustomers });
    expect(result.badRows).toBe(0);
    expect(result.rows).toBe(12);
    expect(result.orders).toBe(6);
    expect(result.skipped).toEqual({ cancelled: 2, noCustomer: 1, afterAsOf: 0 });
    // The end of the latest order's day (UTC), so days count calendar days.
    expect(result.store.asOf).toBe(Date.UTC(2026, 9, 30, 23, 59, 59, 999));
    const byId = new Map(result.customers.map((m) => [m.customerId, m]));
    expect([...byId.keys()].sort()).toEqual(["7001", "7002", "7003", "7004"]);
    expect(byId.get("7001")).toMatchObject({ orders: 3, recencyDays: 0, tenureDays: 182, monetary: 230, discountShare: 1 / 3, currency: "EUR" });
    expect(byId.get("7001")?.aov).toBeCloseTo(260 / 3, 10);
    expect(byId.get("7001")?.returnRate).toBeCloseTo(30 / 260, 12);
    expect(byId.get("7002")).toMatchObject({ orders: 1, monetary: 0, returnRate: 1 });
    // Carol's cancelled 500.00 and voided 99.00 do not count; her 3-item order does, once.
    expect(byId.get("7003")).toMatchObject({ orders: 1, recencyDays: 10, monetary: 200, aov: 200 });
    // The orders export wrote Dave@Example.COM; the customers export dave@example.com.
    expect(byId.get("7004")).toMatchObject({ orders: 1, recencyDays: 1, monetary: 45.5 });
  });

  it("asks for the customers export instead of guessing ids from emails", async () => {
    await expect(compute(shopifyOrders)).rejects.toThrow(/pass --customers with Shopify's customers export/);
  });

  it("reads Shopify's time format with its offset", () => {
    expect(parseTime("2026-05-01 10:00:00 +0200")).toBe(Date.UTC(2026, 4, 1, 8));
    expect(parseTime("2026-05-01T10:00:00.250-05:30")).toBe(Date.UTC(2026, 4, 1, 15, 30, 0, 250));
    expect(parseTime("2026-05-01")).toBe(Date.UTC(2026, 4, 1));
    for (const bad of ["2026-02-30", "01/05/2026", "2026-13-01", "yesterday", ""]) expect(parseTime(bad), bad).toBeNaN();
  });
});

const HEADER = "customer_id,order_id,created_at,total,currency,discount,refunded";

describe("as of an earlier day", () => {
  it("leaves out orders after --as-of, as if scored on that day", async () => {
    const text = [HEADER, "a,1,2026-09-01,10,EUR,0,0", "a,2,2026-10-15,10,EUR,0,0", "b,3,2026-10-20,10,EUR,0,0", "a,4,2026-09-20,10,EUR,0,0"].join("\n");
    const asOf = Date.UTC(2026, 9, 1) - 1; // the end of 30 September
    const result = await compute(text, { asOf });
    expect(result.skipped.afterAsOf).toBe(2);
    expect(result.customers.map((m) => [m.customerId, m.orders, m.recencyDays, m.tenureDays])).toEqual([["a", 2, 10, 29]]);
  });

  it("counts calendar days from the end of the latest order's day", async () => {
    const text = [HEADER, "a,1,2026-10-31T23:30:00Z,10,EUR,0,0", "b,2,2026-11-01T09:00:00Z,10,EUR,0,0", "c,3,2026-10-02T00:10:00Z,10,EUR,0,0"].join("\n");
    const result = await compute(text);
    expect(result.customers.map((m) => [m.customerId, m.recencyDays])).toEqual([["a", 1], ["b", 0], ["c", 30]]);
  });
});

describe("repeat history for a customer-value model", () => {
  /** x, tx, T, mean repeat value and repeat orders after as-of of each customer, by id. */
  function history(result: ComputeResult): Record<string, [number, number, number, number, number]> {
    const { repeat } = result;
    return Object.fromEntries(
      result.customers.map((m, i) => [
        m.customerId,
        [repeat.orders[i] ?? -1, repeat.spanDays[i] ?? -1, repeat.observedDays[i] ?? -1, repeat.meanValue[i] ?? -1, repeat.laterOrders[i] ?? -1],
      ]),
    );
  }

  it("counts the days ordered on after the first, in any file order, and keeps every order in the other metrics", async () => {
    const text = [
      HEADER,
      // a: four days, two with two orders; the file neither old-first nor new-first, a day inside the range last.
      "a,1,2026-09-10T08:00:00Z,20,EUR,0,0",
      "a,2,2026-09-01T10:00:00Z,10,EUR,0,0",
      "a,3,2026-09-30T09:00:00Z,40,EUR,0,30",
      "a,4,2026-09-01T23:59:00Z,5,EUR,0,0",
      "a,5,2026-09-10T20:00:00Z,30,EUR,0,0",
      "a,6,2026-09-20T12:00:00Z,10,EUR,0,0",
      "a,7,2026-09-20T13:00:00Z,10,EUR,0,0",
      // b: one order; c: two orders on one day, no repeat; d: two days in two currencies.
      "b,8,2026-09-15T12:00:00Z,99,EUR,0,0",
      "c,9,2026-09-25T01:00:00Z,15,EUR,0,0",
      "c,10,2026-09-25T22:00:00Z,25,EUR,0,0",
      "d,11,2026-09-02,10,EUR,0,0",
      "d,12,2026-09-03,10,USD,0,0",
    ].join("\n");
    const result = await compute(text, { asOf: Date.UTC(2026, 9, 1) - 1 });
    expect(history(result)).toEqual({
      // x = 3 days after 1 September; tx = 29 days to 30 September; T = 29 to the as-of day; the repeat orders'
      // mean is gross, refunds left to the return rate, the first day (10 + 5) left out: (50 + 20 + 40) / 3.
      a: [3, 29, 29, 110 / 3, 0],
      b: [0, 0, 15, Number.NaN, 0],
      c: [0, 0, 5, Number.NaN, 0],
      // Amounts of one currency cannot be averaged over the repeat days of two.
      d: [1, 1, 28, Number.NaN, 0],
    });
    expect(result.customers.map((m) => [m.customerId, m.orders])).toEqual([["a", 7], ["b", 1], ["c", 2], ["d", 2]]);
    expect(result.holdout).toBeNull();
  });

  it("converts the repeat orders' value with --rates", async () => {
    const text = [HEADER, "a,1,2026-09-01,10,EUR,0,0", "a,2,2026-09-05,10,USD,0,0", "a,3,2026-09-09,30,EUR,0,0"].join("\n");
    const result = await compute(text, { rates: { base: "EUR", rates: { USD: 0.5 } } });
    expect(history(result)).toEqual({ a: [2, 8, 8, 17.5, 0] });
  });

  it("counts the repeat orders after --as-of, one a day, by the customers' repeat orders before it", async () => {
    const rows = [HEADER];
    // Customers with 0 to 9 repeat orders before 1 October, each with (x + 1) orders on as many days after it,
    // two of them on one day; the file new-first, as Shopify's is.
    for (let x = 0; x <= 9; x++) {
      for (let day = 0; day <= x; day++) rows.push(`c${x},${x}-${day},2026-09-${String(1 + day).padStart(2, "0")}T12:00:00Z,10,EUR,0,0`);
      for (let day = 0; day <= x; day++) {
        rows.push(`c${x},${x}-l${day}a,2026-10-${String(2 + day).padStart(2, "0")}T08:00:00Z,10,EUR,0,0`);
        rows.push(`c${x},${x}-l${day}b,2026-10-${String(2 + day).padStart(2, "0")}T18:00:00Z,10,EUR,0,0`);
      }
    }
    rows.push("late,n1,2026-10-20,10,EUR,0,0", "late,n2,2026-10-31,10,EUR,0,0");
    const result = await compute([rows[0] ?? "", ...rows.slice(1).reverse()].join("\n"), { asOf: Date.UTC(2026, 9, 1) - 1 });
    expect(result.skipped.afterAsOf).toBe(2 * 55 + 2);
    expect(result.customers.length).toBe(10);
    expect(result.holdout).toEqual({
      // 30 September to 31 October.
      days: 31,
      byCalibrationOrders: [
        ...[0, 1, 2, 3, 4, 5, 6].map((x) => ({ x, customers: 1, actual: x + 1, predicted: null })),
        { x: 7, customers: 3, actual: 8 + 9 + 10, predicted: null },
      ],
      total: 55,
      // Ten customers are too few to fit a model: no predicted side.
      predictedTotal: null,
      newCustomers: 1,
    });
    expect(result.model).toMatchObject({ kind: "heuristic" });
    // Orders after --as-of stay out of every other figure.
    expect(result.customers.every((m, i) => m.orders === (result.repeat.orders[i] ?? 0) + 1)).toBe(true);
    expect(history(result).c3).toEqual([3, 3, 29, 10, 4]);
  });

  it("has no holdout when --as-of is at or after the latest order", async () => {
    const text = [HEADER, "a,1,2026-09-01,10,EUR,0,0", "a,2,2026-09-05,10,EUR,0,0"].join("\n");
    const result = await compute(text, { asOf: Date.UTC(2026, 9, 1) - 1 });
    expect(result.holdout).toBeNull();
    expect(history(result)).toEqual({ a: [1, 4, 29, 10, 0] });
  });
});

describe("horizon of expected orders", () => {
  it("is a whole number of days from 1 to ten years, a year by default", async () => {
    expect(DEFAULT_HORIZON_DAYS).toBe(365);
    expect([" 365", "1", "3650", "90"].map(parseHorizonDays)).toEqual([365, 1, 3650, 90]);
    for (const bad of ["0", "3651", "-5", "1.5", "1e3", "", "a year"]) expect(parseHorizonDays(bad), bad).toBeNull();
    const text = [HEADER, "a,1,2026-09-01,10,EUR,0,0"].join("\n");
    expect((await compute(text)).horizonDays).toBe(365);
    expect((await compute(text, { horizonDays: 90 })).horizonDays).toBe(90);
  });
});

describe("bad input", () => {
  it("reports each bad row with its line and what is wrong, and counts the rest", async () => {
    const text = [
      HEADER,
      "c1,o1,2026-10-01,59.90,EUR,0,0",
      "c2,o2,01/10/2026,12.00,EUR,0,0",
      ",o3,2026-10-01,abc,EURO,0,0",
      "c3,o4,2026-10-01,10,EUR",
      "c1,o1,2026-10-01,59.90,EUR,0,0",
      "c4,o5,2026-10-02,20.00,eur,,",
    ].join("\n");
    const result = await compute(text);
    expect(result.issues).toEqual([
      { line: 3, message: 'created_at "01/10/2026" is not a date (2026-05-01 or 2026-05-01T10:00:00Z)' },
      { line: 4, message: 'customer_id is empty; total "abc" is not an amount (59.90); currency "EURO" is not an ISO 4217 code (EUR)' },
      { line: 5, message: "expected 7 fields, found 5" },
      { line: 6, message: 'order "o1" is already on line 2' },
    ]);
    expect(result.badRows).toBe(4);
    expect(result.orders).toBe(2);
    expect(result.customers.map((m) => m.customerId)).toEqual(["c1", "c4"]);
  });

  it("says in one message that a file is not an orders export", async () => {
    const attempts: [string, RegExp][] = [
      ['{"customer_id":"1","segments":["vip"]}\n', /^this is not an orders export: expected Shopify's orders export .* its first line is: \{"customer_id":"1"/],
      ["Handle,Title,Body (HTML),Vendor\nshirt,Shirt,,Acme\n", /^this is not an orders export: .* its first line is: Handle, Title, Body \(HTML\), Vendor$/],
      ["", /^the orders file is empty$/],
      [`${HEADER}\n`, /^the orders file has no orders$/],
      [`${HEADER}\nx,y,z,1,2,3,4\n`, /^no order could be read: all 1 row\(s\) are invalid \(line 2: created_at "z" is not a date/],
    ];
    for (const [text, message] of attempts) {
      const error = await compute(text).then(
        () => null,
        (e: unknown) => e,
      );
      expect(error, text).toBeInstanceOf(InputError);
      expect((error as Error).message, text).toMatch(message);
    }
  });

  it("reports an order in a currency the rates file lacks, on its line", async () => {
    const text = [HEADER, "c1,o1,2026-10-01,10,EUR,0,0", "c2,o2,2026-10-01,10,CHF,0,0"].join("\n");
    const result = await compute(text, { rates: { base: "EUR", rates: { USD: 0.9 } } });
    expect(result.issues).toEqual([{ line: 3, message: "no rate for CHF in --rates (base EUR)" }]);
  });

  it("refuses rules that compare amounts when the orders are in several currencies", async () => {
    const rules = { segments: [{ id: "big", when: { monetary: { min: 500 } } }] } satisfies Rules;
    const text = [HEADER, "c1,o1,2026-10-01,10,EUR,0,0", "c2,o2,2026-10-01,10,USD,0,0"].join("\n");
    await expect(compute(text, { rules })).rejects.toThrow(/compare amounts of money \(segments\.0\.when\.monetary\) but the orders are in EUR, USD: convert them/);
    const converted = await compute(text, { rules, rates: { base: "EUR", rates: { USD: 0.9 } } });
    expect(converted.segments).toEqual([[], []]);
  });
});

describe("rules files", () => {
  it("validates a rules file and names every bad field by its path", () => {
    const result = parseRules({
      segments: [
        { id: "vip", when: { m_score: { min: 6 } } },
        { id: "Big Spenders", when: { monetary: {} } },
        { id: "vip", when: { colour: { min: 1 } }, not_in: ["later"] },
        { id: "later", when: { return_rate: { min: 0.5, max: 0.2 } } },
      ],
    });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues.map((i) => i.path)).toEqual([
      "segments.0.when.m_score.min",
      "segments.1.id",
      "segments.1.when.monetary",
      "segments.2.when",
      "segments.3.when.return_rate",
      "segments.2.id",
      "segments.2.not_in.0",
    ]);
    expect(result.issues.find((i) => i.path === "segments.2.not_in.0")?.message).toBe('"later" is not a segment listed before "vip"');
    expect(result.issues.find((i) => i.path === "segments.2.when")?.message).toMatch(/colour/);
  });

  it("takes the fitted model's measures as conditions: probability_active within 0..1, expected_orders not below 0, expected_order_value", async () => {
    const bad = parseRules({
      segments: [
        { id: "fading", when: { probability_active: { max: 1.5 } } },
        { id: "loyal", when: { expected_orders: { min: -1 } } },
      ],
    });
    expect(bad.ok).toBe(false);
    if (bad.ok) return;
    expect(bad.issues.map((i) => i.path)).toEqual(["segments.0.when.probability_active.max", "segments.1.when.expected_orders.min"]);

    const parsed = parseRules({
      segments: [
        { id: "fading", when: { orders: { min: 2 }, probability_active: { max: 0.5 } } },
        { id: "loyal", when: { expected_orders: { min: 4 } } },
        { id: "big_basket", when: { expected_order_value: { min: 150 } } },
      ],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const result = await compute(genericOrdersCsv({ customers: 1000, seed: 31 }), { rules: parsed.rules });
    expect(result.model.kind).toBe("bg-nbd+gamma-gamma");
    result.customers.forEach((m, i) => {
      const want = [
        ...(m.orders >= 2 && m.probabilityActive <= 0.5 ? ["fading"] : []),
        ...(m.expectedOrders >= 4 ? ["loyal"] : []),
        ...(m.expectedOrderValue >= 150 ? ["big_basket"] : []),
      ];
      expect(result.segments[i], m.customerId).toEqual(want);
    });
    // Both segments are there, so the check above is not vacuous.
    expect(result.segments.some((s) => s.includes("fading"))).toBe(true);
    expect(result.segments.some((s) => s.includes("loyal"))).toBe(true);
    expect(result.segments.some((s) => s.includes("big_basket"))).toBe(true);
    expect(result.segments.some((s, i) => !s.includes("big_basket") && (result.customers[i]?.orders ?? 0) > 1)).toBe(true);
  });

  it("accepts the default rules as a rules file", () => {
    expect(parseRules(JSON.parse(JSON.stringify(DEFAULT_RULES)))).toEqual({ ok: true, rules: DEFAULT_RULES });
  });

  it("assigns a store's own rules, ranges including their ends, exclusions by earlier segments", async () => {
    const text = [HEADER, "a,1,2026-10-01,500,EUR,0,0", "b,2,2026-10-01,499.99,EUR,0,0", "c,3,2026-10-01,100,EUR,0,100"].join("\n");
    const parsed = parseRules({
      segments: [
        { id: "big_spender", when: { monetary: { min: 500 } } },
        { id: "returned_all", when: { return_rate: { min: 1, max: 1 } } },
        { id: "everyone_else", when: { orders: { min: 1 } }, not_in: ["big_spender", "returned_all"] },
      ],
    });
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const result = await compute(text, { rules: parsed.rules });
    expect(Object.fromEntries(segmentsById(result))).toEqual({ a: "big_spender", b: "everyone_else", c: "returned_all" });
  });
});

describe("the expected value's model", () => {
  it("fits BG/NBD + Gamma-Gamma on a store with the history for it, and sets every customer's measures from it", async () => {
    const result = await compute(genericOrdersCsv({ customers: 1000, seed: 32 }));
    if (result.model.kind !== "bg-nbd+gamma-gamma") throw new Error(JSON.stringify(result.model));
    expect(result.model.bgNbd.timeUnit).toBe("days");
    expect(result.model.bgNbd.customers).toBe(1000);
    expect(result.model.gammaGamma.map((g) => g.currency)).toEqual(["EUR"]);
    for (const m of result.customers) {
      expect(m.probabilityActive).toBeGreaterThan(0);
      expect(m.probabilityActive).toBeLessThanOrEqual(1);
      expect(m.expectedValue).toBeCloseTo(m.expectedOrders * m.expectedOrderValue * (1 - shrunk(m, result)), 8);
    }
    // A longer horizon, more expected orders for every customer.
    const longer = await compute(genericOrdersCsv({ customers: 1000, seed: 32 }), { horizonDays: 730 });
    expect({ ...longer.model, fitSeconds: 0 }).toEqual({ ...result.model, fitSeconds: 0 });
    longer.customers.forEach((m, i) => expect(m.expectedOrders).toBeGreaterThan(result.customers[i]?.expectedOrders ?? Number.POSITIVE_INFINITY));
  });

  it("fits the spend model per scoring currency: USD order values (10% higher in the generator) against USD customers", async () => {
    const result = await compute(genericOrdersCsv({ customers: 3000, seed: 34, usdShare: 0.3 }));
    if (result.model.kind !== "bg-nbd+gamma-gamma") throw new Error(JSON.stringify(result.model));
    const [eur, usd] = result.model.gammaGamma;
    expect([eur?.currency, usd?.currency]).toEqual(["EUR", "USD"]);
    const mean = (g: typeof eur) => (g ? (g.params.p * g.params.gamma) / (g.params.q - 1) : Number.NaN);
    expect(mean(usd) / mean(eur)).toBeGreaterThan(1.1 * 0.95);
    expect(mean(usd) / mean(eur)).toBeLessThan(1.1 * 1.05);
  });

  it("keeps the heuristic, and says why, for a store too young to fit or with too few repeat customers in a currency", async () => {
    // 100 customers, each with two orders, all within the last two months.
    const young = [HEADER, ...Array.from({ length: 100 }, (_, i) => [`y${i},a${i},2026-09-${String(1 + (i % 28)).padStart(2, "0")},40,EUR,0,0`, `y${i},b${i},2026-10-30,50,EUR,0,0`]).flat()].join("\n");
    const youngResult = await compute(young);
    expect(youngResult.model).toEqual({ kind: "heuristic", reason: "59 day(s) of history, fewer than the 90 the fit needs" });
    expect(youngResult.customers.every((m) => m.expectedValue > 0 && m.probabilityActive > 0)).toBe(true);

    // The spend model is fitted per currency; a currency with too few repeat customers sends the store back.
    const twoCurrencies = await compute(genericOrdersCsv({ customers: 200, seed: 33, usdShare: 0.1 }));
    expect(twoCurrencies.model).toMatchObject({ kind: "heuristic", reason: expect.stringMatching(/^\d+ customer\(s\) with repeat orders in USD \(pass --rates to pool the currencies\), fewer than the 50 the fit needs$/) });
    const converted = await compute(genericOrdersCsv({ customers: 200, seed: 33, usdShare: 0.1 }), { rates: { base: "EUR", rates: { USD: 1 / 1.1 } } });
    expect(converted.model.kind).toBe("bg-nbd+gamma-gamma");
  });
});

/** The return rate value-model.ts nets the expected value of: the customer's, shrunk towards the store's by 4 orders. */
function shrunk(m: ComputeResult["customers"][number], result: ComputeResult): number {
  let gross = 0;
  let refunded = 0;
  for (const c of result.customers) {
    gross += c.aov * c.orders;
    refunded += c.aov * c.orders * c.returnRate;
  }
  return (m.orders * m.returnRate + 4 * (refunded / gross)) / (m.orders + 4);
}
