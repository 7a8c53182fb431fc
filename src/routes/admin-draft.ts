/**
 * @module The editor's working copy and its "view as" preview:
 * - `GET`/`PUT /admin/sites/{site}/draft`: a draft config, validated like a publish; a rejected one leaves the
 *   saved draft as it was. A PUT with `x-valuebar-draft-base` (the `savedAt` of the draft it replaces, or "none")
 *   is refused with 409 when the saved draft is another one. `DELETE` discards it.
 * - `POST /admin/sites/{site}/draft/publish`: publishes the draft as a new version (with a note) and clears it.
 * - `POST /admin/sites/{site}/draft/preview-link`: a signed link that shows the draft on the store (editors only).
 * - `POST /admin/sites/{site}/preview`: the decision the Worker would make for a visitor described in the body
 *   (segments, country, device, currency, ...), on the draft, a config sent along, or the live config: the very
 *   function the hot path runs.
 */
import { Hono } from "hono";
import * as z from "zod/mini";
import { decide } from "../core/decide";
import type { Config } from "../core/config-schema";
import { parseConfig, toFieldIssues } from "../core/config-schema";
import { COUNTRY_CODE, COUNTRY_RULE, CURRENCY_CODE, CURRENCY_RULE, DEVICES } from "../core/shared";
import type { AdminEnv } from "../http/auth";
import { allow } from "../http/auth";
import { readJson } from "../http/body";
import { ApiError } from "../http/errors";
import { MAX_PREVIEW_MS, previewToken } from "../platform/preview-token";
import { PREVIEW_PARAM } from "../service/preview";
import { MAX_CONFIG_BYTES, publishedAnswer } from "./admin-config";
import { siteAdmin, validSite } from "./site";

/** The visitor a preview is for. Everything is optional: an anonymous desktop visitor by default. */
const ViewAs = z.strictObject({
  segments: z._default(z.array(z.string().check(z.maxLength(64))).check(z.maxLength(50)), []),
  country: z.optional(z.nullable(z.string().check(z.regex(COUNTRY_CODE, COUNTRY_RULE)))),
  device: z._default(z.enum(DEVICES), "desktop"),
  currency: z.optional(z.nullable(z.string().check(z.regex(CURRENCY_CODE, CURRENCY_RULE)))),
  locale: z._default(z.string().check(z.maxLength(35)), "en-US"),
  path: z._default(z.string().check(z.regex(/^\//, "use a path starting with '/'")), "/"),
  returning: z._default(z.boolean(), true),
  /** The unit variants are picked for: change it to see another variant of a test. */
  unit: z._default(z.string().check(z.minLength(1), z.maxLength(128)), "preview-visitor"),
  signedIn: z._default(z.boolean(), false),
});

const PreviewRequest = z.strictObject({
  /** A config to preview instead of the saved draft (the editor's unsaved state). */
  config: z.optional(z.unknown()),
  /** Preview the live config even when there is a draft. */
  live: z.optional(z.boolean()),
  as: z._default(ViewAs, () => ViewAs.parse({})),
});

function validConfig(body: unknown, what: string): Config {
  const parsed = parseConfig(body);
  if (!parsed.ok) throw new ApiError("INVALID_CONFIG", `the ${what} has ${parsed.issues.length} problem(s); nothing was saved`, parsed.issues);
  return parsed.config;
}

export const adminDraftRoutes = new Hono<AdminEnv>()
  .get("/admin/sites/:site/draft", allow("config:read"), async (c) => {
    const draft = await siteAdmin(c.env, validSite(c.req.param("site"))).draft();
    if (!draft) throw new ApiError("NOT_FOUND", "there is no draft");
    return c.json(draft);
  })
  .put("/admin/sites/:site/draft", allow("config:write"), async (c) => {
    const site = validSite(c.req.param("site"));
    const config = validConfig(await readJson(c.req.raw, MAX_CONFIG_BYTES), "draft");
    // The editor saves as the marketer types, so it says which draft its copy started from: a colleague's draft
    // saved meanwhile is not silently written over.
    const base = c.req.header("x-valuebar-draft-base");
    const saved = await siteAdmin(c.env, site).saveDraft(config, c.get("actor"), base === undefined ? undefined : base === "none" ? null : base);
    if (saved === "changed") throw new ApiError("CONFLICT", "someone else saved a draft since yours was loaded; nothing was saved");
    return c.json(saved);
  })
  .delete("/admin/sites/:site/draft", allow("config:write"), async (c) => {
    return c.json({ deleted: await siteAdmin(c.env, validSite(c.req.param("site"))).discardDraft(c.get("actor")) });
  })
  .post("/admin/sites/:site/draft/publish", allow("config:write"), async (c) => {
    const site = validSite(c.req.param("site"));
    const body = (await readJson(c.req.raw, 4096)) as { note?: unknown; savedAt?: unknown } | null;
    const note = typeof body?.note === "string" ? body.note.slice(0, 500) : "";
    const savedAt = typeof body?.savedAt === "string" ? body.savedAt : undefined;
    const version = await siteAdmin(c.env, site).publishDraft(site, note, c.get("actor"), savedAt);
    if (!version) throw new ApiError("NOT_FOUND", "there is no draft to publish");
    if (version === "changed") throw new ApiError("CONFLICT", "the draft changed since you saved it (someone else saved theirs); nothing was published");
    return publishedAnswer(c, site, version);
  })
  // Making a link is a write in effect (it shows the draft to whoever holds it), so it needs config:write.
  .post("/admin/sites/:site/draft/preview-link", allow("config:write"), async (c) => {
    const site = validSite(c.req.param("site"));
    if (!(await siteAdmin(c.env, site).draft())) throw new ApiError("NOT_FOUND", "there is no draft to preview: save one first");
    const body = (await readJson(c.req.raw, 1024)) as { minutes?: unknown } | null;
    const minutes = typeof body?.minutes === "number" && body.minutes >= 1 && body.minutes * 60_000 <= MAX_PREVIEW_MS ? Math.round(body.minutes) : 60;
    const expiresAt = Date.now() + minutes * 60_000;
    const token = await previewToken(c.env.ADMIN_TOKEN, site, expiresAt);
    return c.json({ token, param: `${PREVIEW_PARAM}=${token}`, expiresAt: new Date(Math.floor(expiresAt / 1000) * 1000).toISOString() });
  })
  .post("/admin/sites/:site/preview", allow("config:read"), async (c) => {
    const site = validSite(c.req.param("site"));
    const parsed = PreviewRequest.safeParse(await readJson(c.req.raw, MAX_CONFIG_BYTES));
    if (!parsed.success) throw new ApiError("BAD_REQUEST", "the preview request is invalid", toFieldIssues(parsed.error));
    const { config: sent, live: wantLive, as } = parsed.data;
    const admin = siteAdmin(c.env, site);
    let config: Config | undefined;
    let source: "sent" | "draft" | "live";
    if (sent !== undefined) {
      config = validConfig(sent, "config");
      source = "sent";
    } else {
      const draft = wantLive ? null : await admin.draft();
      config = draft?.config ?? (await admin.live())?.config;
      source = draft ? "draft" : "live";
    }
    if (!config) throw new ApiError("NOT_FOUND", `site "${site}" has no config yet`);
    const context = {
      visitorId: as.unit,
      customerId: as.signedIn ? as.unit : null,
      country: as.country ?? null,
      path: as.path,
      returning: as.returning,
      device: as.device,
      currency: as.currency ?? null,
      locale: as.locale,
      consent: true,
    };
    return c.json({ source, decision: decide(config, { segments: as.segments }, context, Date.now()) });
  });
