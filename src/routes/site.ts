/**
 * @module Site ids in admin routes, and the site's admin Durable Object (its failures answer 503).
 */
import type { Env } from "../env";
import { ApiError, storageFailure } from "../http/errors";
import type { SiteAdmin } from "../storage/site-admin";
import { SITE_ID } from "../core/shared";

/** The site id, or 400 naming the rule. */
export function validSite(site: string): string {
  if (!SITE_ID.test(site)) {
    throw new ApiError("BAD_REQUEST", "a site id is 1-64 lowercase letters, digits or '-'", [{ path: "site", message: `"${site.slice(0, 80)}" is not a site id` }]);
  }
  return site;
}

/**
 * The site's admin object. A call to it that fails because the object or its storage failed throws 503
 * UNAVAILABLE (storageFailure), so every admin route answers "try again" rather than a generic 500; a bug in the
 * object stays a 500.
 */
export function siteAdmin(env: Env, site: string): DurableObjectStub<SiteAdmin> {
  const stub = env.SITE_ADMIN.get(env.SITE_ADMIN.idFromName(site));
  return new Proxy(stub, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof property !== "string" || typeof value !== "function" || NOT_RPC.has(property)) return value;
      return async (...args: unknown[]) => {
        try {
          // Reflect.apply: on an RPC method, `.apply` would itself be a remote call.
          return await Reflect.apply(value, target, args);
        } catch (error) {
          throw storageFailure(error, property);
        }
      };
    },
  });
}

/** Stub members that are not calls to the object. */
const NOT_RPC = new Set(["fetch", "connect", "then", "dup"]);
