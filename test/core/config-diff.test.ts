/**
 * @module The history's "what changed" lines: one readable line per change a marketer makes.
 */
import { describe, expect, it } from "vitest";
import { describeChanges } from "../../src/core/config-diff";
import type { Config } from "../../src/core/config-schema";
import { parseConfig } from "../../src/core/config-schema";

function configOf(input: unknown): Config {
  const result = parseConfig(input);
  if (!result.ok) throw new Error(`fixture config is invalid: ${JSON.stringify(result.issues)}`);
  return result.config;
}

const BASE = {
  segments: ["vip", "bargain_hunter"],
  campaigns: [
    {
      id: "vip-express",
      placement: "topbar",
      audience: { segments: { any: ["vip"] } },
      variants: [
        { id: "express", weight: 50, message: { text: "Free express shipping" } },
        { id: "early", weight: 50, message: { text: "Early access" } },
      ],
    },
  ],
  defaults: { shipping: { text: "Free shipping over {{threshold}}", threshold: { EUR: 6000 } } },
};

/** BASE with `change` applied to a deep copy. */
function edited(change: (c: typeof BASE & Record<string, unknown>) => void): Config {
  const copy = structuredClone(BASE) as typeof BASE & Record<string, unknown>;
  change(copy);
  return configOf(copy);
}

describe("describeChanges", () => {
  const base = configOf(BASE);

  it("says first version, and no changes for an identical config", () => {
    expect(describeChanges(null, base)).toEqual(["first version"]);
    expect(describeChanges(base, configOf(structuredClone(BASE)))).toEqual(["no changes"]);
  });

  it.each<[string, (c: typeof BASE & Record<string, unknown>) => void, string[]]>([
    ["a text", (c) => void ((c.campaigns[0]?.variants[1] as { message: { text: string } }).message.text = "VIP early access"), ['campaign "vip-express": variant "early" text "Early access" → "VIP early access"']],
    ["weights", (c) => void ((c.campaigns[0]?.variants[0] as { weight: number }).weight = 70), ['campaign "vip-express": variant "express" weight 50 → 70']],
    ["a new campaign", (c) => void c.campaigns.push({ id: "sale", placement: "topbar", audience: { segments: { any: ["vip"] } }, variants: [{ id: "a", weight: 1, message: { text: "Sale" } }] }), ['campaign "sale" added (topbar, 1 variant(s))']],
    ["a removed campaign", (c) => void c.campaigns.pop(), ['campaign "vip-express" removed']],
    ["a pause", (c) => void Object.assign(c.campaigns[0] ?? {}, { enabled: false }), ['campaign "vip-express" paused']],
    ["a schedule", (c) => void Object.assign(c.campaigns[0] ?? {}, { schedule: { start: "2026-12-01T00:00:00Z" } }), ['campaign "vip-express" schedule from 2026-12-01T00:00:00Z']],
    ["a restart", (c) => void Object.assign(c.campaigns[0] ?? {}, { experiment: { seed: "run-2" } }), ['campaign "vip-express" experiment restarted (seed run-2)']],
    ["a threshold", (c) => void (c.defaults.shipping.threshold = { EUR: 5000 }), ["default shipping threshold EUR 5000"]],
    ["the precedence", (c) => void c.segments.reverse(), ["segment precedence is now bargain_hunter > vip"]],
    ["a segment's description", (c) => void (c.segmentDescriptions = { vip: "Top spenders" }), ['segment "vip" described as "Top spenders"']],
    ["a new segment, described", (c) => void ((c.segments = [...c.segments, "gold"]), (c.segmentDescriptions = { gold: "Gold card" })), ["segments added: gold", 'segment "gold" described as "Gold card"']],
    [
      "a holdout",
      (c) => void c.campaigns[0]?.variants.push({ id: "control", weight: 10, control: true } as never),
      ['campaign "vip-express": variant "control" added (weight 10)'],
    ],
  ])("describes %s", (_name, change, lines) => {
    expect(describeChanges(base, edited(change))).toEqual(lines);
  });

  it("says when a segment's description changes, and when it is removed", () => {
    const described = configOf({ ...BASE, segmentDescriptions: { vip: "Top spenders" } });
    const changed = configOf({ ...BASE, segmentDescriptions: { vip: "Top 5% by spend" } });
    expect(describeChanges(described, changed)).toEqual(['segment "vip" description "Top spenders" → "Top 5% by spend"']);
    expect(describeChanges(described, configOf(BASE))).toEqual(['segment "vip" description removed']);
  });

  it("says when the order value cap changes, and when it goes back to the default", () => {
    const capped = configOf({ ...BASE, orderValueCap: { EUR: 500_000, JPY: 100_000 } });
    expect(describeChanges(configOf(BASE), capped)).toEqual(["order value cap now EUR 500000, JPY 100000 (minor units)"]);
    expect(describeChanges(capped, configOf(BASE))).toEqual(["order value cap back to the default"]);
    expect(describeChanges(capped, capped)).toEqual(["no changes"]);
  });
});
