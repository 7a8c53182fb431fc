/**
 * @module Who may do what on the admin API. `ADMIN_TOKEN` is the deployment's owner; the owner issues named,
 * site-scoped tokens with a role: `editor` (the config), `analyst` (read-only: config, results, audit) and
 * `importer` (segments). Tokens travel in the `Authorization` header, never in a cookie, so another site cannot
 * make a browser send one. Also the environment guard.
 */
import { createMiddleware } from "hono/factory";
import type { Env } from "../env";
import { environmentProblem } from "../env";
import { SITE_ID } from "../core/shared";
import { tokenKey } from "../storage/keys";
import { constantTimeEqual, sha256Hex } from "./crypto";
import { ApiError, storageFailure } from "./errors";

/** Roles the owner can give a token. */
export const ROLES = ["editor", "analyst", "importer"] as const;
export type Role = "owner" | (typeof ROLES)[number];

export type Permission = "config:read" | "config:write" | "results:read" | "segments:read" | "segments:write" | "audit:read" | "tokens";

const GRANTS: Record<Role, readonly Permission[]> = {
  owner: ["config:read", "config:write", "results:read", "segments:read", "segments:write", "audit:read", "tokens"],
  editor: ["config:read", "config:write", "results:read", "audit:read"],
  analyst: ["config:read", "results:read", "audit:read"],
  importer: ["segments:read", "segments:write"],
};

/** The holder of the request's token: the name shown in versions and the audit log, and its role. */
export interface Actor {
  name: string;
  role: Role;
}

export type AdminEnv = { Bindings: Env; Variables: { actor: Actor } };

export const OWNER: Actor = { name: "admin", role: "owner" };

/** The shape of the tokens the owner issues: "vb_" and 64 hex digits. */
const ISSUED_TOKEN = /^vb_[0-9a-f]{64}$/;

/** 500 BAD_ENVIRONMENT when secrets or bindings are missing, naming what (never values). */
export const requireEnvironment = createMiddleware<AdminEnv>(async (c, next) => {
  const problem = environmentProblem(c.env);
  if (problem) throw new ApiError("BAD_ENVIRONMENT", `the deployment is misconfigured: ${problem}`);
  await next();
});

/**
 * 401 unless `Authorization: Bearer <token>` names the owner (`ADMIN_TOKEN`, compared in constant time) or a
 * token the owner issued for the site in the path; sets the `actor`.
 */
export const authenticate = createMiddleware<AdminEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  let actor: Actor | null = null;
  if (token) {
    if (await constantTimeEqual(token, c.env.ADMIN_TOKEN)) actor = OWNER;
    else {
      // Issued tokens are stored as their SHA-256 and looked up by it: a random 256-bit token has no
      // prefix an attacker could learn from timing.
      const site = /^\/admin\/sites\/([^/]+)/.exec(new URL(c.req.url).pathname)?.[1];
      if (site && SITE_ID.test(site) && ISSUED_TOKEN.test(token)) {
        const hash = await sha256Hex(token);
        // The KV index first: an unknown token never wakes, let alone creates, a site's object. The object then
        // decides, so a revoked token stops at once even while KV still lists it.
        try {
          if ((await c.env.KV.get(tokenKey(hash))) === site) actor = await c.env.SITE_ADMIN.get(c.env.SITE_ADMIN.idFromName(site)).tokenActor(hash);
        } catch (error) {
          throw storageFailure(error, "checking the token");
        }
      }
    }
  }
  if (!actor) {
    c.header("www-authenticate", 'Bearer realm="valuebar admin"');
    throw new ApiError("UNAUTHORIZED", header ? "the token is not valid for this site" : "send a token as 'Authorization: Bearer <token>'");
  }
  c.set("actor", actor);
  // The editor offers only what the role may do (an analyst gets no "Get a preview link").
  c.header("x-valuebar-role", actor.role);
  await next();
});

/** 403 unless the actor's role grants `permission`. */
export const allow = (permission: Permission) =>
  createMiddleware<AdminEnv>(async (c, next) => {
    const { role } = c.get("actor");
    if (!GRANTS[role].includes(permission)) throw new ApiError("FORBIDDEN", `a token with the ${role} role cannot do this (it needs ${permission})`);
    await next();
  });
