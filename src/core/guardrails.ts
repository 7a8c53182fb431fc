/**
 * @module Guardrails that act: which variants of an experiment its guardrail metrics say to switch off, read from
 * the sequential verdicts of experimentResults (valid at every look, so checking every few minutes raises no false
 * alarm), and the config with those variants stopped. Pure: the check that runs it lives in
 * src/storage/guardrail-check.ts.
 *
 * A variant is worse on a guardrail when that metric's `vsControl.verdict` is "worse" (the verdict already accounts
 * for the metric's direction); for a revenue metric, in any one currency. A metric the results do not have (yet) is
 * no verdict. After the guardrail stopped a variant, a marketer may switch it back on: the guardrail remembers the
 * metrics it stopped the variant for (`remembered`) and leaves the variant running while those verdicts stay
 * "worse"; once a check sees one of them no longer worse it forgets it, and a later "worse" stops the variant again.
 *
 * @example
 * guardrailDecision(campaign, experimentResults(campaign, counts), new Set()).stops // [{ variant: "b", metric: "purchase", ... }]
 */
import type { Campaign, Config, VariantStop } from "./config-schema";
import type { ExperimentResults, MetricResult } from "./experiment-results";
import { baselineVariant, isExperiment, isRunning } from "./experiment";
import type { GuardrailMetric } from "./shared";

/** How the editor, the audit log and the version notes name each guardrail metric. */
export const GUARDRAIL_LABELS: Record<GuardrailMetric, string> = {
  netRevenuePerVisitor: "net revenue per visitor",
  refundRate: "refund rate",
  revenuePerVisitor: "revenue per visitor",
  purchase: "purchase conversion",
};

/** A variant significantly worse than the baseline on one guardrail metric (in one currency for revenue). */
export interface GuardrailBreach {
  variant: string;
  metric: GuardrailMetric;
  currency?: string;
  pValue: number;
  interval: [number, number];
}

export interface GuardrailDecision {
  /** Variants to switch off now, each with the breach that stops it (its smallest p-value). */
  stops: { breach: GuardrailBreach; all: GuardrailBreach[] }[];
  /** Remembered keys whose verdict is no longer "worse": forgotten, so a later "worse" stops the variant again. */
  cleared: string[];
}

/** The key a breach is remembered under (per experiment run: the caller keeps them per experiment key). */
export function breachKey(breach: Pick<GuardrailBreach, "variant" | "metric" | "currency">): string {
  return `${breach.variant}\n${breach.metric}\n${breach.currency ?? ""}`;
}

/** Whether a campaign has variants the guardrail watches: an experiment with guardrails and a variant besides the baseline still running. */
export function hasActiveGuardrails(campaign: Campaign): boolean {
  if (campaign.enabled === false || !campaign.experiment?.guardrails?.length || !isExperiment(campaign)) return false;
  const baseline = baselineVariant(campaign);
  return campaign.variants.some((v) => v !== baseline && isRunning(v));
}

const isMetricResult = (value: unknown): value is MetricResult =>
  typeof value === "object" && value !== null && Array.isArray((value as { variants?: unknown }).variants);

/**
 * The results of one metric by currency (none for a rate): `results.metrics[metric]` as a MetricResult or a
 * Record<currency, MetricResult>, so metrics added to the results later (net revenue, refund rate) are read as they
 * appear; none while a metric is missing.
 */
function metricResults(results: ExperimentResults, metric: GuardrailMetric): { currency?: string; result: MetricResult }[] {
  const value: unknown = (results.metrics as unknown as Record<string, unknown>)[metric];
  if (value === undefined || value === null) return [];
  if (isMetricResult(value)) return [{ result: value }];
  if (typeof value !== "object") return [];
  return Object.entries(value as Record<string, unknown>).flatMap(([currency, result]) => (isMetricResult(result) ? [{ currency, result }] : []));
}

/** What the guardrail does with an experiment's results now; `remembered`: the breachKeys it stopped variants for. */
export function guardrailDecision(campaign: Campaign, results: ExperimentResults, remembered: ReadonlySet<string>): GuardrailDecision {
  const decision: GuardrailDecision = { stops: [], cleared: [] };
  if (!hasActiveGuardrails(campaign)) return decision;
  const baseline = baselineVariant(campaign);
  const watched = campaign.variants.filter((v) => v !== baseline && isRunning(v)).map((v) => v.id);
  const worse = new Map<string, GuardrailBreach[]>();
  for (const metric of campaign.experiment?.guardrails ?? []) {
    for (const { currency, result } of metricResults(results, metric)) {
      for (const row of result.variants) {
        if (!watched.includes(row.variant)) continue;
        const key = breachKey({ variant: row.variant, metric, ...(currency ? { currency } : {}) });
        const versus = row.vsControl;
        if (versus && "sequential" in versus && versus.verdict === "worse") {
          // A remembered breach: the guardrail stopped the variant for it and a marketer switched it back on.
          if (remembered.has(key)) continue;
          const breach: GuardrailBreach = { variant: row.variant, metric, ...(currency ? { currency } : {}), pValue: versus.sequential.pValue, interval: versus.sequential.interval };
          worse.set(row.variant, [...(worse.get(row.variant) ?? []), breach]);
        } else if (remembered.has(key)) {
          decision.cleared.push(key);
        }
      }
    }
  }
  for (const all of worse.values()) {
    const breach = all.reduce((a, b) => (b.pValue < a.pValue ? b : a));
    decision.stops.push({ breach, all });
  }
  return decision;
}

/** What a variant's `stopped` says when the guardrail stops it for `breach` at `at`. */
export function guardrailStop(breach: GuardrailBreach, at: string): VariantStop {
  return { by: "guardrail", at, metric: breach.metric, ...(breach.currency ? { currency: breach.currency } : {}), pValue: breach.pValue, interval: breach.interval };
}

/** A copy of `config` with the campaign's named variants stopped; the config itself is left as it is (it may be in use). */
export function withVariantsStopped(config: Config, campaignId: string, stops: ReadonlyMap<string, VariantStop>): Config {
  return {
    ...config,
    campaigns: config.campaigns.map((campaign) =>
      campaign.id !== campaignId
        ? campaign
        : { ...campaign, variants: campaign.variants.map((v) => { const stop = stops.get(v.id); return stop ? { ...v, stopped: stop } : v; }) },
    ),
  };
}

/** A p-value as people read it: two significant digits, "< 0.0001" below that. */
export function formatPValue(p: number): string {
  return p < 0.0001 ? "< 0.0001" : `= ${Number(p.toPrecision(2))}`;
}

/** The metric with its currency, e.g. "revenue per visitor (EUR)". */
export function metricLabel(metric: GuardrailMetric, currency?: string): string {
  return `${GUARDRAIL_LABELS[metric]}${currency ? ` (${currency})` : ""}`;
}

/**
 * How a stopped variant is described to people (the editor, the version note):
 * "switched off by the guardrail on 2026-11-27: purchase conversion worse (p = 0.0012)".
 */
export function describeStop(stop: VariantStop): string {
  const on = `on ${stop.at.slice(0, 10)}`;
  if (stop.by !== "guardrail" || stop.metric === undefined) return `switched off by hand ${on}`;
  return `switched off by the guardrail ${on}: ${metricLabel(stop.metric, stop.currency)} worse${stop.pValue === undefined ? "" : ` (p ${formatPValue(stop.pValue)})`}`;
}

/** The note of the version the guardrail publishes: the campaign, variant, metric, p-value and interval. */
export function guardrailNote(campaign: Campaign, breach: GuardrailBreach): string {
  const baseline = baselineVariant(campaign)?.id ?? "";
  const [low, high] = breach.interval.map((x) => Number(x.toPrecision(3)));
  return `Guardrail: "${breach.variant}" of "${campaign.id}" switched off, ${metricLabel(breach.metric, breach.currency)} worse than "${baseline}" (p ${formatPValue(breach.pValue)}, difference ${low} to ${high})`;
}
