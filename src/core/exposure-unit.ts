/**
 * @module What is stored with a unit at its first exposure besides its variant, from the membership the decision
 * already has in hand (no read of its own): the covariate its experiment adjusts for (CUPED, ./cuped.ts) and the
 * segments the per-segment results break it down by.
 *
 * Rules:
 *   - the covariate is the one the campaign names (`experiment.covariate`, default DEFAULT_COVARIATE) from a current
 *     membership; a unit without it (an anonymous visitor, a customer whose import gave none) enters with 0. With 0
 *     for "unknown", CUPED still adjusts the units that have a history, and the others are compared as they are;
 *   - the segments are the current membership's, in the config's precedence order (listed segments first, then
 *     the others by name), at most MAX_UNIT_SEGMENTS (src/storage/experiment-shard.ts) of them kept;
 *   - an anonymous visitor is in the cell ANONYMOUS_CELL, a signed-in customer in no segment in NO_SEGMENT_CELL.
 *
 * @example
 * segmentsAtExposure(["vip", "new"], { segments: ["new", "vip"] }, "1001", now) // ["vip", "new"]
 * segmentsAtExposure(["vip"], null, null, now) // [ANONYMOUS_CELL]
 */
import type { Campaign } from "./config-schema";
import type { Membership } from "./decide";
import { isCurrent } from "./decide";

export const DEFAULT_COVARIATE = "net_revenue_365d";

/** The cell of units that were anonymous visitors at exposure. Not a segment id (those cannot start with ':'). */
export const ANONYMOUS_CELL = ":anonymous";
/** The cell of signed-in customers in no segment at exposure. */
export const NO_SEGMENT_CELL = ":none";

export function covariateName(campaign: Pick<Campaign, "experiment">): string {
  return campaign.experiment?.covariate ?? DEFAULT_COVARIATE;
}

/** The unit's covariate for `campaign`: its membership's value, or 0 without one. */
export function exposureCovariate(campaign: Pick<Campaign, "experiment"> | undefined, membership: Membership | null, now: number): number {
  if (!campaign || !isCurrent(membership, now)) return 0;
  return membership.covariates?.[covariateName(campaign)] ?? 0;
}

/** The unit's segment names at exposure, or its marker cell. */
export function segmentsAtExposure(configSegments: readonly string[], membership: Membership | null, customerId: string | null, now: number): string[] {
  if (customerId === null) return [ANONYMOUS_CELL];
  const segments = isCurrent(membership, now) ? membership.segments : [];
  if (segments.length === 0) return [NO_SEGMENT_CELL];
  const rank = new Map(configSegments.map((s, i) => [s, i]));
  const order = (s: string) => rank.get(s) ?? Number.POSITIVE_INFINITY;
  return [...new Set(segments)].sort((a, b) => order(a) - order(b) || (a < b ? -1 : a > b ? 1 : 0));
}
