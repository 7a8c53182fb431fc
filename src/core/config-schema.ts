/**
 * @module The site config a marketer edits: which message each segment sees in each placement.
 * Single source of truth: the TypeScript types come from `z.infer`, the published JSON Schema from
 * `z.toJSONSchema`. Pure: imports nothing from Hono or the Workers runtime.
 */
import { z } from "zod";

export const PLACEMENTS = ["topbar", "shipping", "returns"] as const;
export type Placement = (typeof PLACEMENTS)[number];

export const DEVICES = ["mobile", "tablet", "desktop"] as const;
export type Device = (typeof DEVICES)[number];

const slug = z
  .string()
  .regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "use 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit");

const isoTime = z.iso.datetime({ offset: true, message: "use an ISO 8601 time such as 2026-12-01T00:00:00Z" });

const hexColour = z
  .string()
  .regex(/^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})$/, "use a hex colour such as #1a2b3c");

const currencyCode = z.string().regex(/^[A-Z]{3}$/, "use an ISO 4217 currency code such as EUR");

/** Placeholders a message text may use, and where they are allowed. */
const PLACEHOLDER = /\{\{\s*([a-z_]+)\s*\}\}/g;

/**
 * A link is an absolute http(s) URL or a path on the store ("/pages/shipping"); nothing else,
 * so `javascript:` or `data:` can never reach a shopper.
 */
export function isSafeLink(url: string): boolean {
  // Browsers drop tabs and newlines from URLs ("/\t/evil.com" is "//evil.com"): no controls, spaces or backslashes.
  if (/[\u0000-\u0020\u007f\\]/.test(url)) return false;
  if (url.startsWith("/")) return !url.startsWith("//") && !url.includes("\\");
  return /^https?:\/\/[^\s/$.?#][^\s]*$/i.test(url);
}

const link = z.object({
  url: z
    .string()
    .max(2048)
    .refine(isSafeLink, "use an http(s) URL or a path starting with '/'"),
  label: z.string().min(1).max(60).optional(),
});

const style = z
  .object({
    background: hexColour.optional(),
    color: hexColour.optional(),
    linkColor: hexColour.optional(),
    align: z.enum(["left", "center", "right"]).optional(),
    size: z.enum(["small", "medium", "large"]).optional(),
  })
  .strict();

export const MessageSchema = z
  .object({
    text: z.string().trim().min(1, "a message needs text").max(300),
    link: link.optional(),
    style: style.optional(),
    dismissible: z.boolean().optional(),
    /** Money amounts in minor units (cents) per currency, shown where the text says {{threshold}}. */
    threshold: z.record(currencyCode, z.number().int().min(0).max(100_000_000)).optional(),
    /** Free-shipping progress from the cart total: `text` may say {{remaining}}; `reached` once it is met. */
    progress: z
      .object({
        text: z.string().trim().min(1).max(300),
        reached: z.string().trim().min(1).max(300).optional(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((message, ctx) => {
    const check = (text: string, allowed: string[], path: (string | number)[]) => {
      for (const match of text.matchAll(PLACEHOLDER)) {
        const name = match[1] ?? "";
        if (!allowed.includes(name)) {
          ctx.addIssue({
            code: "custom",
            path,
            message: `unknown placeholder {{${name}}}; allowed here: ${allowed.map((a) => `{{${a}}}`).join(", ") || "none"}`,
          });
        }
      }
    };
    check(message.text, ["threshold"], ["text"]);
    if (message.progress) {
      check(message.progress.text, ["remaining", "threshold"], ["progress", "text"]);
      if (message.progress.reached) check(message.progress.reached, ["threshold"], ["progress", "reached"]);
    }
    const usesThreshold = [message.text, message.progress?.text ?? "", message.progress?.reached ?? ""].some((t) =>
      /\{\{\s*threshold\s*\}\}/.test(t),
    );
    const hasThreshold = message.threshold !== undefined && Object.keys(message.threshold).length > 0;
    if (message.threshold !== undefined && !hasThreshold) {
      ctx.addIssue({ code: "custom", path: ["threshold"], message: "list at least one currency, or leave threshold out" });
      return;
    }
    if ((usesThreshold || message.progress) && !hasThreshold) {
      ctx.addIssue({
        code: "custom",
        path: ["threshold"],
        message: "add a threshold per currency (in minor units, e.g. {\"EUR\": 6000}) for {{threshold}} or progress",
      });
    }
  });
export type Message = z.infer<typeof MessageSchema>;

export const VariantSchema = z
  .object({
    id: slug,
    weight: z.number().min(0).max(100_000),
    message: MessageSchema,
  })
  .strict();
export type Variant = z.infer<typeof VariantSchema>;

const segmentList = z.array(slug).min(1).max(50);

export const AudienceSchema = z
  .object({
    segments: z
      .object({ any: segmentList.optional(), all: segmentList.optional(), none: segmentList.optional() })
      .strict()
      .optional(),
    countries: z
      .array(z.string().regex(/^[A-Z]{2}$/, "use an ISO 3166-1 alpha-2 code such as US"))
      .min(1)
      .max(250)
      .optional(),
    /** Store paths: `*` matches any characters, e.g. "/products/*"; a trailing "/**" matches a whole subtree. */
    paths: z
      .array(z.string().regex(/^\/[^\s]*$/, "use a path starting with '/', '*' as wildcard"))
      .min(1)
      .max(50)
      .optional(),
    visitor: z.enum(["new", "returning"]).optional(),
    devices: z.array(z.enum(DEVICES)).min(1).optional(),
  })
  .strict();
export type Audience = z.infer<typeof AudienceSchema>;

export const CampaignSchema = z
  .object({
    id: slug,
    name: z.string().max(120).optional(),
    placement: z.enum(PLACEMENTS),
    /** Higher wins between campaigns at the same segment precedence; default 0. */
    priority: z.number().int().min(-1000).max(1000).optional(),
    enabled: z.boolean().optional(),
    schedule: z
      .object({ start: isoTime.optional(), end: isoTime.optional() })
      .strict()
      .refine((s) => !s.start || !s.end || Date.parse(s.start) < Date.parse(s.end), {
        message: "end must be after start",
        path: ["end"],
      })
      .optional(),
    audience: AudienceSchema.optional(),
    variants: z.array(VariantSchema).min(1).max(10),
  })
  .strict()
  .superRefine((campaign, ctx) => {
    const seen = new Set<string>();
    campaign.variants.forEach((variant, i) => {
      if (seen.has(variant.id)) {
        ctx.addIssue({ code: "custom", path: ["variants", i, "id"], message: `duplicate variant id "${variant.id}"` });
      }
      seen.add(variant.id);
    });
    if (campaign.variants.reduce((sum, v) => sum + v.weight, 0) <= 0) {
      ctx.addIssue({ code: "custom", path: ["variants"], message: "at least one variant needs a weight above 0" });
    }
  });
export type Campaign = z.infer<typeof CampaignSchema>;

export const ConfigSchema = z
  .object({
    /** Segments in precedence order: a visitor in several gets the campaign of the first one listed. */
    segments: z.array(slug).max(100).default([]),
    campaigns: z.array(CampaignSchema).max(200).default([]),
    /** What a placement shows when no campaign matches; leave a placement out (or null) to show nothing. */
    defaults: z
      .object({
        topbar: MessageSchema.nullable().optional(),
        shipping: MessageSchema.nullable().optional(),
        returns: MessageSchema.nullable().optional(),
      })
      .strict()
      .default({}),
  })
  .strict()
  .superRefine((config, ctx) => {
    const known = new Set<string>();
    config.segments.forEach((segment, i) => {
      if (known.has(segment)) ctx.addIssue({ code: "custom", path: ["segments", i], message: `duplicate segment "${segment}"` });
      known.add(segment);
    });
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
  });
/** A config as accepted (defaults filled in). */
export type Config = z.output<typeof ConfigSchema>;
/** A config as a marketer or the API writes it. */
export type ConfigInput = z.input<typeof ConfigSchema>;

export interface FieldIssue {
  path: string;
  message: string;
}

/** zod issues as `{path: "campaigns.0.variants.1.weight", message}`, never zod's raw output. */
export function toFieldIssues(error: z.ZodError): FieldIssue[] {
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
