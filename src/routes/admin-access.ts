/**
 * @module /admin/sites/{site}/tokens and /admin/sites/{site}/audit: the owner issues and revokes a site's named
 * tokens (each with a role); anyone who may read the site sees its audit log (who did what, when).
 */
import { Hono } from "hono";
import * as z from "zod/mini";
import { toFieldIssues } from "../core/config-schema";
import type { AdminEnv } from "../http/auth";
import { allow, ROLES } from "../http/auth";
import { readJson } from "../http/body";
import { randomHex, sha256Hex } from "../http/crypto";
import { ApiError } from "../http/errors";
import { tokenKey } from "../storage/keys";
import { siteAdmin, validSite } from "./site";

const TokenRequest = z.strictObject({
  name: z.string().check(
    z.regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "use 1-64 lowercase letters, digits, '.', '-' or '_', such as ana.marketing"),
    z.refine((name) => name !== "admin", "\"admin\" is the owner's name in the history; choose another"),
  ),
  role: z.enum(ROLES),
});

/** A fresh token: "vb_" and 256 random bits in hex. Shown once; only its SHA-256 is kept. */
function newToken(): string {
  return `vb_${randomHex(32)}`;
}

export const adminAccessRoutes = new Hono<AdminEnv>()
  .get("/admin/sites/:site/tokens", allow("tokens"), async (c) => {
    return c.json({ tokens: await siteAdmin(c.env, validSite(c.req.param("site"))).tokens() });
  })
  .post("/admin/sites/:site/tokens", allow("tokens"), async (c) => {
    const site = validSite(c.req.param("site"));
    const parsed = TokenRequest.safeParse(await readJson(c.req.raw, 4096));
    if (!parsed.success) throw new ApiError("BAD_REQUEST", "the token request is invalid", toFieldIssues(parsed.error));
    const { name, role } = parsed.data;
    const token = newToken();
    const hash = await sha256Hex(token);
    if (!(await siteAdmin(c.env, site).createToken(name, role, hash, c.get("actor")))) {
      throw new ApiError("CONFLICT", `site "${site}" already has a token named "${name}"; revoke it first`, [{ path: "name", message: "already taken" }]);
    }
    // The index that lets the Worker refuse unknown tokens without waking (or creating) a site's object.
    await c.env.KV.put(tokenKey(hash), site);
    return c.json({ name, role, token }, 201);
  })
  .delete("/admin/sites/:site/tokens/:name", allow("tokens"), async (c) => {
    const site = validSite(c.req.param("site"));
    const name = c.req.param("name");
    const hash = await siteAdmin(c.env, site).deleteToken(name, c.get("actor"));
    if (!hash) throw new ApiError("NOT_FOUND", `no token named "${name}"`);
    await c.env.KV.delete(tokenKey(hash));
    return c.json({ deleted: true });
  })
  .get("/admin/sites/:site/audit", allow("audit:read"), async (c) => {
    const limit = Math.min(500, Math.max(1, Number(c.req.query("limit") ?? "100") || 100));
    return c.json({ entries: await siteAdmin(c.env, validSite(c.req.param("site"))).auditLog(limit) });
  });
