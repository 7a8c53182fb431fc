/**
 * @module Authentication and authorization of the admin API: who holds the request's token, and whether their role
 * (core/access.ts) allows the route. `ADMIN_TOKEN` is the deployment's owner; the owner issues named, site-scoped
 * tokens. Tokens travel in the `Authorization` header, never in a cookie, so another site cannot make a browser
 * send one.
 */
import { createMiddleware } from "hono/factory";
import type { Actor, Permission } from "../core/access";
import { mayDo, OWNER } from "../core/access";
import { SITE_ID } from "../core/shared";
import type { Env } from "../env";
import { constantTimeEqual, sha256Hex } from "../platform/crypto";
import { tokenKey } from "../storage/keys";
import { ApiError, storageFailure } from "./errors";

export type AdminEnv = { Bindings: Env; Variables: { actor: Actor } };

/** The shape of the tokens the owner issues: "vb_" and 64 hex digits. */
const ISSUED_TOKEN = /^vb_[0-9a-f]{64}$/;

/**
 * 401 unless `Authorization: Bearer <token>` names the owner (`ADMIN_TOKEN`, compared in constant time) or a
 * token the owner issued for the site in the path; sets the `actor`.
 */
export const authenticate = createMiddleware<AdminEnv>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1];
  const site = /^\/admin\/sites\/([^/]+)/.exec(new URL(c.req.url).pathname)?.[1];
  const actor = token ? await tokenActor(c.env, token, site) : null;
  if (!actor) {
    c.header("www-authenticate", 'Bearer realm="valuebar admin"');
    throw new ApiError("UNAUTHORIZED", header ? "the token is not valid for this site" : "send a token as 'Authorization: Bearer <token>'");
  }
  c.set("actor", actor);
  // The editor offers only what the role may do (an analyst gets no "Get a preview link").
  c.header("x-valuebar-role", actor.role);
  await next();
});

/**
 * The holder of `token`: the owner (`ADMIN_TOKEN`, compared in constant time), or a token the owner issued for
 * `site`; null for anything else. 503 when storage fails while checking.
 */
export async function tokenActor(env: Env, token: string, site: string | undefined): Promise<Actor | null> {
  if (await constantTimeEqual(token, env.ADMIN_TOKEN)) return OWNER;
  // Issued tokens are stored as their SHA-256 and looked up by it: a random 256-bit token has no
  // prefix an attacker could learn from timing.
  if (!site || !SITE_ID.test(site) || !ISSUED_TOKEN.test(token)) return null;
  const hash = await sha256Hex(token);
  // The KV index first: an unknown token never wakes, let alone creates, a site's object. The object then
  // decides, so a revoked token stops at once even while KV still lists it.
  try {
    if ((await env.KV.get(tokenKey(hash))) !== site) return null;
    return await env.SITE_ADMIN.get(env.SITE_ADMIN.idFromName(site)).tokenActor(hash);
  } catch (error) {
    throw storageFailure(error, "checking the token");
  }
}

/** 403 unless the actor's role grants `permission`. */
export const allow = (permission: Permission) =>
  createMiddleware<AdminEnv>(async (c, next) => {
    const { role } = c.get("actor");
    if (!mayDo(role, permission)) throw new ApiError("FORBIDDEN", `a token with the ${role} role cannot do this (it needs ${permission})`);
    await next();
  });
