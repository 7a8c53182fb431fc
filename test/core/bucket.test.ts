/**
 * @module Bucketing against the shared vectors (made by make-bucket-vectors.py, not by this code) and
 * the statistical promises a marketer relies on: splits match the weights, assignment is sticky, and
 * campaigns are bucketed independently of each other.
 */
import { describe, expect, it } from "vitest";
import { bucketOf, fnv1a32, pickVariant } from "../../src/core/bucket";
import vectors from "./bucket-vectors.json";

describe("shared vectors", () => {
  it("were made by the independent script", () => {
    expect(vectors.source).toContain("make-bucket-vectors.py");
    expect(vectors.fnv1a32.length).toBeGreaterThan(10);
    expect(vectors.bucketOf.length).toBeGreaterThan(40);
    expect(vectors.pickVariant.length).toBeGreaterThan(100);
  });

  it("pin non-ASCII ids as UTF-16 code units", () => {
    const inputs = vectors.fnv1a32.map((v) => v.input);
    expect(inputs).toContain("kunde-ü");
    expect(inputs.some((input) => /\p{Extended_Pictographic}/u.test(input))).toBe(true);
  });

  it.each(vectors.fnv1a32)("fnv1a32($input) = $hash", ({ input, hash }) => {
    expect(fnv1a32(input)).toBe(hash);
  });

  it.each(vectors.bucketOf)("bucketOf($campaign, $unit) = $bucket", ({ campaign, unit, inner, bucket }) => {
    expect(fnv1a32(`${campaign}:${unit}`)).toBe(inner);
    expect(bucketOf(campaign, unit)).toBe(bucket);
  });

  it.each(vectors.pickVariant)("pickVariant($campaign, $unit, $weights) is variant $index", ({ campaign, unit, weights, index }) => {
    const variants = weights.map((weight, i) => ({ id: `v${i}`, weight }));
    const picked = pickVariant(campaign, unit, variants);
    expect(picked === undefined ? null : variants.indexOf(picked)).toBe(index);
  });
});

const SAMPLE = 100_000;
const sequentialIds = Array.from({ length: SAMPLE }, (_, i) => `visitor-${i}`);
const randomIds = Array.from({ length: SAMPLE }, () => crypto.randomUUID());

/** Percentage of `ids` that get each variant of a campaign with these weights. */
function sharesOf(campaignId: string, ids: readonly string[], weights: readonly number[]): number[] {
  const variants = weights.map((weight, i) => ({ id: `v${i}`, weight }));
  const counts = variants.map(() => 0);
  for (const id of ids) {
    const picked = pickVariant(campaignId, id, variants);
    if (picked === undefined) throw new Error(`no variant for ${id}`);
    const i = variants.indexOf(picked);
    counts[i] = (counts[i] ?? 0) + 1;
  }
  return counts.map((count) => (100 * count) / ids.length);
}

describe.each([
  ["sequential ids", sequentialIds],
  ["random UUIDs", randomIds],
] as const)("split over %s", (_, ids) => {
  it.each([[[50, 50]], [[10, 30, 60]], [[1, 99]]])("lands within 1 point of weights %j", (weights) => {
    const total = weights.reduce((sum, w) => sum + w, 0);
    const shares = sharesOf("vip-express", ids, weights);
    shares.forEach((share, i) => {
      const expected = (100 * (weights[i] ?? 0)) / total;
      expect(Math.abs(share - expected), `variant ${i}: ${share.toFixed(2)}% for weight share ${expected}%`).toBeLessThanOrEqual(1);
    });
  });

  it("buckets the same unit independently in two campaigns (2x2 table within 1 point of 25%)", () => {
    const cells = [0, 0, 0, 0];
    for (const id of ids) {
      const cell = (bucketOf("vip-express", id) < 0.5 ? 0 : 2) + (bucketOf("us-free-shipping", id) < 0.5 ? 0 : 1);
      cells[cell] = (cells[cell] ?? 0) + 1;
    }
    for (const count of cells) {
      expect(Math.abs((100 * count) / ids.length - 25)).toBeLessThanOrEqual(1);
    }
  });
});

describe("assignment", () => {
  const variants = [
    { id: "a", weight: 10 },
    { id: "b", weight: 30 },
    { id: "c", weight: 60 },
  ];

  it("is deterministic: the same unit always gets the same variant", () => {
    const first = sequentialIds.slice(0, 1000).map((id) => pickVariant("vip-express", id, variants)?.id);
    const again = sequentialIds
      .slice(0, 1000)
      .reverse()
      .map((id) => pickVariant("vip-express", id, variants)?.id)
      .reverse();
    expect(again).toEqual(first);
    expect(new Set(first)).toEqual(new Set(["a", "b", "c"]));
  });

  it("does not depend on the campaign's variant objects, only on the weights and their order", () => {
    const copy = variants.map((v) => ({ ...v, id: v.id.toUpperCase() }));
    for (const id of sequentialIds.slice(0, 200)) {
      expect(pickVariant("vip-express", id, copy)?.id).toBe(pickVariant("vip-express", id, variants)?.id.toUpperCase());
    }
  });

  it("never picks a variant of weight 0 and gives nothing when all weights are 0", () => {
    const withZero = [
      { id: "off", weight: 0 },
      { id: "on", weight: 1 },
      { id: "off-too", weight: 0 },
    ];
    for (const id of sequentialIds.slice(0, 2000)) expect(pickVariant("c", id, withZero)?.id).toBe("on");
    expect(pickVariant("c", "visitor-1", [{ id: "a", weight: 0 }])).toBeUndefined();
    expect(pickVariant("c", "visitor-1", [])).toBeUndefined();
  });

  it("keeps buckets in [0, 1)", () => {
    for (const id of randomIds.slice(0, 5000)) {
      const bucket = bucketOf("vip-express", id);
      expect(bucket >= 0 && bucket < 1).toBe(true);
    }
  });
});
