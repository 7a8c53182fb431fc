/**
 * @module Site ids in admin routes, and the site's admin Durable Object.
 */
import type { Env } from "../env";
import { ApiError } from "../http/errors";
import { SITE_ID } from "../storage/keys";

/** The site id, or 400 naming the rule. */
export function validSite(site: string): string {
  if (!SITE_ID.test(site)) {
    throw new ApiError("BAD_REQUEST", "a site id is 1-64 lowercase letters, digits or '-'", [{ path: "site", message: `"${site.slice(0, 80)}" is not a site id` }]);
  }
  return site;
}

export function siteAdmin(env: Env, site: string) {
  return env.SITE_ADMIN.get(env.SITE_ADMIN.idFromName(site));
}
