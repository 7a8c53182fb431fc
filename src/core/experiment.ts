/**
 * @module What makes a campaign an experiment, and who is in it. A campaign with two or more weighted variants
 * (a control counts) is an experiment; its units are bucketed on the campaign id plus the experiment's seed, so
 * changing the seed restarts it: everyone is assigned afresh and counting starts over under a new key.
 */
import type { Campaign, Variant } from "./config-schema";

/** Conversions count this long after a unit's first exposure unless the campaign says otherwise. */
export const DEFAULT_CONVERSION_WINDOW_HOURS = 72;

export function isExperiment(campaign: Campaign): boolean {
  return campaign.variants.filter((v) => v.weight > 0).length >= 2;
}

/** The key of one run of an experiment: what units are bucketed on and what its counts are stored under. */
export function experimentKey(campaign: Campaign): string {
  const seed = campaign.experiment?.seed;
  return seed === undefined ? campaign.id : `${campaign.id}:${seed}`;
}

/**
 * The variant results are measured against, and what a visitor who is not enrolled (no consent) sees: the
 * control when the campaign has one, else its first weighted variant.
 */
export function baselineVariant(campaign: Campaign): Variant | undefined {
  return campaign.variants.find((v) => v.control && v.weight > 0) ?? campaign.variants.find((v) => v.weight > 0);
}

/** Whether a variant still takes units: weighted and not switched off (`stopped`, by the guardrail or by hand). */
export function isRunning(variant: Variant): boolean {
  return variant.weight > 0 && variant.stopped === undefined;
}

export function conversionWindowMs(campaign: Campaign): number {
  return (campaign.experiment?.conversionWindowHours ?? DEFAULT_CONVERSION_WINDOW_HOURS) * 3_600_000;
}
