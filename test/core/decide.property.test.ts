/**
 * @module Properties of the decision for arbitrary configs that pass the schema, arbitrary memberships and
 * arbitrary visitors (hostile paths included): `decide` never throws, every message it shows comes from that
 * placement's campaigns or its default, exposures name only experiments and only with consent, and a visitor
 * without consent sees each experiment's baseline.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect } from "vitest";
import type { Config, ConfigInput } from "../../src/core/config-schema";
import { parseConfig } from "../../src/core/config-schema";
import type { Placement } from "../../src/core/shared";
import { DEVICES, PLACEMENTS } from "../../src/core/shared";
import type { Decision, Membership, VisitorContext } from "../../src/core/decide";
import { decide, renderMessage } from "../../src/core/decide";
import { baselineVariant, experimentKey, isExperiment } from "../../src/core/experiment";
import { MAX_VISITOR_PATH } from "../../src/core/path-pattern";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const HOUR = 3_600_000;

const SEGMENTS = ["vip", "high_returner", "bargain_hunter", "lapsing", "new_buyer"] as const;
const CURRENCIES = ["EUR", "USD", "GBP", "JPY"] as const;
const COUNTRIES = ["US", "DE", "FR", "GB", "JP"] as const;

type CampaignInput = NonNullable<ConfigInput["campaigns"]>[number];
type MessageInput = NonNullable<CampaignInput["variants"][number]["message"]>;

// ---- configs: valid-looking pieces, then only what parseConfig accepts ----

const threshold = fc.dictionary(fc.constantFrom(...CURRENCIES), fc.integer({ min: 0, max: 100_000 }), { minKeys: 1, maxKeys: 3 });

const message: fc.Arbitrary<MessageInput> = fc
  .record(
    {
      text: fc.string({ minLength: 1, maxLength: 30 }),
      threshold,
      link: fc.constantFrom({ url: "/pages/shipping" }, { url: "https://shop.example/sale", label: "Sale" }),
      dismissible: fc.boolean(),
      style: fc.constantFrom({ background: "#112233" }, { align: "left" as const, size: "large" as const }),
      progress: fc.constantFrom({ text: "{{remaining}} to go" }, { text: "Only {{remaining}} more", reached: "Free shipping over {{threshold}}" }),
      withPlaceholder: fc.boolean(),
    },
    { requiredKeys: ["text", "withPlaceholder"] },
  )
  // Placeholders and progress only with a threshold, as the schema wants.
  .map(({ withPlaceholder, text, progress, ...rest }) => ({
    ...rest,
    ...(progress && rest.threshold ? { progress } : {}),
    text: `Hi ${text}${withPlaceholder && rest.threshold ? " {{threshold}}" : ""}`,
  }));

const variants = fc
  .uniqueArray(
    fc.record({ id: fc.constantFrom("a", "b", "c", "d"), weight: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 100 })), control: fc.boolean(), message }),
    { minLength: 1, maxLength: 4, selector: (v) => v.id },
  )
  // At most one control, and it has no message; every other variant has one; the first one has a weight.
  .map((list) =>
    list.map(({ control, message: shown, weight, ...v }, i) => ({
      ...v,
      weight: i === 0 ? Math.max(weight, 1) : weight,
      ...(control && i === list.findIndex((x) => x.control) ? { control: true } : { message: shown }),
    })),
  );

/** Patterns of every kind the schema allows: exact, prefix, suffix, several wildcards, and arbitrary ones. */
const pathPattern = fc.oneof(
  fc.constantFrom("/", "/cart", "/products/*", "/collections/*/sale", "/*/*/*/*/*", "/*-socks", "/**", "/*"),
  fc.stringMatching(/^\/[a-z*\/.-]{0,24}$/),
);

function audience(segments: readonly string[]) {
  const segmentList = segments.length > 0 ? fc.uniqueArray(fc.constantFrom(...segments), { minLength: 1, maxLength: 3 }) : fc.constant(undefined);
  return fc.record(
    {
      segments: fc.record({ any: segmentList, all: segmentList, none: segmentList }, { requiredKeys: [] }),
      countries: fc.uniqueArray(fc.constantFrom(...COUNTRIES), { minLength: 1, maxLength: 3 }),
      paths: fc.array(pathPattern, { minLength: 1, maxLength: 4 }),
      visitor: fc.constantFrom("new" as const, "returning" as const),
      devices: fc.uniqueArray(fc.constantFrom(...DEVICES), { minLength: 1, maxLength: 3 }),
    },
    { requiredKeys: [] },
  );
}

function campaigns(segments: readonly string[]) {
  return fc.uniqueArray(
    fc.record(
      {
        id: fc.constantFrom("c1", "c2", "c3", "c4", "c5", "default"),
        placement: fc.constantFrom(...PLACEMENTS),
        priority: fc.integer({ min: -5, max: 5 }),
        enabled: fc.boolean(),
        schedule: fc.constantFrom(
          { start: new Date(NOW - HOUR).toISOString() },
          { end: new Date(NOW - HOUR).toISOString() },
          { start: new Date(NOW + HOUR).toISOString(), end: new Date(NOW + 2 * HOUR).toISOString() },
        ),
        audience: audience(segments),
        variants,
        experiment: fc.record({ seed: fc.constantFrom("s1", "s2") }, { requiredKeys: [] }),
      },
      { requiredKeys: ["id", "placement", "variants"] },
    ),
    { maxLength: 6, selector: (c) => c.id },
  );
}

const defaults = fc.record(
  { topbar: fc.option(message, { nil: null }), shipping: fc.option(message, { nil: null }), returns: fc.option(message, { nil: null }) },
  { requiredKeys: [] },
);

const configInput = fc
  .uniqueArray(fc.constantFrom(...SEGMENTS), { maxLength: SEGMENTS.length })
  .chain((segments) => fc.record({ segments: fc.constant(segments), campaigns: campaigns(segments), defaults }));

/** Configs as the API accepts them; the arbitrary is built so that most of what it makes passes. */
const config: fc.Arbitrary<Config> = configInput.map((input) => parseConfig(input)).filter((r) => r.ok).map((r) => (r.ok ? r.config : ({} as never)));

// ---- memberships and visitors ----

const membership: fc.Arbitrary<Membership | null> = fc.option(
  fc.record(
    {
      segments: fc.uniqueArray(fc.constantFrom(...SEGMENTS, "not_in_config"), { maxLength: 4 }),
      expiresAt: fc.constantFrom(NOW - 1, NOW, NOW + HOUR),
    },
    { requiredKeys: ["segments"] },
  ),
  { nil: null },
);

/** Paths as the visitor context holds them: starting with "/", at most MAX_VISITOR_PATH characters, anything else. */
const path = fc
  .oneof(
    fc.constantFrom("/", "/cart", "/products/wool-socks", "/collections/summer/sale", `${"/".repeat(510)}\n`, `/${"a".repeat(MAX_VISITOR_PATH - 1)}`),
    fc.string({ unit: "binary", maxLength: 60 }).map((s) => `/${s}`),
    fc.array(fc.constantFrom("/", "a", "-socks", "*", "\n", "sale"), { maxLength: 80 }).map((parts) => `/${parts.join("")}`),
  )
  .map((p) => p.slice(0, MAX_VISITOR_PATH));

const context: fc.Arbitrary<VisitorContext> = fc.record({
  visitorId: fc.stringMatching(/^[A-Za-z0-9_-]{8,64}$/),
  customerId: fc.option(fc.string({ minLength: 1, maxLength: 20 }), { nil: null }),
  country: fc.option(fc.constantFrom(...COUNTRIES, "ZZ"), { nil: null }),
  path,
  returning: fc.boolean(),
  device: fc.constantFrom(...DEVICES),
  currency: fc.option(fc.constantFrom(...CURRENCIES, "CHF"), { nil: null }),
  locale: fc.constantFrom("en-US", "de-DE", "ja-JP", "fr-CH"),
  consent: fc.boolean(),
});

// ---- the properties ----

/** Why `decision` is not well-formed for these inputs, or null. */
function problemsOf(cfg: Config, ctx: VisitorContext, decision: Decision): string[] {
  const problems: string[] = [];
  for (const placement of PLACEMENTS) {
    const shown = decision.placements[placement];
    if (!shown) continue;
    const fallback = cfg.defaults[placement];
    const rendered = (m: Parameters<typeof renderMessage>[0] | null | undefined) => (m ? renderMessage(m, placement, ctx) : null);
    if (shown.campaign === null) {
      if (shown.variant !== null || JSON.stringify(shown.message) !== JSON.stringify(rendered(fallback))) problems.push(`${placement}: not its default`);
      continue;
    }
    const campaign = cfg.campaigns.find((c) => c.id === shown.campaign);
    const variant = campaign?.variants.find((v) => v.id === shown.variant);
    if (!campaign || campaign.placement !== placement || !variant) {
      problems.push(`${placement}: campaign ${shown.campaign} / variant ${shown.variant} is not one of this placement's`);
      continue;
    }
    const expected = shown.control ? rendered(fallback) : rendered(variant.message);
    if (Boolean(shown.control) !== Boolean(variant.control) || JSON.stringify(shown.message) !== JSON.stringify(expected)) {
      problems.push(`${placement}: the message is not variant ${variant.id}'s`);
    }
    if (isExperiment(campaign) && !ctx.consent && variant.id !== baselineVariant(campaign)?.id) problems.push(`${placement}: no consent, yet not the baseline`);
  }
  const placementsWithExposure = new Set<Placement>();
  for (const exposure of decision.exposures) {
    const campaign = cfg.campaigns.find((c) => c.id === exposure.campaign);
    if (!ctx.consent) problems.push(`exposure ${exposure.campaign} without consent`);
    if (!campaign || !isExperiment(campaign)) {
      problems.push(`exposure ${exposure.campaign} is not an experiment`);
      continue;
    }
    if (exposure.experiment !== experimentKey(campaign)) problems.push(`exposure ${exposure.campaign}: key ${exposure.experiment}`);
    if (placementsWithExposure.has(campaign.placement)) problems.push(`two exposures in ${campaign.placement}`);
    placementsWithExposure.add(campaign.placement);
    const shown = decision.placements[campaign.placement];
    if (shown && (shown.campaign !== campaign.id || shown.variant !== exposure.variant)) problems.push(`exposure ${exposure.campaign} is not what ${campaign.placement} shows`);
    if (!campaign.variants.some((v) => v.id === exposure.variant && v.weight > 0)) problems.push(`exposure ${exposure.campaign}: variant ${exposure.variant}`);
  }
  return problems;
}

describe("decide, for any config the schema accepts", () => {
  test("the config arbitrary makes mostly valid configs", () => {
    const made = fc.sample(configInput, { numRuns: 300, seed: 42 });
    const valid = made.filter((input) => parseConfig(input).ok).length;
    expect(valid / made.length).toBeGreaterThan(0.5);
  });

  test.prop([config, membership, context], { numRuns: 1_000 })("is total and well-formed", (cfg, member, ctx) => {
    const decision = decide(cfg, member, ctx, NOW);
    expect(problemsOf(cfg, ctx, decision)).toEqual([]);
    expect(decision.visitor).toEqual({ id: ctx.visitorId, identified: ctx.customerId !== null, returning: ctx.returning, country: ctx.country, device: ctx.device });
  });

  test.prop([config, membership, context], { numRuns: 300 })("gives a visitor without consent no exposures and the baselines", (cfg, member, ctx) => {
    const decision = decide(cfg, member, { ...ctx, consent: false }, NOW);
    expect(decision.exposures).toEqual([]);
    expect(problemsOf(cfg, { ...ctx, consent: false }, decision)).toEqual([]);
  });
});
