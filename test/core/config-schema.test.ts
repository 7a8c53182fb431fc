/**
 * @module The config schema a marketer writes against: the documented example goes in unchanged,
 * every mistake comes back with the exact field path and a message that says what to do, and the
 * published JSON Schema is usable by editors.
 */
import { describe, expect, it } from "vitest";
import type { FieldIssue } from "../../src/core/config-schema";
import { configJsonSchema, parseConfig } from "../../src/core/config-schema";

/** The example document from the docs, exactly as published. */
const EXAMPLE_TEXT = String.raw`{"segments":["vip","high_returner","bargain_hunter"],"campaigns":[{"id":"vip-express","placement":"topbar","priority":10,"audience":{"segments":{"any":["vip"]}},"variants":[{"id":"express","weight":50,"message":{"text":"Free express shipping on every order","link":{"url":"/pages/shipping","label":"Details"}}},{"id":"early","weight":50,"message":{"text":"Early access to the winter sale starts today"}}]},{"id":"returns-instore","placement":"returns","audience":{"segments":{"any":["high_returner"]}},"variants":[{"id":"a","weight":100,"message":{"text":"Free returns in any of our stores"}}]},{"id":"us-free-shipping","placement":"topbar","priority":1,"audience":{"countries":["US"]},"variants":[{"id":"a","weight":100,"message":{"text":"Free shipping to the US on orders over {{threshold}}","threshold":{"USD":5000}}}]}],"defaults":{"shipping":{"text":"Free shipping on orders over {{threshold}}","threshold":{"EUR":6000,"USD":7500}}}}`;

function example(): unknown {
  return JSON.parse(EXAMPLE_TEXT);
}

describe("the example document", () => {
  it("is accepted and comes out as it went in", () => {
    const input = example();
    const result = parseConfig(input);
    expect(result).toEqual({ ok: true, config: example() });
    expect(input).toEqual(example());
  });

  it("gets defaults for what it leaves out", () => {
    const input = example() as Record<string, unknown>;
    delete input.defaults;
    const result = parseConfig(input);
    expect(result.ok && result.config.defaults).toEqual({});
    expect(parseConfig({})).toEqual({ ok: true, config: { segments: [], campaigns: [], defaults: {} } });
  });
});

/**
 * A valid one-campaign config with one change: `message`, `variant` and `campaign` are merged into the
 * first (only) variant's message, the variant, the campaign; `config` into the document.
 */
function configWith(change: { message?: object; variant?: object; campaign?: object; config?: object }): unknown {
  return {
    segments: ["vip", "bargain_hunter"],
    campaigns: [
      {
        id: "vip-express",
        placement: "topbar",
        audience: { segments: { any: ["vip"] } },
        variants: [{ id: "express", weight: 50, message: { text: "Free express shipping", ...change.message }, ...change.variant }],
        ...change.campaign,
      },
    ],
    ...change.config,
  };
}

function issuesOf(input: unknown): FieldIssue[] {
  const result = parseConfig(input);
  if (result.ok) throw new Error("expected the config to be rejected");
  return result.issues;
}

const MESSAGE = "campaigns.0.variants.0.message";

describe("links", () => {
  it.each([
    "javascript:alert(document.cookie)",
    "JavaScript:alert(1)",
    "//evil.com",
    "//evil.com/pages/shipping",
    "/\\evil.com",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox",
    "ftp://example.com/file",
    "pages/shipping",
    "https://",
  ])("rejects %j", (url) => {
    expect(issuesOf(configWith({ message: { link: { url } } }))).toEqual([
      { path: `${MESSAGE}.link.url`, message: "use an http(s) URL or a path starting with '/'" },
    ]);
  });

  // Browsers drop ASCII tab and newline from URLs: "/\t/evil.com" is "//evil.com", another host.
  it.each(["/\t/evil.com", "/\n/evil.com", "/\r\n/evil.com"])("rejects %j, which the browser reads as //evil.com", (url) => {
    expect(new URL(url, "https://shop.example/cart").host).toBe("evil.com");
    expect(issuesOf(configWith({ message: { link: { url } } }))).toEqual([
      { path: `${MESSAGE}.link.url`, message: "use an http(s) URL or a path starting with '/'" },
    ]);
  });

  it.each(["/pages/shipping", "/collections/sale?page=2#top", "https://shop.example/pages/x", "HTTP://shop.example"])("accepts %j", (url) => {
    expect(parseConfig(configWith({ message: { link: { url, label: "Details" } } })).ok).toBe(true);
  });
});

describe("rejected configs name the field and what to do", () => {
  it.each<[string, unknown, FieldIssue[]]>([
    [
      "a colour that is not hex",
      configWith({ message: { style: { background: "red" } } }),
      [{ path: `${MESSAGE}.style.background`, message: "use a hex colour such as #1a2b3c" }],
    ],
    [
      "an unknown placeholder",
      configWith({ message: { text: "Hello {{foo}}" } }),
      [{ path: `${MESSAGE}.text`, message: "unknown placeholder {{foo}}; allowed here: {{threshold}}" }],
    ],
    [
      "{{remaining}} outside progress text",
      configWith({ message: { text: "{{remaining}} to go", threshold: { EUR: 6000 } } }),
      [{ path: `${MESSAGE}.text`, message: "unknown placeholder {{remaining}}; allowed here: {{threshold}}" }],
    ],
    [
      "{{remaining}} in the reached text",
      configWith({ message: { threshold: { EUR: 6000 }, progress: { text: "{{remaining}} to go", reached: "{{remaining}}" } } }),
      [{ path: `${MESSAGE}.progress.reached`, message: "unknown placeholder {{remaining}}; allowed here: {{threshold}}" }],
    ],
    [
      "{{threshold}} without a threshold",
      configWith({ message: { text: "Free over {{threshold}}" } }),
      [{ path: `${MESSAGE}.threshold`, message: 'add a threshold per currency (in minor units, e.g. {"EUR": 6000}) for {{threshold}} or progress' }],
    ],
    [
      "{{threshold}} with an empty threshold",
      configWith({ message: { text: "Free over {{ threshold }}", threshold: {} } }),
      [{ path: `${MESSAGE}.threshold`, message: "list at least one currency, or leave threshold out" }],
    ],
    [
      "progress without a threshold",
      configWith({ message: { progress: { text: "{{remaining}} to go" } } }),
      [{ path: `${MESSAGE}.threshold`, message: 'add a threshold per currency (in minor units, e.g. {"EUR": 6000}) for {{threshold}} or progress' }],
    ],
    [
      "a segment the config does not list",
      configWith({ campaign: { audience: { segments: { any: ["vip", "gold"] } } } }),
      [{ path: "campaigns.0.audience.segments.any.1", message: 'segment "gold" is not listed in "segments"' }],
    ],
    [
      "an unlisted segment in none",
      configWith({ campaign: { audience: { segments: { none: ["gold"] } } } }),
      [{ path: "campaigns.0.audience.segments.none.0", message: 'segment "gold" is not listed in "segments"' }],
    ],
    [
      "a duplicate segment",
      configWith({ config: { segments: ["vip", "bargain_hunter", "vip"] } }),
      [{ path: "segments.2", message: 'duplicate segment "vip"' }],
    ],
    [
      "a duplicate variant id",
      configWith({
        campaign: {
          variants: [
            { id: "a", weight: 1, message: { text: "one" } },
            { id: "a", weight: 1, message: { text: "two" } },
          ],
        },
      }),
      [{ path: "campaigns.0.variants.1.id", message: 'duplicate variant id "a"' }],
    ],
    [
      "weights that are all 0",
      configWith({ variant: { weight: 0 } }),
      [{ path: "campaigns.0.variants", message: "at least one variant needs a weight above 0" }],
    ],
    [
      "a schedule that ends before it starts",
      configWith({ campaign: { schedule: { start: "2026-12-24T00:00:00Z", end: "2026-12-01T00:00:00Z" } } }),
      [{ path: "campaigns.0.schedule.end", message: "end must be after start" }],
    ],
    [
      "a schedule that ends as it starts",
      configWith({ campaign: { schedule: { start: "2026-12-01T01:00:00+01:00", end: "2026-12-01T00:00:00Z" } } }),
      [{ path: "campaigns.0.schedule.end", message: "end must be after start" }],
    ],
    [
      "a schedule time that is not ISO 8601",
      configWith({ campaign: { schedule: { start: "1 December 2026" } } }),
      [{ path: "campaigns.0.schedule.start", message: "use an ISO 8601 time such as 2026-12-01T00:00:00Z" }],
    ],
    [
      "a bad country code",
      configWith({ campaign: { audience: { countries: ["US", "usa"] } } }),
      [{ path: "campaigns.0.audience.countries.1", message: "use an ISO 3166-1 alpha-2 code such as US" }],
    ],
    [
      "a bad currency code",
      configWith({ message: { text: "Over {{threshold}}", threshold: { euro: 6000 } } }),
      [{ path: `${MESSAGE}.threshold.euro`, message: "use an ISO 4217 currency code such as EUR" }],
    ],
    [
      "a path pattern longer than 256 characters",
      configWith({ campaign: { audience: { paths: ["/ok/*", `/${"a".repeat(256)}`] } } }),
      [{ path: "campaigns.0.audience.paths.1", message: "use at most 256 characters in a path pattern" }],
    ],
    [
      "a path pattern with more than 8 wildcards",
      configWith({ campaign: { audience: { paths: ["/*/*/*/*/*/*/*/*/*"] } } }),
      [{ path: "campaigns.0.audience.paths.0", message: "use at most 8 '*' in a path pattern" }],
    ],
    [
      "more than 50 path patterns",
      configWith({ campaign: { audience: { paths: Array.from({ length: 51 }, (_, i) => `/page-${i}`) } } }),
      [{ path: "campaigns.0.audience.paths", message: "list at most 50 path patterns" }],
    ],
    [
      "a path pattern that is not a path",
      configWith({ campaign: { audience: { paths: ["products/*"] } } }),
      [{ path: "campaigns.0.audience.paths.0", message: "use a path starting with '/', '*' as wildcard" }],
    ],
    [
      "a bad campaign id",
      configWith({ campaign: { id: "VIP Express" } }),
      [{ path: "campaigns.0.id", message: "use 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit" }],
    ],
  ])("%s", (_, input, issues) => {
    expect(issuesOf(input)).toEqual(issues);
  });

  it("a duplicate campaign id, on the later campaign", () => {
    const input = example() as { campaigns: { id: string }[] };
    const third = input.campaigns[2];
    if (third) third.id = "vip-express";
    expect(issuesOf(input)).toEqual([{ path: "campaigns.2.id", message: 'duplicate campaign id "vip-express"' }]);
  });

  it("an unknown placement, listing the allowed ones", () => {
    const [issue, ...rest] = issuesOf(configWith({ campaign: { placement: "footer" } }));
    expect(rest).toEqual([]);
    expect(issue?.path).toBe("campaigns.0.placement");
    for (const placement of ["topbar", "shipping", "returns"]) expect(issue?.message).toContain(placement);
  });

  it.each([
    ["the document", configWith({ config: { campaign: [] } }), "(root)", "campaign"],
    ["a campaign", configWith({ campaign: { prio: 5 } }), "campaigns.0", "prio"],
    ["a message", configWith({ message: { url: "/x" } }), MESSAGE, "url"],
    ["a style", configWith({ message: { style: { colour: "#fff" } } }), `${MESSAGE}.style`, "colour"],
    ["an audience", configWith({ campaign: { audience: { country: ["US"] } } }), "campaigns.0.audience", "country"],
    ["defaults", configWith({ config: { defaults: { footer: { text: "x" } } } }), "defaults", "footer"],
  ])("an unknown key in %s, naming the key", (_, input, path, key) => {
    const issues = issuesOf(input);
    expect(issues).toHaveLength(1);
    expect(issues[0]?.path).toBe(path);
    expect(issues[0]?.message).toContain(`"${key}"`);
  });

  it("lists every issue at once, each at its own path", () => {
    const issues = issuesOf(
      configWith({
        message: { link: { url: "javascript:alert(1)" }, style: { color: "red" } },
        campaign: { audience: { segments: { any: ["gold"] }, countries: ["usa"] } },
      }),
    );
    expect(issues.map((i) => i.path).sort()).toEqual(
      [`${MESSAGE}.link.url`, `${MESSAGE}.style.color`, "campaigns.0.audience.countries.0", "campaigns.0.audience.segments.any.0"].sort(),
    );
  });

  it("never answers with zod's raw output", () => {
    for (const issue of issuesOf(configWith({ campaign: { placement: 7, variants: "many" } }))) {
      expect(Object.keys(issue).sort()).toEqual(["message", "path"]);
      expect(typeof issue.path).toBe("string");
    }
  });
});

describe("experiments", () => {
  const variants = (...list: object[]) => ({ campaign: { variants: list } });

  it("accepts a control without a message, a seed, a conversion window and an expected size", () => {
    const config = configWith({
      ...variants({ id: "control", weight: 10, control: true }, { id: "a", weight: 45, message: { text: "A" } }, { id: "b", weight: 45, message: { text: "B" } }),
    }) as { campaigns: Record<string, unknown>[] };
    (config.campaigns[0] as Record<string, unknown>).experiment = { seed: "restart-2", conversionWindowHours: 48, expectedUnitsPerVariant: 25_000 };
    expect(parseConfig(config).ok).toBe(true);
  });

  it.each<[string, object[], string, string]>([
    ["a control with a message", [{ id: "control", weight: 10, control: true, message: { text: "No" } }, { id: "a", weight: 90, message: { text: "A" } }], "campaigns.0.variants.0.message", "a control shows the placement's default: leave message out"],
    ["a variant without a message", [{ id: "a", weight: 50 }, { id: "b", weight: 50, message: { text: "B" } }], "campaigns.0.variants.0.message", 'a variant needs a message, or "control": true'],
    ["two controls", [{ id: "c1", weight: 10, control: true }, { id: "c2", weight: 10, control: true }, { id: "a", weight: 80, message: { text: "A" } }], "campaigns.0.variants.1.control", "an experiment has at most one control"],
  ])("rejects %s at its path", (_name, list, path, message) => {
    expect(issuesOf(configWith(variants(...list)))).toContainEqual({ path, message });
  });

  it.each([
    [{ seed: "Not A Slug" }, "campaigns.0.experiment.seed"],
    [{ conversionWindowHours: 0 }, "campaigns.0.experiment.conversionWindowHours"],
    [{ conversionWindowHours: 1.5 }, "campaigns.0.experiment.conversionWindowHours"],
    [{ conversionWindowHours: 24 * 91 }, "campaigns.0.experiment.conversionWindowHours"],
    [{ expectedUnitsPerVariant: 50 }, "campaigns.0.experiment.expectedUnitsPerVariant"],
    [{ expectedUnitsPerVariant: 1_000.5 }, "campaigns.0.experiment.expectedUnitsPerVariant"],
    [{ window: 3 }, "campaigns.0.experiment"],
  ])("rejects the experiment settings %j", (experiment, path) => {
    expect(issuesOf(configWith({ campaign: { experiment } })).map((i) => i.path)).toContain(path);
  });
});

describe("the order value cap", () => {
  it("takes whole minor units per currency", () => {
    const result = parseConfig({ orderValueCap: { EUR: 500_000, JPY: 100_000 } });
    expect(result.ok && result.config.orderValueCap).toEqual({ EUR: 500_000, JPY: 100_000 });
  });

  it.each<[unknown, string]>([
    [{ EUR: 0 }, "orderValueCap.EUR"],
    [{ EUR: 12.5 }, "orderValueCap.EUR"],
    [{ EUR: -1 }, "orderValueCap.EUR"],
    [{ EUR: "500000" }, "orderValueCap.EUR"],
    [{ EUR: 2_000_000_000 }, "orderValueCap.EUR"],
    [{ euro: 5 }, "orderValueCap.euro"],
    [[500_000], "orderValueCap"],
  ])("refuses %j, naming %s", (orderValueCap, path) => {
    const result = parseConfig({ orderValueCap });
    expect(result.ok ? [] : result.issues.map((i) => i.path)).toContain(path);
  });
});

describe("segment descriptions (issue 11)", () => {
  const withDescriptions = (segmentDescriptions: Record<string, string>) => parseConfig({ segments: ["vip", "at_risk"], segmentDescriptions });

  it("describes listed segments in up to 200 characters, trimmed", () => {
    const result = withDescriptions({ vip: "  Top 5% by spend, bought in the last 90 days ", at_risk: "x".repeat(200) });
    expect(result.ok && result.config.segmentDescriptions).toEqual({ vip: "Top 5% by spend, bought in the last 90 days", at_risk: "x".repeat(200) });
  });

  it.each<[string, Record<string, string>, FieldIssue[]]>([
    ["a segment the config does not list", { gold: "Gold card holders" }, [{ path: "segmentDescriptions.gold", message: 'segment "gold" is not listed in "segments": list it, or leave its description out' }]],
    ["a description over 200 characters", { vip: "x".repeat(201) }, [{ path: "segmentDescriptions.vip", message: "use at most 200 characters" }]],
    ["an empty description", { vip: "  " }, [{ path: "segmentDescriptions.vip", message: "describe the segment, or leave its description out" }]],
  ])("rejects %s, naming its path", (_name, descriptions, issues) => {
    const result = withDescriptions(descriptions);
    expect(result.ok ? [] : result.issues).toEqual(issues);
  });
});

describe("the JSON Schema", () => {
  it("describes campaigns and survives JSON serialisation", () => {
    const schema = configJsonSchema();
    const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
    expect(properties?.campaigns?.type).toBe("array");
    expect(Object.keys(properties ?? {}).sort()).toEqual(["campaigns", "defaults", "orderValueCap", "segmentDescriptions", "segments"]);
    expect(properties?.segmentDescriptions?.additionalProperties).toMatchObject({ type: "string", maxLength: 200 });
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
  });

  it("leaves defaulted fields optional for the writer", () => {
    expect(configJsonSchema().required ?? []).toEqual([]);
  });
});
