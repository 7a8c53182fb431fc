/**
 * @module Guardrails as pure functions: the schema's `experiment.guardrails` and a variant's `stopped` (with their
 * messages), the decision for a unit of a stopped variant (the baseline, uncounted; nobody else moves), the
 * sample-ratio check with a stopped variant, and which variants the guardrail stops, including for the metrics the
 * results will carry later (net revenue per visitor per currency, refund rate).
 */
import { describe, expect, it } from "vitest";
import { pickVariant } from "../../src/core/bucket";
import type { Campaign, Config, ConfigInput } from "../../src/core/config-schema";
import { parseConfig } from "../../src/core/config-schema";
import type { VisitorContext } from "../../src/core/decide";
import { decide } from "../../src/core/decide";
import type { ExperimentCounts, ExperimentResults } from "../../src/core/experiment-results";
import { experimentResults } from "../../src/core/experiment-results";
import { breachKey, describeStop, guardrailDecision, withVariantsStopped } from "../../src/core/guardrails";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const STOP = { by: "guardrail", at: "2026-11-27T10:00:00Z", metric: "purchase", pValue: 0.004, interval: [-0.2, -0.05] } as const;

function campaignInput(variants: Record<string, unknown>[], experiment: Record<string, unknown> = { guardrails: ["purchase"] }): ConfigInput {
  return { campaigns: [{ id: "bar", placement: "topbar", experiment, variants }], defaults: { topbar: { text: "Default" } } } as ConfigInput;
}

function configOf(input: unknown): Config {
  const result = parseConfig(input);
  if (!result.ok) throw new Error(`fixture config is invalid: ${JSON.stringify(result.issues)}`);
  return result.config;
}

const THREE_WAY = [
  { id: "control", weight: 2, control: true },
  { id: "b", weight: 1, message: { text: "B" } },
  { id: "c", weight: 1, message: { text: "C" } },
];

function visitor(visitorId: string, consent = true): VisitorContext {
  return { visitorId, customerId: null, country: null, path: "/", returning: false, device: "desktop", currency: null, locale: "en-US", consent };
}

describe("the schema", () => {
  it("accepts guardrail metrics and a stopped variant, by the guardrail or by hand", () => {
    const stoppedByHand = THREE_WAY.map((v) => (v.id === "c" ? { ...v, stopped: { by: "marketer", at: "2026-11-27T10:00:00Z" } } : v.id === "b" ? { ...v, stopped: STOP } : v));
    expect(parseConfig(campaignInput(stoppedByHand, { guardrails: ["netRevenuePerVisitor", "refundRate", "revenuePerVisitor", "purchase"] })).ok).toBe(true);
  });

  it.each<[string, Record<string, unknown>[], Record<string, unknown>, { path: string; message: RegExp }]>([
    ["an unknown metric", THREE_WAY, { guardrails: ["clicks"] }, { path: "campaigns.0.experiment.guardrails.0", message: /netRevenuePerVisitor/ }],
    ["a metric twice", THREE_WAY, { guardrails: ["purchase", "purchase"] }, { path: "campaigns.0.experiment.guardrails", message: /each guardrail metric once/ }],
    ["an empty list", THREE_WAY, { guardrails: [] }, { path: "campaigns.0.experiment.guardrails", message: /at least one guardrail metric/ }],
    ["a stopped control", THREE_WAY.map((v) => (v.control ? { ...v, stopped: STOP } : v)), {}, { path: "campaigns.0.variants.0.stopped", message: /^a control cannot be stopped$/ }],
    [
      "the baseline stopped (no control: the first weighted variant)",
      [{ id: "a", weight: 1, message: { text: "A" }, stopped: STOP }, { id: "b", weight: 1, message: { text: "B" } }],
      {},
      { path: "campaigns.0.variants.0.stopped", message: /^the baseline \(with no control, the first weighted variant\) cannot be stopped: one variant keeps running$/ },
    ],
    ["a guardrail stop without its metric", THREE_WAY.map((v) => (v.id === "b" ? { ...v, stopped: { by: "guardrail", at: STOP.at } } : v)), {}, { path: "campaigns.0.variants.1.stopped.metric", message: /^name the guardrail metric it was worse on$/ }],
  ])("refuses %s with its path and a clear message", (_name, variants, experiment, expected) => {
    const result = parseConfig(campaignInput(variants, experiment));
    expect(result.ok).toBe(false);
    const issue = result.ok ? undefined : result.issues.find((i) => i.path === expected.path);
    expect(issue?.message, JSON.stringify(result)).toMatch(expected.message);
  });
});

describe("the decision with a stopped variant", () => {
  const running = configOf(campaignInput(THREE_WAY));
  const stopped = configOf(campaignInput(THREE_WAY.map((v) => (v.id === "b" ? { ...v, stopped: STOP } : v))));

  it("shows a unit of the stopped variant the baseline and counts no exposure; every other unit keeps its variant and exposure", () => {
    let seenB = 0;
    for (let i = 0; i < 2_000; i++) {
      const context = visitor(`visitor-${i}`);
      const was = decide(running, null, context, NOW);
      const now = decide(stopped, null, context, NOW);
      if (was.placements.topbar?.variant === "b") {
        seenB++;
        expect(now.placements.topbar).toEqual({ campaign: "bar", variant: "control", control: true, message: expect.objectContaining({ text: "Default" }) });
        expect(now.exposures).toEqual([]);
      } else {
        expect(now).toEqual(was);
      }
    }
    expect(seenB).toBeGreaterThan(300);
  });

  it("with no control, the baseline is the first weighted variant, and units of a stopped one see it", () => {
    const config = configOf(campaignInput([{ id: "a", weight: 1, message: { text: "A" } }, { id: "b", weight: 1, message: { text: "B" }, stopped: STOP }]));
    const unit = Array.from({ length: 100 }, (_, i) => `v-${i}`).find((id) => pickVariant("bar", id, config.campaigns[0]?.variants ?? [])?.id === "b") ?? "";
    const decision = decide(config, null, visitor(unit), NOW);
    expect(decision.placements.topbar).toMatchObject({ variant: "a", message: { text: "A" } });
    expect(decision.exposures).toEqual([]);
  });
});

function counts(units: Record<string, number>, purchased: Record<string, number>): ExperimentCounts {
  return {
    variants: Object.entries(units).map(([variant, n]) => ({ variant, units: n, clicked: 0, addedToCart: 0, purchased: purchased[variant] ?? 0, firstExposure: NOW, lastExposure: NOW })),
    revenue: [],
    multipleVariantUnits: 0,
  };
}

describe("the results with a stopped variant", () => {
  it("checks the split among the running variants only, and says the variant was switched off", () => {
    const campaign = configOf(campaignInput(THREE_WAY.map((v) => (v.id === "b" ? { ...v, stopped: STOP } : v)))).campaigns[0] as Campaign;
    // b froze at 300 units while control (weight 2) and c (weight 1) went on 2:1.
    const results = experimentResults(campaign, counts({ control: 2_000, b: 300, c: 1_000 }, {}));
    expect(results.sampleRatio).toMatchObject({ mismatch: false, expectedShares: { control: 2 / 3, b: 0, c: 1 / 3 } });
    expect(results.warnings).toEqual(['variant "b" was switched off on 2026-11-27: its figures stop there']);
  });
});

describe("which variants the guardrail stops", () => {
  const campaign = configOf(campaignInput(THREE_WAY, { guardrails: ["purchase", "netRevenuePerVisitor", "refundRate"] })).campaigns[0] as Campaign;
  const clear = experimentResults(campaign, counts({ control: 2_000, b: 1_000, c: 1_000 }, { control: 400, b: 200, c: 200 }));
  const worse = experimentResults(campaign, counts({ control: 2_000, b: 1_000, c: 1_000 }, { control: 400, b: 60, c: 200 }));

  it("stops a variant whose purchase verdict is worse, and leaves the others", () => {
    const decision = guardrailDecision(campaign, worse, new Set());
    expect(decision.stops.map((s) => [s.breach.variant, s.breach.metric])).toEqual([["b", "purchase"]]);
    expect(decision.stops[0]?.breach.pValue).toBeLessThan(0.05);
    expect(guardrailDecision(campaign, clear, new Set()).stops).toEqual([]);
  });

  it("does not stop a variant that sells more with the same share of buyers refunded (refund rate is among buyers)", () => {
    // 100,000 units an arm; the variant sells 20% more, a fifth of the buyers in both arms refunded, every order EUR 50.
    const two = configOf(campaignInput([{ id: "control", weight: 1, control: true }, { id: "b", weight: 1, message: { text: "B" } }], { guardrails: ["refundRate", "netRevenuePerVisitor"] })).campaigns[0] as Campaign;
    const arm = (variant: string, buyers: number) => ({ variant, units: 100_000, clicked: 0, addedToCart: 0, purchased: buyers, refunded: buyers / 5, firstExposure: NOW, lastExposure: NOW });
    const money = (variant: string, buyers: number, each: number) => ({ variant, currency: "EUR", buyers, sum: buyers * each, sumSquares: buyers * each * each, cappedOrders: 0 });
    const results = experimentResults(two, {
      variants: [arm("control", 5_000), arm("b", 6_000)],
      revenue: [money("control", 5_000, 50), money("b", 6_000, 50)],
      // A refunded buyer's order is refunded in full: 4,000 and 4,800 buyers keep EUR 50.
      netRevenue: [money("control", 4_000, 50), money("b", 4_800, 50)],
      multipleVariantUnits: 0,
    });
    expect(results.metrics.netRevenuePerVisitor.EUR?.variants[1]?.vsControl).toMatchObject({ verdict: "better" });
    expect(results.metrics.refundRate.variants[1]).toMatchObject({ units: 6_000, conversions: 1_200, value: 0.2 });
    expect(results.metrics.refundRate.variants[1]?.vsControl).toMatchObject({ verdict: "inconclusive" });
    expect(guardrailDecision(two, results, new Set()).stops).toEqual([]);
  });

  it("stops a variant that stopped selling: no purchase at all against thousands is a verdict, not too little data", () => {
    for (const sold of [0, 4]) {
      const results = experimentResults(campaign, counts({ control: 100_000, b: 100_000, c: 100_000 }, { control: 5_000, b: sold, c: 5_000 }));
      expect(results.metrics.purchase.variants[1]?.vsControl, `b sold ${sold}`).toMatchObject({ verdict: "worse" });
      expect(guardrailDecision(campaign, results, new Set()).stops.map((s) => s.breach.variant)).toEqual(["b"]);
    }
    // Too few conversions in both arms together is still not enough data.
    const rare = experimentResults(campaign, counts({ control: 1_000, b: 1_000, c: 1_000 }, { control: 5, b: 0, c: 5 }));
    expect(rare.metrics.purchase.variants[1]?.vsControl).toEqual({ verdict: "not_enough_data" });
  });

  it("reads metrics the results do not have yet as no verdict, and uses them once they are there (per currency, or one)", () => {
    // The results as they will be once net revenue and refund rate are in: b worse on net revenue in EUR, c on refunds.
    const worseOn = (variant: string) => ({ kind: "continuous", variants: ["control", "b", "c"].map((v) => ({ variant: v, vsControl: v === "control" ? null : v === variant ? { verdict: "worse", sequential: { pValue: 0.01, interval: [-2, -1] } } : { verdict: "inconclusive", sequential: { pValue: 0.5, interval: [-1, 1] } } })) });
    const later = { ...clear, metrics: { ...clear.metrics, netRevenuePerVisitor: { EUR: worseOn("b") }, refundRate: worseOn("c") } } as unknown as ExperimentResults;
    const decision = guardrailDecision(campaign, later, new Set());
    expect(decision.stops.map((s) => s.breach)).toEqual([
      { variant: "b", metric: "netRevenuePerVisitor", currency: "EUR", pValue: 0.01, interval: [-2, -1] },
      { variant: "c", metric: "refundRate", pValue: 0.01, interval: [-2, -1] },
    ]);
  });

  it("leaves a variant switched back on while a remembered breach stays worse, and forgets it once it is not", () => {
    const remembered = new Set([breachKey({ variant: "b", metric: "purchase" })]);
    expect(guardrailDecision(campaign, worse, remembered)).toEqual({ stops: [], cleared: [] });
    expect(guardrailDecision(campaign, clear, remembered)).toMatchObject({ stops: [], cleared: [breachKey({ variant: "b", metric: "purchase" })] });
  });

  it("watches no stopped variant, and no campaign without guardrails", () => {
    const stoppedB = withVariantsStopped(configOf(campaignInput(THREE_WAY, { guardrails: ["purchase"] })), "bar", new Map([["b", { ...STOP, interval: [...STOP.interval] }]]));
    expect(guardrailDecision(stoppedB.campaigns[0] as Campaign, worse, new Set()).stops).toEqual([]);
    const unguarded = configOf(campaignInput(THREE_WAY, {})).campaigns[0] as Campaign;
    expect(guardrailDecision(unguarded, worse, new Set()).stops).toEqual([]);
  });

  it("describes a stop as the editor shows it", () => {
    expect(describeStop({ ...STOP, interval: [...STOP.interval] })).toBe("switched off by the guardrail on 2026-11-27: purchase conversion worse (p = 0.004)");
    expect(describeStop({ by: "marketer", at: "2026-11-28T09:00:00Z" })).toBe("switched off by hand on 2026-11-28");
  });
});
