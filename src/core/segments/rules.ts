/**
 * @module Segment rules: which value segments a customer belongs to, given their metrics. The defaults
 * give the demo config's segments; a store changes them with a rules file, validated here.
 */
import { z } from "zod";
import type { FieldIssue } from "../config-schema";
import { toFieldIssues } from "../config-schema";
import { SEGMENT_ID } from "../shared";
import type { CustomerMetrics } from "./metrics";

/** The metric each condition reads. Money conditions are in major units of the scoring currency. */
const METRICS = {
  orders: (m: CustomerMetrics) => m.orders,
  recency_days: (m: CustomerMetrics) => m.recencyDays,
  tenure_days: (m: CustomerMetrics) => m.tenureDays,
  monetary: (m: CustomerMetrics) => m.monetary,
  aov: (m: CustomerMetrics) => m.aov,
  expected_value: (m: CustomerMetrics) => m.expectedValue,
  probability_active: (m: CustomerMetrics) => m.probabilityActive,
  expected_orders: (m: CustomerMetrics) => m.expectedOrders,
  expected_order_value: (m: CustomerMetrics) => m.expectedOrderValue,
  discount_share: (m: CustomerMetrics) => m.discountShare,
  return_rate: (m: CustomerMetrics) => m.returnRate,
  r_score: (m: CustomerMetrics) => m.rScore,
  f_score: (m: CustomerMetrics) => m.fScore,
  m_score: (m: CustomerMetrics) => m.mScore,
  aov_score: (m: CustomerMetrics) => m.aovScore,
} as const;
type Metric = keyof typeof METRICS;

/** Conditions in an amount of money: they only mean something when every customer is scored in one currency. */
export const MONEY_METRICS: readonly Metric[] = ["monetary", "aov", "expected_value", "expected_order_value"];


/** `{"min", "max"}` of `bound` values: at least one of them, min not above max. */
function range(bound: z.ZodNumber) {
  return z
    .strictObject({ min: bound.optional(), max: bound.optional() })
    .refine((r) => r.min !== undefined || r.max !== undefined, { message: "give min, max or both" })
    .refine((r) => r.min === undefined || r.max === undefined || r.min <= r.max, { message: "min is larger than max" });
}
const RangeSchema = range(z.number());
const ScoreRange = range(z.int().min(1).max(5));
const ShareRange = range(z.number().min(0).max(1));

const ConditionsSchema = z.strictObject({
  orders: RangeSchema.optional(),
  recency_days: RangeSchema.optional(),
  tenure_days: RangeSchema.optional(),
  monetary: RangeSchema.optional(),
  aov: RangeSchema.optional(),
  expected_value: RangeSchema.optional(),
  probability_active: ShareRange.optional(),
  expected_orders: range(z.number().min(0)).optional(),
  expected_order_value: RangeSchema.optional(),
  discount_share: ShareRange.optional(),
  return_rate: ShareRange.optional(),
  r_score: ScoreRange.optional(),
  f_score: ScoreRange.optional(),
  m_score: ScoreRange.optional(),
  aov_score: ScoreRange.optional(),
});

const RuleSchema = z.strictObject({
  id: z.string().regex(SEGMENT_ID, "a segment id: lowercase letters, digits, '-', '_' (at most 64)"),
  description: z.string().max(200).optional(),
  /** Every condition must hold (ranges include their ends). */
  when: ConditionsSchema,
  /** Segments listed earlier in the file that exclude this one. */
  not_in: z.array(z.string()).optional(),
});

export const RulesSchema = z
  .strictObject({
    $schema: z.string().optional(),
    segments: z.array(RuleSchema).min(1, "list at least one segment").max(50, "at most 50 segments"),
  })
  .superRefine((rules, ctx) => {
    const seen = new Set<string>();
    rules.segments.forEach((rule, i) => {
      if (seen.has(rule.id)) ctx.addIssue({ code: "custom", path: ["segments", i, "id"], message: `segment "${rule.id}" is listed twice` });
      (rule.not_in ?? []).forEach((other, j) => {
        if (!seen.has(other)) {
          ctx.addIssue({ code: "custom", path: ["segments", i, "not_in", j], message: `"${other}" is not a segment listed before "${rule.id}"` });
        }
      });
      seen.add(rule.id);
    });
  });

export type Rules = z.infer<typeof RulesSchema>;
export type Rule = Rules["segments"][number];

/**
 * The default rules. Scores are quintiles (5 = the best fifth of customers), so the rules fit any store's
 * scale and currency; a store tunes them in a rules file.
 */
export const DEFAULT_RULES: Rules = {
  segments: [
    {
      id: "vip",
      description: "Top fifth by net spend, buy often, bought recently",
      when: { m_score: { min: 5 }, f_score: { min: 4 }, r_score: { min: 3 } },
    },
    {
      id: "valuable",
      description: "Top fifth by order value, not lapsed: big baskets, now and then",
      when: { aov_score: { min: 5 }, r_score: { min: 2 } },
      not_in: ["vip"],
    },
    {
      id: "at_risk",
      description: "Bought at least twice, but among the two fifths who bought longest ago",
      when: { orders: { min: 2 }, r_score: { max: 2 } },
    },
    {
      id: "high_returner",
      description: "Bought at least twice and sent back 30% or more of the value",
      when: { orders: { min: 2 }, return_rate: { min: 0.3 } },
    },
    {
      id: "bargain_hunter",
      description: "Bought at least twice, 60% or more of the orders with a discount",
      when: { orders: { min: 2 }, discount_share: { min: 0.6 } },
    },
    {
      id: "new",
      description: "First order in the last 30 days",
      when: { tenure_days: { max: 30 } },
    },
    {
      id: "occasional",
      description: "Everyone else who has not lapsed",
      when: { r_score: { min: 2 } },
      not_in: ["vip", "valuable", "at_risk", "new"],
    },
  ],
};

export type RulesResult = { ok: true; rules: Rules } | { ok: false; issues: FieldIssue[] };

/** Validates a rules document; on failure every issue with its field path (`segments.2.when.r_score.min`). */
export function parseRules(input: unknown): RulesResult {
  const result = RulesSchema.safeParse(input);
  return result.success ? { ok: true, rules: result.data } : { ok: false, issues: toFieldIssues(result.error) };
}

/** The field paths of conditions on amounts of money (they need one currency). */
export function moneyConditions(rules: Rules): string[] {
  return rules.segments.flatMap((rule, i) => MONEY_METRICS.filter((metric) => rule.when[metric]).map((metric) => `segments.${i}.when.${metric}`));
}

type Check = (m: CustomerMetrics) => boolean;
/** Rules turned into plain checks once, not per customer (a store has hundreds of thousands). */
const compiled = new WeakMap<Rules, { id: string; notIn: string[]; checks: Check[] }[]>();

function compile(rules: Rules) {
  let result = compiled.get(rules);
  if (!result) {
    result = rules.segments.map((rule) => ({
      id: rule.id,
      notIn: rule.not_in ?? [],
      checks: (Object.entries(rule.when) as [Metric, { min?: number; max?: number } | undefined][]).flatMap(([metric, range]): Check[] => {
        if (!range) return [];
        const read = METRICS[metric];
        const min = range.min ?? Number.NEGATIVE_INFINITY;
        const max = range.max ?? Number.POSITIVE_INFINITY;
        return [(m) => read(m) >= min && read(m) <= max];
      }),
    }));
    compiled.set(rules, result);
  }
  return result;
}

/** The segments a customer belongs to, in the order of the rules. */
export function assignSegments(rules: Rules, m: CustomerMetrics): string[] {
  const segments: string[] = [];
  for (const rule of compile(rules)) {
    if (rule.notIn.length && rule.notIn.some((other) => segments.includes(other))) continue;
    if (rule.checks.every((check) => check(m))) segments.push(rule.id);
  }
  return segments;
}
