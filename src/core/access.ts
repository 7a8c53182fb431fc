/**
 * @module Who may do what on a site: the roles a token carries, what each role grants, and the actor (the holder
 * of a token) that the admin routes, the audit log and the site's object all name. Domain types, so the storage
 * that records actors and the HTTP layer that authenticates them both import them from here.
 *
 * `owner` is the deployment's ADMIN_TOKEN; the owner issues named, site-scoped tokens with one of ROLES:
 * `editor` (the config), `analyst` (read-only: config, results, audit) and `importer` (segments, refunds).
 *
 * @example
 * mayDo("analyst", "config:write"); // false
 */

/** Roles the owner can give a token. */
export const ROLES = ["editor", "analyst", "importer"] as const;
export type IssuedRole = (typeof ROLES)[number];
/** `system`: valuebar acting on its own (the guardrail), never a token's role. */
export type Role = "owner" | IssuedRole | "system";

export type Permission = "config:read" | "config:write" | "results:read" | "segments:read" | "segments:write" | "audit:read" | "tokens" | "refunds:write";

const GRANTS: Record<Role, readonly Permission[]> = {
  owner: ["config:read", "config:write", "results:read", "segments:read", "segments:write", "audit:read", "tokens", "refunds:write"],
  editor: ["config:read", "config:write", "results:read", "audit:read"],
  analyst: ["config:read", "results:read", "audit:read"],
  // The store's backend: segment imports, and refunds (POST /v1/refunds/{site}).
  importer: ["segments:read", "segments:write", "refunds:write"],
  system: [],
};

/** Whether a token with `role` may do what `permission` names. */
export function mayDo(role: Role, permission: Permission): boolean {
  return GRANTS[role].includes(permission);
}

/** A role a token can be issued with (the owner's is not one): for values read back from storage. */
export function isIssuedRole(value: unknown): value is IssuedRole {
  return (ROLES as readonly unknown[]).includes(value);
}

/** The holder of the request's token: the name shown in versions and the audit log, and its role. */
export interface Actor {
  name: string;
  role: Role;
}

export const OWNER: Actor = { name: "admin", role: "owner" };

/** The author of the versions the guardrail publishes when it switches a variant off. */
export const GUARDRAIL_ACTOR: Actor = { name: "guardrail", role: "system" };
