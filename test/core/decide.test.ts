/**
 * @module The decision as a pure function: which campaign and variant each placement shows, and how
 * its message is rendered (money, currency, progress, dismissible), on the demo config and on small
 * hand-built configs.
 */
import { describe, expect, it } from "vitest";
import type { Audience, Config, ConfigInput } from "../../src/core/config-schema";
import { parseConfig } from "../../src/core/config-schema";
import type { Membership, VisitorContext } from "../../src/core/decide";
import { decide } from "../../src/core/decide";
import { bucketOf } from "../../src/core/bucket";
import demoJson from "../../src/demo/config.json";
import vectors from "./bucket-vectors.json";

const NOW = Date.parse("2026-12-01T12:00:00Z");

/** A config as the API accepts it (defaults filled); a broken fixture fails loudly. */
function configOf(input: unknown): Config {
  const result = parseConfig(input);
  if (!result.ok) throw new Error(`fixture config is invalid: ${JSON.stringify(result.issues)}`);
  return result.config;
}

const demo = configOf(demoJson);

function visitor(overrides: Partial<VisitorContext> = {}): VisitorContext {
  return {
    visitorId: "visitor-1",
    customerId: null,
    country: null,
    path: "/",
    returning: false,
    device: "desktop",
    currency: null,
    locale: "en-US",
    consent: true,
    ...overrides,
  };
}

type CampaignInput = NonNullable<ConfigInput["campaigns"]>[number];

function member(...segments: string[]): Membership {
  return { segments };
}

/** A one-variant topbar campaign with a recognisable text. */
function topbar(id: string, extra: Partial<CampaignInput> = {}): CampaignInput {
  return {
    id,
    placement: "topbar" as const,
    variants: [{ id: "a", weight: 1, message: { text: `campaign ${id}` } }],
    ...extra,
  };
}

/** The topbar campaign id shown (null for the default, undefined for nothing). */
function topbarOf(config: Config, membership: Membership | null, context: VisitorContext = visitor(), now = NOW) {
  return decide(config, membership, context, now).placements.topbar?.campaign;
}

describe("segment precedence", () => {
  const input = {
    segments: ["vip", "bargain_hunter"],
    campaigns: [
      topbar("bargain-top", { priority: 100, audience: { segments: { any: ["bargain_hunter"] } } }),
      topbar("vip-top", { priority: 0, audience: { segments: { any: ["vip"] } } }),
    ],
  };

  it("gives a visitor in two segments the campaign of the segment listed first, whatever the priorities", () => {
    expect(topbarOf(configOf(input), member("bargain_hunter", "vip"))).toBe("vip-top");
  });

  it("follows the order of config.segments: reversed, the other segment's campaign wins", () => {
    expect(topbarOf(configOf({ ...input, segments: ["bargain_hunter", "vip"] }), member("bargain_hunter", "vip"))).toBe("bargain-top");
  });

  it("ranks a campaign by the best of the visitor's segments it targets", () => {
    const config = configOf({
      segments: ["vip", "valuable", "occasional"],
      campaigns: [
        topbar("valuable-only", { priority: 5, audience: { segments: { any: ["valuable"] } } }),
        topbar("vip-or-occasional", { audience: { segments: { any: ["vip", "occasional"] } } }),
      ],
    });
    expect(topbarOf(config, member("valuable", "occasional"))).toBe("valuable-only");
    expect(topbarOf(config, member("valuable", "vip"))).toBe("vip-or-occasional");
  });

  it("on the demo config gives a VIP who is also at risk the VIP campaign", () => {
    expect(topbarOf(demo, member("at_risk", "vip"))).toBe("vip-express");
    expect(topbarOf(demo, member("at_risk", "occasional"))).toBe("at-risk-comeback");
  });
});

describe("priority", () => {
  it("decides between campaigns at the same segment precedence, higher first, then config order", () => {
    const campaigns = [
      topbar("low", { priority: 1, audience: { segments: { any: ["vip"] } } }),
      topbar("high", { priority: 5, audience: { segments: { any: ["vip"] } } }),
      topbar("also-high", { priority: 5, audience: { segments: { any: ["vip"] } } }),
    ];
    expect(topbarOf(configOf({ segments: ["vip"], campaigns }), member("vip"))).toBe("high");
    expect(topbarOf(configOf({ segments: ["vip"], campaigns: [campaigns[0], campaigns[2], campaigns[1]] }), member("vip"))).toBe("also-high");
  });

  it("decides between campaigns without a segment audience, negative and missing priorities included", () => {
    const config = configOf({
      campaigns: [
        topbar("minus", { priority: -5 }),
        topbar("unset"),
        topbar("us", { priority: 2, audience: { countries: ["US"] } }),
      ],
    });
    expect(topbarOf(config, null, visitor({ country: "US" }))).toBe("us");
    expect(topbarOf(config, null, visitor({ country: "DE" }))).toBe("unset");
  });

  it("never lifts an untargeted campaign above a segment-targeted one", () => {
    const config = configOf({
      segments: ["vip"],
      campaigns: [topbar("everyone", { priority: 1000 }), topbar("vip", { priority: -1000, audience: { segments: { any: ["vip"] } } })],
    });
    expect(topbarOf(config, member("vip"))).toBe("vip");
    expect(topbarOf(config, null)).toBe("everyone");
  });

  it("on the demo config: a US VIP gets vip-express, a US anonymous visitor us-free-shipping", () => {
    const us = visitor({ country: "US", currency: "USD" });
    expect(topbarOf(demo, member("vip"), us)).toBe("vip-express");
    expect(topbarOf(demo, null, us)).toBe("us-free-shipping");
    expect(topbarOf(demo, member("bargain_hunter"), us)).toBe("us-free-shipping");
  });
});

describe("audience", () => {
  const segments = ["vip", "valuable", "at_risk"];
  const only = (audience: Audience) => configOf({ segments, campaigns: [topbar("c", { audience })] });

  it("segments.any: at least one of them", () => {
    const config = only({ segments: { any: ["vip", "valuable"] } });
    expect(topbarOf(config, member("valuable"))).toBe("c");
    expect(topbarOf(config, member("at_risk"))).toBeUndefined();
    expect(topbarOf(config, null)).toBeUndefined();
  });

  it("segments.all: every one of them", () => {
    const config = only({ segments: { all: ["vip", "valuable"] } });
    expect(topbarOf(config, member("vip", "valuable", "at_risk"))).toBe("c");
    expect(topbarOf(config, member("vip"))).toBeUndefined();
  });

  it("segments.none: none of them, which includes visitors without segments", () => {
    const config = only({ segments: { none: ["at_risk"] } });
    expect(topbarOf(config, null)).toBe("c");
    expect(topbarOf(config, member("vip"))).toBe("c");
    expect(topbarOf(config, member("vip", "at_risk"))).toBeUndefined();
  });

  it("any, all and none together must all hold", () => {
    const config = only({ segments: { any: ["vip", "valuable"], all: ["valuable"], none: ["at_risk"] } });
    expect(topbarOf(config, member("valuable"))).toBe("c");
    expect(topbarOf(config, member("vip"))).toBeUndefined();
    expect(topbarOf(config, member("valuable", "at_risk"))).toBeUndefined();
  });

  it("countries: the visitor's country must be listed; an unknown country matches none", () => {
    const config = only({ countries: ["US", "CA"] });
    expect(topbarOf(config, null, visitor({ country: "CA" }))).toBe("c");
    expect(topbarOf(config, null, visitor({ country: "DE" }))).toBeUndefined();
    expect(topbarOf(config, null, visitor({ country: null }))).toBeUndefined();
  });

  it.each([
    ["/collections/*", "/collections/sale", true],
    ["/collections/*", "/collections/sale/shoes", true],
    ["/collections/*", "/collections", false],
    ["/collections/*", "/pages/collections/sale", false],
    ["/products/*-socks", "/products/wool-socks", true],
    ["/products/*-socks", "/products/wool-socks/reviews", false],
    ["/cart", "/cart", true],
    ["/cart", "/cart/checkout", false],
    ["/cart", "/carts", false],
    ["/a.b", "/a.b", true],
    ["/a.b", "/axb", false],
    ["/*", "/anything/at/all", true],
  ])("paths: %s on %s is %s", (pattern, path, shown) => {
    expect(topbarOf(only({ paths: [pattern] }), null, visitor({ path }))).toBe(shown ? "c" : undefined);
  });

  it("paths: any one of the patterns", () => {
    const config = only({ paths: ["/cart", "/products/*"] });
    expect(topbarOf(config, null, visitor({ path: "/products/tote" }))).toBe("c");
    expect(topbarOf(config, null, visitor({ path: "/" }))).toBeUndefined();
  });

  it("visitor: new or returning", () => {
    expect(topbarOf(only({ visitor: "new" }), null, visitor({ returning: false }))).toBe("c");
    expect(topbarOf(only({ visitor: "new" }), null, visitor({ returning: true }))).toBeUndefined();
    expect(topbarOf(only({ visitor: "returning" }), null, visitor({ returning: true }))).toBe("c");
    expect(topbarOf(only({ visitor: "returning" }), null, visitor({ returning: false }))).toBeUndefined();
  });

  it("devices: the visitor's device must be listed", () => {
    const config = only({ devices: ["mobile", "tablet"] });
    expect(topbarOf(config, null, visitor({ device: "tablet" }))).toBe("c");
    expect(topbarOf(config, null, visitor({ device: "desktop" }))).toBeUndefined();
  });
});

describe("when a campaign is live", () => {
  const start = "2026-12-01T00:00:00Z";
  const end = "2026-12-24T00:00:00+01:00";
  const config = configOf({ campaigns: [topbar("xmas", { schedule: { start, end } })] });

  it("starts at its start, inclusive", () => {
    expect(topbarOf(config, null, visitor(), Date.parse(start) - 1)).toBeUndefined();
    expect(topbarOf(config, null, visitor(), Date.parse(start))).toBe("xmas");
  });

  it("ends at its end, exclusive (offsets respected)", () => {
    const endMs = Date.parse("2026-12-23T23:00:00Z");
    expect(topbarOf(config, null, visitor(), endMs - 1)).toBe("xmas");
    expect(topbarOf(config, null, visitor(), endMs)).toBeUndefined();
  });

  it("with only a start or only an end", () => {
    const open = configOf({ campaigns: [topbar("from", { schedule: { start } }), topbar("until", { schedule: { end: start } })] });
    expect(topbarOf(open, null, visitor(), Date.parse(start) - 1)).toBe("until");
    expect(topbarOf(open, null, visitor(), Date.parse(start))).toBe("from");
  });

  it("never when enabled is false", () => {
    const config = configOf({
      campaigns: [topbar("off", { enabled: false, priority: 9 }), topbar("on", { enabled: true })],
    });
    expect(topbarOf(config, null)).toBe("on");
  });
});

describe("membership", () => {
  const config = configOf({
    segments: ["vip"],
    campaigns: [topbar("vip", { audience: { segments: { any: ["vip"] } } }), topbar("not-vip", { audience: { segments: { none: ["vip"] } } })],
  });

  it("counts until expiresAt and not from expiresAt on", () => {
    expect(topbarOf(config, { segments: ["vip"], expiresAt: NOW + 1 })).toBe("vip");
    expect(topbarOf(config, { segments: ["vip"], expiresAt: NOW })).toBe("not-vip");
    expect(topbarOf(config, { segments: ["vip"], expiresAt: NOW - 1 })).toBe("not-vip");
  });

  it("ignores segments the config does not know", () => {
    expect(topbarOf(config, member("someone-else"))).toBe("not-vip");
  });
});

describe("defaults", () => {
  it("shows a placement's default when no campaign matches, and null where there is none", () => {
    const decision = decide(demo, null, visitor({ country: "DE", locale: "de-DE" }), NOW);
    expect(decision.placements.topbar).toBeNull();
    expect(decision.placements.shipping).toMatchObject({ campaign: null, variant: null, message: { text: "Free shipping on orders over 60,00\u00a0€" } });
    expect(decision.placements.returns).toEqual({ campaign: null, variant: null, message: { text: "Free returns within 30 days", dismissible: false } });
  });

  it("lets a campaign replace only its own placement's default", () => {
    const decision = decide(demo, member("high_returner"), visitor({ country: "DE" }), NOW);
    expect(decision.placements.returns).toMatchObject({ campaign: "returns-instore", name: "High returners: in-store returns", variant: "a" });
    expect(decision.placements.shipping?.campaign).toBeNull();
    expect(decision.placements.topbar).toBeNull();
  });

  it("treats a null default like a missing one", () => {
    const decision = decide(configOf({ defaults: { topbar: null, returns: { text: "Returns: 30 days" } } }), null, visitor(), NOW);
    expect(decision.placements.topbar).toBeNull();
    expect(decision.placements.shipping).toBeNull();
    expect(decision.placements.returns?.message.text).toBe("Returns: 30 days");
  });
});

describe("money", () => {
  const threshold = (amounts: Record<string, number>, extra: object = {}) =>
    configOf({ defaults: { shipping: { text: "Free shipping over {{threshold}}", threshold: amounts, ...extra } } });
  const shippingText = (config: Config, context: Partial<VisitorContext>) =>
    decide(config, null, visitor(context), NOW).placements.shipping?.message.text;

  it('formats US dollars for en-US as "$50.00"', () => {
    expect(shippingText(threshold({ USD: 5000 }), { country: "US", currency: "USD", locale: "en-US" })).toBe("Free shipping over $50.00");
    // The demo's US campaign, whichever of its variants this visitor gets.
    const us = decide(demo, null, visitor({ country: "US", currency: "USD", locale: "en-US" }), NOW);
    expect(us.placements.topbar?.message.text).toContain(" $50.00");
  });

  it('formats euros for de-DE as "60,00 €" (no-break space)', () => {
    expect(shippingText(demo, { country: "DE", currency: "EUR", locale: "de-DE" })).toBe("Free shipping on orders over 60,00\u00a0€");
  });

  it("formats yen, which has no minor unit, with 0 decimals: 5000 is ￥5,000, not ￥50", () => {
    expect(shippingText(threshold({ JPY: 5000 }), { currency: "JPY", locale: "ja-JP" })).toBe("Free shipping over ￥5,000");
    expect(shippingText(threshold({ JPY: 5000 }), { currency: "JPY", locale: "en-US" })).toBe("Free shipping over ¥5,000");
  });

  it("keeps cents that are not round", () => {
    expect(shippingText(threshold({ USD: 4999 }), { currency: "USD" })).toBe("Free shipping over $49.99");
  });

  describe("currency", () => {
    const amounts = threshold({ GBP: 3500, EUR: 4000, USD: 4500 });

    it("is the store's currency for the visitor when it says one, whatever the country", () => {
      expect(shippingText(amounts, { country: "US", currency: "EUR" })).toBe("Free shipping over €40.00");
    });

    it("else the visitor's country's currency", () => {
      expect(shippingText(amounts, { country: "US" })).toBe("Free shipping over $45.00");
      expect(shippingText(amounts, { country: "AT" })).toBe("Free shipping over €40.00");
    });

    it("else the first currency of the message", () => {
      expect(shippingText(amounts, { country: "JP" })).toBe("Free shipping over £35.00");
      expect(shippingText(amounts, { country: null })).toBe("Free shipping over £35.00");
    });

    it("skips a campaign without the store's currency for the next candidate", () => {
      const config = configOf({
        campaigns: [
          topbar("usd-only", {
            priority: 5,
            variants: [{ id: "a", weight: 1, message: { text: "Free over {{threshold}}", threshold: { USD: 5000 } } }],
          }),
          topbar("plain"),
        ],
      });
      expect(topbarOf(config, null, visitor({ currency: "USD" }))).toBe("usd-only");
      expect(topbarOf(config, null, visitor({ currency: "EUR", country: "US" }))).toBe("plain");
    });

    it("skips a campaign without the store's currency for the default, and shows nothing when the default lacks it too", () => {
      const config = configOf({
        campaigns: [
          {
            id: "usd-nudge",
            placement: "shipping",
            variants: [{ id: "a", weight: 1, message: { text: "Nudge {{threshold}}", threshold: { USD: 2500 } } }],
          },
        ],
        defaults: { shipping: { text: "Default {{threshold}}", threshold: { USD: 7500, GBP: 5000 } } },
      });
      const shipping = (currency: string) => decide(config, null, visitor({ currency }), NOW).placements.shipping;
      expect(shipping("USD")?.campaign).toBe("usd-nudge");
      expect(shipping("GBP")).toEqual({ campaign: null, variant: null, message: { text: "Default £50.00", dismissible: false } });
      expect(shipping("CHF")).toBeNull();
    });
  });

  it("gives shipping progress its threshold, currency and text with {{remaining}} left for the runtime", () => {
    const bargain = decide(demo, member("bargain_hunter"), visitor({ country: "DE", currency: "EUR", locale: "de-DE" }), NOW);
    expect(bargain.placements.shipping).toEqual({
      campaign: "bargain-threshold",
      name: "Bargain hunters: free-shipping nudge",
      variant: "a",
      message: {
        text: "Free shipping on orders over 40,00\u00a0€",
        dismissible: false,
        progress: { threshold: 4000, currency: "EUR", locale: "de-DE", text: "You're {{remaining}} away from free shipping", reached: "You've unlocked free shipping!" },
      },
    });
    const config = threshold({ USD: 7500 }, { progress: { text: "{{remaining}} to go for free shipping over {{threshold}}" } });
    expect(decide(config, null, visitor({ currency: "USD" }), NOW).placements.shipping?.message.progress).toEqual({
      threshold: 7500,
      currency: "USD",
      locale: "en-US",
      text: "{{remaining}} to go for free shipping over $75.00",
    });
  });
});

describe("dismissible", () => {
  const message = { text: "Hello" };
  const everywhere = (extra: object) =>
    configOf({ defaults: { topbar: { ...message, ...extra }, shipping: { ...message, ...extra }, returns: { ...message, ...extra } } });

  it("defaults to true for the top bar and false elsewhere", () => {
    const { placements } = decide(everywhere({}), null, visitor(), NOW);
    expect([placements.topbar?.message.dismissible, placements.shipping?.message.dismissible, placements.returns?.message.dismissible]).toEqual([
      true,
      false,
      false,
    ]);
  });

  it("follows the message when it says so", () => {
    const off = decide(everywhere({ dismissible: false }), null, visitor(), NOW).placements;
    const on = decide(everywhere({ dismissible: true }), null, visitor(), NOW).placements;
    expect(off.topbar?.message.dismissible).toBe(false);
    expect(on.shipping?.message.dismissible).toBe(true);
    expect(on.returns?.message.dismissible).toBe(true);
  });

  it("passes link and style through", () => {
    const vip = decide(demo, member("vip"), visitor({ customerId: "cust-42" }), NOW).placements.topbar?.message;
    expect(vip?.link?.url).toMatch(/^\/demo\//);
    expect(vip?.style).toEqual({ background: "#1f1235", color: "#ffffff", linkColor: "#f7c948" });
  });
});

describe("variant", () => {
  // Expected variants come from the independent vectors: vip-express is a 50/50 split of express/early.
  const split = vectors.pickVariant.filter((v) => v.campaign === "vip-express" && v.weights.join() === "50,50");
  const express = split.filter((v) => v.index === 0).map((v) => v.unit);
  const early = split.filter((v) => v.index === 1).map((v) => v.unit);
  const variantOf = (context: Partial<VisitorContext>) => decide(demo, member("vip"), visitor(context), NOW).placements.topbar?.variant;

  it("has vectors for both variants", () => {
    expect(express.length).toBeGreaterThan(0);
    expect(early.length).toBeGreaterThan(0);
  });

  it("is picked by the customer id when there is one, whatever the visitor id", () => {
    for (const customerId of express) {
      for (const visitorId of early) expect(variantOf({ customerId, visitorId })).toBe("express");
    }
    for (const customerId of early) {
      for (const visitorId of express) expect(variantOf({ customerId, visitorId })).toBe("early");
    }
  });

  it("is picked by the visitor id for an anonymous visitor", () => {
    for (const visitorId of express) expect(variantOf({ visitorId })).toBe("express");
    for (const visitorId of early) expect(variantOf({ visitorId })).toBe("early");
  });

  it("is sticky: the same customer gets the same variant on every call and device", () => {
    const first = variantOf({ customerId: "cust-42", device: "desktop" });
    for (let i = 0; i < 20; i++) {
      expect(variantOf({ customerId: "cust-42", visitorId: `device-${i}`, device: i % 2 ? "mobile" : "tablet" })).toBe(first);
    }
  });
});

describe("experiments", () => {
  /** A 20% holdout against two messages, with a default topbar for the holdout to see. */
  const withHoldout = (extra: Partial<CampaignInput> = {}, defaultTopbar: unknown = { text: "Default bar" }) =>
    configOf({
      campaigns: [
        topbar("sale", {
          variants: [
            { id: "control", weight: 20, control: true },
            { id: "a", weight: 40, message: { text: "Sale A" } },
            { id: "b", weight: 40, message: { text: "Sale B" } },
          ],
          ...extra,
        }),
        topbar("fallback-campaign", { priority: -1 }),
      ],
      defaults: { topbar: defaultTopbar },
    });
  /** Visitor ids that land in each range of a 20/40/40 split for bucketing key `key`. */
  const visitorsIn = (key: string) => {
    const ids = Array.from({ length: 400 }, (_, i) => `visitor-${i}`);
    return {
      control: ids.filter((id) => bucketOf(key, id) < 0.2),
      a: ids.filter((id) => bucketOf(key, id) >= 0.2 && bucketOf(key, id) < 0.6),
      b: ids.filter((id) => bucketOf(key, id) >= 0.6),
    };
  };

  it("shows the control the placement's default, not the next campaign, and counts it as the control", () => {
    const config = withHoldout();
    for (const visitorId of visitorsIn("sale").control.slice(0, 20)) {
      const decision = decide(config, null, visitor({ visitorId }), NOW);
      expect(decision.placements.topbar).toEqual({ campaign: "sale", variant: "control", control: true, message: { text: "Default bar", dismissible: true } });
      expect(decision.exposures).toEqual([{ campaign: "sale", experiment: "sale", variant: "control" }]);
    }
  });

  it("shows the control nothing when the placement has no default, and still counts the exposure", () => {
    const config = withHoldout({}, null);
    const visitorId = visitorsIn("sale").control[0] ?? "";
    const decision = decide(config, null, visitor({ visitorId }), NOW);
    expect(decision.placements.topbar).toBeNull();
    expect(decision.exposures).toEqual([{ campaign: "sale", experiment: "sale", variant: "control" }]);
  });

  it("shows each treatment its message and records one exposure for it", () => {
    const config = withHoldout();
    const { a, b } = visitorsIn("sale");
    for (const [ids, variant, text] of [
      [a, "a", "Sale A"],
      [b, "b", "Sale B"],
    ] as const) {
      for (const visitorId of ids.slice(0, 10)) {
        const decision = decide(config, null, visitor({ visitorId }), NOW);
        expect(decision.placements.topbar).toMatchObject({ campaign: "sale", variant, message: { text } });
        expect(decision.exposures).toEqual([{ campaign: "sale", experiment: "sale", variant }]);
      }
    }
  });

  it("leaves out, for every unit alike, a visitor one of the experiment's messages cannot be shown to", () => {
    // Variant b has no amount in dollars: a US shopper in dollars is in neither variant, whatever their bucket.
    const config = configOf({
      campaigns: [
        topbar("money", {
          variants: [
            { id: "a", weight: 50, message: { text: "Hello" } },
            { id: "b", weight: 50, message: { text: "Free over {{threshold}}", threshold: { EUR: 5000 } } },
          ],
        }),
      ],
      defaults: { topbar: { text: "Default bar" } },
    });
    for (let i = 0; i < 40; i++) {
      const dollars = decide(config, null, visitor({ visitorId: `visitor-${i}`, currency: "USD" }), NOW);
      expect(dollars.placements.topbar).toMatchObject({ campaign: null, message: { text: "Default bar" } });
      expect(dollars.exposures).toEqual([]);
      expect(decide(config, null, visitor({ visitorId: `visitor-${i}`, currency: "EUR" }), NOW).exposures).toHaveLength(1);
    }
  });

  it("takes the first weighted variant as baseline when the control's weight is 0", () => {
    const config = withHoldout();
    const campaign = config.campaigns[0];
    if (!campaign) throw new Error("fixture");
    const stopped = configOf({ ...config, campaigns: [{ ...campaign, variants: campaign.variants.map((v) => (v.control ? { ...v, weight: 0 } : v)) }] });
    expect(decide(stopped, null, visitor({ consent: false }), NOW).placements.topbar).toMatchObject({ campaign: "sale", variant: "a" });
  });

  it("records no exposure for a campaign with one weighted variant: it is not an experiment", () => {
    const config = configOf({ campaigns: [topbar("plain", { variants: [{ id: "a", weight: 1, message: { text: "Hi" } }, { id: "b", weight: 0, message: { text: "Off" } }] })] });
    const decision = decide(config, null, visitor(), NOW);
    expect(decision.placements.topbar?.variant).toBe("a");
    expect(decision.exposures).toEqual([]);
  });

  it("enrolls nobody without consent: the baseline is shown and nothing is counted", () => {
    const config = withHoldout();
    const { a, b } = visitorsIn("sale");
    for (const visitorId of [...a.slice(0, 10), ...b.slice(0, 10)]) {
      const decision = decide(config, null, visitor({ visitorId, consent: false }), NOW);
      expect(decision.placements.topbar).toMatchObject({ campaign: "sale", variant: "control", control: true, message: { text: "Default bar" } });
      expect(decision.exposures).toEqual([]);
    }
    // Without a control, the baseline is the first weighted variant.
    const noControl = configOf({ campaigns: [topbar("ab", { variants: [{ id: "off", weight: 0, message: { text: "Off" } }, { id: "a", weight: 1, message: { text: "A" } }, { id: "b", weight: 1, message: { text: "B" } }] })] });
    for (const visitorId of b.slice(0, 10)) {
      expect(decide(noControl, null, visitor({ visitorId, consent: false }), NOW).placements.topbar?.variant).toBe("a");
    }
  });

  it("restarts with a new seed: units are bucketed afresh and counted under a new experiment key", () => {
    const config = withHoldout({ experiment: { seed: "run-2" } });
    const before = visitorsIn("sale");
    const after = visitorsIn("sale:run-2");
    for (const [variant, ids] of Object.entries(after)) {
      for (const visitorId of ids.slice(0, 10)) {
        expect(decide(config, null, visitor({ visitorId }), NOW).exposures).toEqual([{ campaign: "sale", experiment: "sale:run-2", variant }]);
      }
    }
    // A new assignment, not the old one: a good share of units change variant.
    const moved = Object.entries(before).flatMap(([variant, ids]) => ids.filter((id) => !(after[variant as keyof typeof after] ?? []).includes(id)));
    expect(moved.length).toBeGreaterThan(100);
  });

  it("moves only the units whose bucket changes range when weights change mid-test", () => {
    const even = configOf({ campaigns: [topbar("ab", { variants: [{ id: "a", weight: 50, message: { text: "A" } }, { id: "b", weight: 50, message: { text: "B" } }] })] });
    const skewed = configOf({ campaigns: [topbar("ab", { variants: [{ id: "a", weight: 70, message: { text: "A" } }, { id: "b", weight: 30, message: { text: "B" } }] })] });
    const ids = Array.from({ length: 1000 }, (_, i) => `visitor-${i}`);
    const variantIn = (config: Config, visitorId: string) => decide(config, null, visitor({ visitorId }), NOW).placements.topbar?.variant;
    const moved = ids.filter((id) => variantIn(even, id) !== variantIn(skewed, id));
    // Exactly those with a bucket in [0.5, 0.7) move, and only from b to a.
    expect(moved).toEqual(ids.filter((id) => bucketOf("ab", id) >= 0.5 && bucketOf("ab", id) < 0.7));
    for (const id of moved) expect([variantIn(even, id), variantIn(skewed, id)]).toEqual(["b", "a"]);
  });
});

describe("the decision", () => {
  it("summarises the visitor", () => {
    const context = visitor({ visitorId: "v-9", customerId: "1001", country: "US", returning: true, device: "mobile" });
    expect(decide(demo, null, context, NOW).visitor).toEqual({ id: "v-9", identified: true, returning: true, country: "US", device: "mobile" });
    expect(decide(demo, null, visitor(), NOW).visitor.identified).toBe(false);
  });

  it("is pure: the same inputs give the same output and the config is left as it was", () => {
    const before = structuredClone(demo);
    const context = visitor({ customerId: "1003", country: "GB", locale: "en-GB" });
    const first = decide(demo, member("bargain_hunter", "occasional"), context, NOW);
    expect(decide(demo, member("bargain_hunter", "occasional"), context, NOW)).toEqual(first);
    expect(demo).toEqual(before);
    expect(first.placements.shipping?.message.text).toBe("Free shipping on orders over £35.00");
    expect(first.placements.topbar?.campaign).toBe("occasional-new-in");
  });
});
