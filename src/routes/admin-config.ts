/**
 * @module /admin/sites/{site}/config: the live config, its versions and rollback.
 * Every accepted PUT is a new version; a rejected one leaves the live config untouched.
 */
import { Hono } from "hono";
import { parseConfig } from "../core/config-schema";
import type { AdminEnv } from "../http/auth";
import { allow } from "../http/auth";
import { readJson } from "../http/body";
import { ApiError } from "../http/errors";
import { forgetLiveConfig } from "../storage/live-config";
import { siteAdmin, validSite } from "./site";

/** Largest config document accepted. */
export const MAX_CONFIG_BYTES = 256 * 1024;

function noteOf(c: { req: { header(name: string): string | undefined; query(name: string): string | undefined } }): string {
  return (c.req.header("x-valuebar-note") ?? c.req.query("note") ?? "").slice(0, 500);
}

export const adminConfigRoutes = new Hono<AdminEnv>()
  .get("/admin/sites/:site/config", allow("config:read"), async (c) => {
    const live = await siteAdmin(c.env, validSite(c.req.param("site"))).live();
    if (!live) throw new ApiError("NOT_FOUND", `site "${c.req.param("site")}" has no config yet`);
    c.header("x-valuebar-version", String(live.version));
    return c.json(live.config);
  })
  .put("/admin/sites/:site/config", allow("config:write"), async (c) => {
    const site = validSite(c.req.param("site"));
    const body = await readJson(c.req.raw, MAX_CONFIG_BYTES);
    const parsed = parseConfig(body);
    if (!parsed.ok) throw new ApiError("INVALID_CONFIG", `the config has ${parsed.issues.length} problem(s); nothing was published`, parsed.issues);
    const version = await siteAdmin(c.env, site).publish(site, parsed.config, noteOf(c), c.get("actor"));
    forgetLiveConfig(site);
    return c.json(version, 200);
  })
  .get("/admin/sites/:site/config/versions", allow("config:read"), async (c) => {
    const versions = await siteAdmin(c.env, validSite(c.req.param("site"))).versions();
    if (versions.length === 0) throw new ApiError("NOT_FOUND", `site "${c.req.param("site")}" has no config yet`);
    return c.json({ versions });
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
    forgetLiveConfig(site);
    return c.json(result);
  });
