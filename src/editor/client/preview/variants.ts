/**
 * @module Which variant of the campaign being edited the preview shows, and the unit that gets it. The preview
 * asks the Worker's own decision for a unit whose bucket (src/core/bucket.ts, the function the hot path runs) lands
 * in the chosen variant, so it shows exactly what the shoppers in that bucket see, control included; a variant of
 * weight 0 is seen by no one and cannot be shown.
 */
import { pickVariant } from "../../../core/bucket";
import type { Campaign } from "../../../core/config-schema";
import { experimentKey } from "../../../core/experiment";

/** The unit the preview route picks variants for when told none (its default). */
export const PREVIEW_UNIT = "preview-visitor";

/** Units tried before giving up: a variant with a 1-in-1000 share is found well within them. */
const MAX_TRIES = 20_000;

const unitAt = (i: number) => (i ? `${PREVIEW_UNIT}-${i}` : PREVIEW_UNIT);

/** The id of the variant shown: `chosen` when the campaign has it with a weight above 0, else the default unit's. */
export function shownVariant(campaign: Campaign, chosen: string): string | undefined {
  if (campaign.variants.some((v) => v.id === chosen && v.weight > 0)) return chosen;
  return pickVariant(experimentKey(campaign), PREVIEW_UNIT, campaign.variants)?.id;
}

/** A unit that gets `variant` of `campaign` (the preview route's default unit when no unit found does). */
export function unitFor(campaign: Campaign, variant: string | undefined): string {
  const key = experimentKey(campaign);
  for (let i = 0; variant !== undefined && i < MAX_TRIES; i++) {
    if (pickVariant(key, unitAt(i), campaign.variants)?.id === variant) return unitAt(i);
  }
  return PREVIEW_UNIT;
}
