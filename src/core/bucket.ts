/**
 * @module Deterministic variant assignment. A unit (customer id, else visitor id) is hashed with the
 * campaign id into [0, 1) and mapped onto the variants' cumulative weight ranges, so the same unit
 * always gets the same variant of a campaign, on any device and any edge location, with no storage.
 *
 * hash(campaign, unit) = fnv1a32(String(fnv1a32(campaign + ":" + unit))) / 2^32
 *
 * The second pass of FNV-1a spreads near-identical inputs ("user-1", "user-2") evenly; the vectors in
 * test/core/bucket-vectors.json pin the function so it can never drift silently.
 */

/** 32-bit FNV-1a over the UTF-16 code units of `text`. */
export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

/** Where a unit falls for a campaign: a number in [0, 1). */
export function bucketOf(campaignId: string, unitId: string): number {
  return fnv1a32(String(fnv1a32(`${campaignId}:${unitId}`))) / 4294967296;
}

/**
 * The variant a unit sees: the first whose cumulative weight range contains its bucket.
 * Weights need not add up to 100; they are shares of their sum.
 *
 * @example
 * pickVariant("vip-express", "cust-42", [{ id: "a", weight: 50 }, { id: "b", weight: 50 }])
 */
export function pickVariant<V extends { weight: number }>(campaignId: string, unitId: string, variants: readonly V[]): V | undefined {
  const total = variants.reduce((sum, v) => sum + v.weight, 0);
  if (total <= 0) return undefined;
  const point = bucketOf(campaignId, unitId) * total;
  let upper = 0;
  for (const variant of variants) {
    upper += variant.weight;
    if (point < upper) return variant;
  }
  // Floating point can leave `point` a hair above the last bound: it belongs to the last weighted variant.
  return [...variants].reverse().find((v) => v.weight > 0);
}
