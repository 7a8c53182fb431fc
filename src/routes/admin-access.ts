/**
 * @module /admin/sites/{site}/tokens and /admin/sites/{site}/audit: the owner issues and revokes a site's named
 * tokens (each with a role); anyone who may read the site sees its audit log (who did what, when).
 */
import { Hono } from "hono";
import * as z from "zod/mini";
import { toFieldIssues } from "../core/config-schema";
import { ROLES } from "../core/access";
import type { AdminEnv } from "../http/auth";
import { allow } from "../http/auth";
import { readJson } from "../http/body";
import { ApiError, storageFailure } from "../http/errors";
import { integerParam } from "../http/query";
import { randomHex, sha256Hex } from "../platform/crypto";
import { tokenKey } from "../storage/keys";
import { siteAdmin, validSite } from "./site";

const TokenRequest = z.strictObject({
  name: z.string().check(
    z.regex(/^[a-z0-9][a-z0-9_.-]{0,63}$/, "use 1-64 lowercase letters, digits, '.', '-' or '_', such as ana.marketing"),
    z.refine((name) => name !== "admin", "\"admin\" is the owner's name in the history; choose another"),
  ),
  role: z.enum(ROLES),
});

/** The most audit lines one request gets (`?limit=`). */
const MAX_AUDIT_PAGE = 500;

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
    // The KV index (which lets the Worker refuse unknown tokens without waking, or creating, a site's object)
    // goes first, the object second: the object decides, so an index entry without a token in the object admits
    // no one. KV fails: no token exists, 503. The object fails: the entry is left over, harmless, 503. The object
    // fails after it stored the token: the token was never shown, so no one holds it; it is listed, and the owner
    // revokes it (its name stays taken until then).
    try {
      await c.env.KV.put(tokenKey(hash), site);
    } catch (error) {
      throw storageFailure(error, "issuing the token: none was issued");
    }
    if (!(await siteAdmin(c.env, site).createToken(name, role, hash, c.get("actor")))) {
      // The entry just written names no token; removing it is tidying, and harmless if it fails.
      await c.env.KV.delete(tokenKey(hash)).catch(() => {});
      throw new ApiError("CONFLICT", `site "${site}" already has a token named "${name}"; revoke it first`, [{ path: "name", message: "already taken" }]);
    }
    return c.json({ name, role, token }, 201);
  })
  .delete("/admin/sites/:site/tokens/:name", allow("tokens"), async (c) => {
    const site = validSite(c.req.param("site"));
    const name = c.req.param("name");
    // The object first: the token stops working the moment it is gone there, whatever KV does next.
    const hash = await siteAdmin(c.env, site).deleteToken(name, c.get("actor"));
    if (!hash) throw new ApiError("NOT_FOUND", `no token named "${name}"`);
    // Tidying the index is best effort: an entry left behind only makes the revoked token's holder wake the
    // object, which answers 401.
    await c.env.KV.delete(tokenKey(hash)).catch((error: unknown) => console.error(`valuebar: the index entry of a revoked token of ${site} stays`, error));
    return c.json({ deleted: true });
  })
  .get("/admin/sites/:site/audit", allow("audit:read"), async (c) => {
    const site = validSite(c.req.param("site"));
    const limit = integerParam(c.req.query("limit"), "limit", { min: 1, max: MAX_AUDIT_PAGE }, 100);
    return c.json({ entries: await siteAdmin(c.env, site).auditLog(limit) });
  });
