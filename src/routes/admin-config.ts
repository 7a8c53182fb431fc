/**
 * @module /admin/sites/{site}/config: the live config, its versions (paged, newest first; one with its config)
 * and rollback.
 * Every accepted PUT is a new version; a rejected one leaves the live config untouched. When KV fails during a
 * publish, the site's object keeps the new version live and retries KV (see SiteAdmin.publishNow): the answer is
 * 202 with `storefront: "pending"`. When the object itself fails, 503: the publish may or may not have happened.
 */
import type { Context } from "hono";
import { Hono } from "hono";
import { parseConfig } from "../core/config-schema";
import type { AdminEnv } from "../http/auth";
import { allow } from "../http/auth";
import { readJson } from "../http/body";
import { ApiError } from "../http/errors";
import { integerParam } from "../http/query";
import { forgetLiveConfig } from "../storage/live-config";
import type { Published, StoredVersion } from "../core/config-history";
import { siteAdmin, validSite } from "./site";

/** Largest config document accepted. */
export const MAX_CONFIG_BYTES = 256 * 1024;
/** Versions per page of the history (`?limit=`): the default, and the most. */
const DEFAULT_VERSIONS_PAGE = 50;
const MAX_VERSIONS_PAGE = 200;

function noteOf(c: { req: { header(name: string): string | undefined; query(name: string): string | undefined } }): string {
  return (c.req.header("x-valuebar-note") ?? c.req.query("note") ?? "").slice(0, 500);
}

export const adminConfigRoutes = new Hono<AdminEnv>()
  .get("/admin/sites/:site/config", allow("config:read"), async (c) => {
    const status = await siteAdmin(c.env, validSite(c.req.param("site"))).liveStatus();
    if (!status) throw new ApiError("NOT_FOUND", `site "${c.req.param("site")}" has no config yet`);
    c.header("x-valuebar-version", String(status.live.version));
    // KV has not taken this version yet (the object retries it): the stores may still get the one before.
    if (status.storefrontPending) c.header("x-valuebar-storefront", "pending");
    return c.json(status.live.config);
  })
  .put("/admin/sites/:site/config", allow("config:write"), async (c) => {
    const site = validSite(c.req.param("site"));
    const body = await readJson(c.req.raw, MAX_CONFIG_BYTES);
    const parsed = parseConfig(body);
    if (!parsed.ok) throw new ApiError("INVALID_CONFIG", `the config has ${parsed.issues.length} problem(s); nothing was published`, parsed.issues);
    return publishedAnswer(c, site, await siteAdmin(c.env, site).publish(site, parsed.config, noteOf(c), c.get("actor")));
  })
  .get("/admin/sites/:site/config/versions", allow("config:read"), async (c) => {
    const site = validSite(c.req.param("site"));
    const limit = integerParam(c.req.query("limit"), "limit", { min: 1, max: MAX_VERSIONS_PAGE }, DEFAULT_VERSIONS_PAGE);
    const before = integerParam(c.req.query("before"), "before", { min: 1, max: Number.MAX_SAFE_INTEGER });
    const page = await siteAdmin(c.env, site).versions(limit, before);
    if (page.versions.length === 0 && before === undefined) throw new ApiError("NOT_FOUND", `site "${site}" has no config yet`);
    return c.json(page);
  })
  // One version with its config: the editor shows what a rollback to it would change before making it live.
  .get("/admin/sites/:site/config/versions/:version", allow("config:read"), async (c) => {
    const site = validSite(c.req.param("site"));
    const version = c.req.param("version");
    const found = /^[1-9]\d{0,14}$/.test(version) ? await siteAdmin(c.env, site).version(Number(version)) : null;
    if (!found) throw new ApiError("NOT_FOUND", `site "${site}" has no version ${version.slice(0, 20)}`);
    const answer: StoredVersion = { version: found.version, createdAt: found.publishedAt, config: found.config };
    return c.json(answer);
  })
  .post("/admin/sites/:site/config/rollback", allow("config:write"), async (c) => {
    const site = validSite(c.req.param("site"));
    const body = await readJson(c.req.raw, 4096);
    const version = (body as { version?: unknown } | null)?.version;
    if (typeof version !== "number" || !Number.isInteger(version) || version < 1) {
      throw new ApiError("BAD_REQUEST", "send {\"version\": N} with the version to make live", [{ path: "version", message: "a positive integer is required" }]);
    }
    const note = typeof (body as { note?: unknown }).note === "string" ? String((body as { note: string }).note).slice(0, 500) : "";
    const result = await siteAdmin(c.env, site).rollback(site, version, note, c.get("actor"));
    if (!result) throw new ApiError("NOT_FOUND", `site "${site}" has no version ${version}`);
    return publishedAnswer(c, site, result);
  });

/**
 * The answer to a publish or rollback: 200 when the stores get the new version, 202 when it is live in the
 * site's history but KV has not taken it yet (the site's object retries it; until then the stores keep the
 * version before, whole).
 */
export function publishedAnswer(c: Context<AdminEnv>, site: string, published: Published): Response {
  forgetLiveConfig(site);
  return c.json(published, published.storefront === "pending" ? 202 : 200);
}
