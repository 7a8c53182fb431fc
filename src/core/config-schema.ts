/**
 * @module The site config a marketer edits: which message each segment sees in each placement.
 * Single source of truth: the TypeScript types come from `z.infer`, the published JSON Schema from
 * `z.toJSONSchema`. Pure: imports nothing from Hono or the Workers runtime.
 */
import en from "zod/v4/locales/en.js";
import * as z from "zod/mini";
import { placeholdersIn } from "./money";
import { MAX_PATH_PATTERN_LENGTH, MAX_PATH_PATTERNS, MAX_PATH_WILDCARDS, wildcardCount } from "./path-pattern";
import { HEX_COLOUR, isSafeLink } from "./safe";
import {
  COUNTRY_CODE,
  COUNTRY_RULE,
  CURRENCY_CODE,
  CURRENCY_RULE,
  DEVICES,
  GUARDRAIL_METRICS,
  MAX_CONVERSION_WINDOW_HOURS,
  MAX_SEGMENT_DESCRIPTION,
  PLACEMENTS,
  SEGMENT_ID,
  SEGMENT_ID_RULE,
} from "./shared";

// zod/mini (about a seventh of classic zod in the bundle) ships no messages until a locale is loaded.
z.config(en());


const slug = z
  .string()
  .check(z.regex(SEGMENT_ID, `use ${SEGMENT_ID_RULE}`));

const isoTime = z.iso.datetime({ offset: true, message: "use an ISO 8601 time such as 2026-12-01T00:00:00Z" });

const hexColour = z.string().check(z.regex(HEX_COLOUR, "use a hex colour such as #1a2b3c"));

const currencyCode = z.string().check(z.regex(CURRENCY_CODE, CURRENCY_RULE));

/** A trimmed text of 1 to `max` characters. */
const text = (max: number, emptyMessage?: string) =>
  z.string().check(z.trim(), z.minLength(1, emptyMessage), z.maxLength(max));

const link = z.object({
  url: z.string().check(z.maxLength(2048), z.refine(isSafeLink, "use an http(s) URL or a path starting with '/'")),
  label: z.optional(z.string().check(z.minLength(1), z.maxLength(60))),
});

const style = z.strictObject({
  background: z.optional(hexColour),
  color: z.optional(hexColour),
  linkColor: z.optional(hexColour),
  align: z.optional(z.enum(["left", "center", "right"])),
  size: z.optional(z.enum(["small", "medium", "large"])),
});

export const MessageSchema = z
  .strictObject({
    text: text(300, "a message needs text"),
    link: z.optional(link),
    style: z.optional(style),
    dismissible: z.optional(z.boolean()),
    /** Money amounts in minor units (cents) per currency, shown where the text says {{threshold}}. */
    threshold: z.optional(z.record(currencyCode, z.int().check(z.gte(0), z.lte(100_000_000)))),
    /** Free-shipping progress from the cart total: `text` may say {{remaining}}; `reached` once it is met. */
    progress: z.optional(z.strictObject({ text: text(300), reached: z.optional(text(300)) })),
  })
  .check(
    z.superRefine((message, ctx) => {
      const used = new Set<string>();
      const check = (text: string, allowed: string[], path: (string | number)[]) => {
        for (const name of placeholdersIn(text)) {
          used.add(name);
          if (!allowed.includes(name)) {
            ctx.addIssue({
              code: "custom",
              path,
              message: `unknown placeholder {{${name}}}; allowed here: ${allowed.map((a) => `{{${a}}}`).join(", ") || "none"}`,
            });
          }
        }
      };
      // Placeholders a message text may use, and where they are allowed.
      check(message.text, ["threshold"], ["text"]);
      if (message.progress) {
        check(message.progress.text, ["remaining", "threshold"], ["progress", "text"]);
        if (message.progress.reached) check(message.progress.reached, ["threshold"], ["progress", "reached"]);
      }
      const hasThreshold = message.threshold !== undefined && Object.keys(message.threshold).length > 0;
      if (message.threshold !== undefined && !hasThreshold) {
        ctx.addIssue({ code: "custom", path: ["threshold"], message: "list at least one currency, or leave threshold out" });
        return;
      }
      if ((used.has("threshold") || message.progress) && !hasThreshold) {
        ctx.addIssue({
          code: "custom",
          path: ["threshold"],
          message: "add a threshold per currency (in minor units, e.g. {\"EUR\": 6000}) for {{threshold}} or progress",
        });
      }
    }),
  );
export type Message = z.infer<typeof MessageSchema>;

/**
 * A variant switched off: its units see the experiment's baseline and are no longer counted (its figures freeze),
 * while it keeps its weight, so no other variant's units move. Set by the guardrail (with the metric and the test's
 * figures that stopped it) or by a marketer by hand (`by: "marketer"`); removing it switches the variant back on.
 */
export const VariantStopSchema = z.strictObject({
  by: z.enum(["guardrail", "marketer"]),
  at: isoTime,
  /** The guardrail metric it was worse on. */
  metric: z.optional(z.enum(GUARDRAIL_METRICS)),
  /** For a revenue metric: the currency it was worse in. */
  currency: z.optional(currencyCode),
  /** The sequential test's always-valid p-value and confidence sequence of the difference against the baseline. */
  pValue: z.optional(z.number().check(z.gte(0), z.lte(1))),
  // An array of two rather than a tuple: the type must survive RPC's structured clone typing as the config does.
  interval: z.optional(z.array(z.number()).check(z.minLength(2), z.maxLength(2))),
});
export type VariantStop = z.infer<typeof VariantStopSchema>;

export const VariantSchema = z.strictObject({
  id: slug,
  weight: z.number().check(z.gte(0), z.lte(100_000)),
  /** What this variant shows; left out on the control. */
  message: z.optional(MessageSchema),
  /** The holdout of an experiment: it sees the placement's default (or nothing), to measure the message's effect. */
  control: z.optional(z.boolean()),
  stopped: z.optional(VariantStopSchema),
});
export type Variant = z.infer<typeof VariantSchema>;

const segmentList = z.array(slug).check(z.minLength(1), z.maxLength(50));

export const AudienceSchema = z.strictObject({
  segments: z.optional(z.strictObject({ any: z.optional(segmentList), all: z.optional(segmentList), none: z.optional(segmentList) })),
  countries: z.optional(
    z.array(z.string().check(z.regex(COUNTRY_CODE, COUNTRY_RULE))).check(z.minLength(1), z.maxLength(250)),
  ),
  /**
   * Store paths: `*` matches any characters, `/` included, e.g. "/products/*". Matched without backtracking
   * (core/path-pattern.ts); the limits keep the work per request small whatever path a visitor sends.
   */
  paths: z.optional(
    z
      .array(
        z.string().check(
          z.regex(/^\/[^\s]*$/, "use a path starting with '/', '*' as wildcard"),
          z.maxLength(MAX_PATH_PATTERN_LENGTH, `use at most ${MAX_PATH_PATTERN_LENGTH} characters in a path pattern`),
          z.refine((pattern) => wildcardCount(pattern) <= MAX_PATH_WILDCARDS, `use at most ${MAX_PATH_WILDCARDS} '*' in a path pattern`),
        ),
      )
      .check(z.minLength(1), z.maxLength(MAX_PATH_PATTERNS, `list at most ${MAX_PATH_PATTERNS} path patterns`)),
  ),
  visitor: z.optional(z.enum(["new", "returning"])),
  devices: z.optional(z.array(z.enum(DEVICES)).check(z.minLength(1))),
});
export type Audience = z.infer<typeof AudienceSchema>;

export const CampaignSchema = z
  .strictObject({
    id: slug,
    name: z.optional(z.string().check(z.maxLength(120))),
    placement: z.enum(PLACEMENTS),
    /** Higher wins between campaigns at the same segment precedence; default 0. */
    priority: z.optional(z.int().check(z.gte(-1000), z.lte(1000))),
    enabled: z.optional(z.boolean()),
    schedule: z.optional(
      z.strictObject({ start: z.optional(isoTime), end: z.optional(isoTime) }).check(
        z.refine((s) => !s.start || !s.end || Date.parse(s.start) < Date.parse(s.end), {
          message: "end must be after start",
          path: ["end"],
        }),
      ),
    ),
    audience: z.optional(AudienceSchema),
    variants: z.array(VariantSchema).check(z.minLength(1), z.maxLength(10)),
    /** A campaign with two or more weighted variants is an experiment: exposures and conversions are counted. */
    experiment: z.optional(
      z.strictObject({
        /** Change it to restart the experiment: everyone is assigned afresh and counting starts over. */
        seed: z.optional(slug),
        /** How long after a unit's first exposure its conversions count; default 72. */
        conversionWindowHours: z.optional(z.int().check(z.gte(1), z.lte(MAX_CONVERSION_WINDOW_HOURS))),
        /**
         * The units per variant the test is expected to reach: where its sequential verdict's interval is tuned to be
         * narrowest (src/core/sequential.ts). Not a stopping rule; default 10,000.
         */
        expectedUnitsPerVariant: z.optional(z.int().check(z.gte(100), z.lte(100_000_000))),
        /**
         * Metrics a variant must not be worse on than the baseline: when the sequential test says it is, the guardrail
         * switches the variant off (`stopped`) in a new version. Checked every GUARDRAIL_CHECK_MS while the campaign runs.
         */
        guardrails: z.optional(
          z.array(z.enum(GUARDRAIL_METRICS)).check(
            z.minLength(1, "name at least one guardrail metric, or leave guardrails out"),
            z.refine((metrics) => new Set(metrics).size === metrics.length, "list each guardrail metric once"),
          ),
        ),
        /**
         * The membership covariate the results adjust for with CUPED (src/core/cuped.ts), stored with each unit at its
         * first exposure; default "net_revenue_365d", which `valuebar segments compute` writes.
         */
        covariate: z.optional(slug),
      }),
    ),
  })
  .check(
    z.superRefine((campaign, ctx) => {
      const seen = new Set<string>();
      let controls = 0;
      campaign.variants.forEach((variant, i) => {
        if (seen.has(variant.id)) {
          ctx.addIssue({ code: "custom", path: ["variants", i, "id"], message: `duplicate variant id "${variant.id}"` });
        }
        seen.add(variant.id);
        if (variant.control) {
          controls++;
          if (variant.message) {
            ctx.addIssue({ code: "custom", path: ["variants", i, "message"], message: "a control shows the placement's default: leave message out" });
          }
          if (controls > 1) ctx.addIssue({ code: "custom", path: ["variants", i, "control"], message: "an experiment has at most one control" });
        } else if (!variant.message) {
          ctx.addIssue({ code: "custom", path: ["variants", i, "message"], message: 'a variant needs a message, or "control": true' });
        }
      });
      if (campaign.variants.reduce((sum, v) => sum + v.weight, 0) <= 0) {
        ctx.addIssue({ code: "custom", path: ["variants"], message: "at least one variant needs a weight above 0" });
      }
      // The baseline (experiment.ts's baselineVariant) is what a stopped variant's units see and what results compare
      // against, so it keeps running: then at least one variant always does.
      const baseline = campaign.variants.find((v) => v.control && v.weight > 0) ?? campaign.variants.find((v) => v.weight > 0);
      campaign.variants.forEach((variant, i) => {
        const stop = variant.stopped;
        if (!stop) return;
        if (variant.control) {
          ctx.addIssue({ code: "custom", path: ["variants", i, "stopped"], message: "a control cannot be stopped" });
        } else if (variant === baseline) {
          ctx.addIssue({ code: "custom", path: ["variants", i, "stopped"], message: "the baseline (with no control, the first weighted variant) cannot be stopped: one variant keeps running" });
        }
        if (stop.by === "guardrail" && stop.metric === undefined) {
          ctx.addIssue({ code: "custom", path: ["variants", i, "stopped", "metric"], message: "name the guardrail metric it was worse on" });
        }
      });
    }),
  );
export type Campaign = z.infer<typeof CampaignSchema>;

const defaultMessage = z.optional(z.nullable(MessageSchema));

export const ConfigSchema = z
  .strictObject({
    /** Segments in precedence order: a visitor in several gets the campaign of the first one listed. */
    segments: z._default(z.array(slug).check(z.maxLength(100)), []),
    /** What a listed segment means, for the people who edit the config (the editor shows it); shoppers never see it. */
    segmentDescriptions: z.optional(
      z.record(
        slug,
        z.string().check(
          z.trim(),
          z.minLength(1, "describe the segment, or leave its description out"),
          z.maxLength(MAX_SEGMENT_DESCRIPTION, `use at most ${MAX_SEGMENT_DESCRIPTION} characters`),
        ),
      ),
    ),
    campaigns: z._default(z.array(CampaignSchema).check(z.maxLength(200)), []),
    /** What a placement shows when no campaign matches; leave a placement out (or null) to show nothing. */
    defaults: z._default(z.strictObject({ topbar: defaultMessage, shipping: defaultMessage, returns: defaultMessage }), {}),
    /**
     * The largest order value experiments count, in minor units per currency (e.g. {"EUR": 500000}: €5,000.00);
     * a bigger order counts at the cap. Currencies not listed: DEFAULT_ORDER_VALUE_CAP (1,000,000 minor units).
     */
    orderValueCap: z.optional(z.record(currencyCode, z.int().check(z.gte(1), z.lte(1_000_000_000)))),
  })
  .check(
    z.superRefine((config, ctx) => {
      const known = new Set<string>();
      config.segments.forEach((segment, i) => {
        if (known.has(segment)) ctx.addIssue({ code: "custom", path: ["segments", i], message: `duplicate segment "${segment}"` });
        known.add(segment);
      });
      for (const segment of Object.keys(config.segmentDescriptions ?? {})) {
        if (!known.has(segment)) {
          ctx.addIssue({ code: "custom", path: ["segmentDescriptions", segment], message: `segment "${segment}" is not listed in "segments": list it, or leave its description out` });
        }
      }
      const ids = new Set<string>();
      config.campaigns.forEach((campaign, i) => {
        if (ids.has(campaign.id)) {
          ctx.addIssue({ code: "custom", path: ["campaigns", i, "id"], message: `duplicate campaign id "${campaign.id}"` });
        }
        ids.add(campaign.id);
        const rule = campaign.audience?.segments;
        for (const kind of ["any", "all", "none"] as const) {
          rule?.[kind]?.forEach((segment, j) => {
            if (!known.has(segment)) {
              ctx.addIssue({
                code: "custom",
                path: ["campaigns", i, "audience", "segments", kind, j],
                message: `segment "${segment}" is not listed in "segments"`,
              });
            }
          });
        }
      });
    }),
  );
/** A config as accepted (defaults filled in). */
export type Config = z.output<typeof ConfigSchema>;
/** A config as a marketer or the API writes it. */
export type ConfigInput = z.input<typeof ConfigSchema>;

export interface FieldIssue {
  path: string;
  message: string;
}

/** zod issues as `{path: "campaigns.0.variants.1.weight", message}`, never zod's raw output. */
export function toFieldIssues(error: z.core.$ZodError): FieldIssue[] {
  return error.issues.map((issue) => ({
    path: issue.path.map(String).join(".") || "(root)",
    // zod reports a bad record key as "Invalid key in record"; the key's own message says what to do.
    message: issue.code === "invalid_key" ? (issue.issues[0]?.message ?? issue.message) : issue.message,
  }));
}

export type ParseResult = { ok: true; config: Config } | { ok: false; issues: FieldIssue[] };

/** Validates a config document; on failure every issue with its field path. */
export function parseConfig(input: unknown): ParseResult {
  const result = ConfigSchema.safeParse(input);
  return result.success ? { ok: true, config: result.data } : { ok: false, issues: toFieldIssues(result.error) };
}

/** The config schema as JSON Schema (draft 2020-12), for editors and the `/v1/schema/config.json` route. */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(ConfigSchema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
}
