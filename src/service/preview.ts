/**
 * @module A marketer's preview link on a store page (`?valuebar_preview=<token>`, made by the editor): the site's
 * draft instead of its live config, for the snippet route (`preview=` on the snippet URL) and for edge mode's pages.
 */
import type { Config } from "../core/config-schema";
import type { Env } from "../env";
import { validPreviewToken } from "../platform/preview-token";

/** The store page's query parameter of a preview link (the editor's link and admin-draft.ts's `param`). */
export const PREVIEW_PARAM = "valuebar_preview";

/**
 * The site's draft when `token` is a valid preview token; shoppers' requests never get past the check. The token is
 * checked first, with no storage: only a valid, unexpired one (which only the owner's secret can make) reaches the
 * site's object. A failing object rejects: the caller answers as it does for any failure of its decision.
 */
export async function previewedDraft(env: Env, site: string, token: string): Promise<Config | undefined> {
  if (!token || !(await validPreviewToken(env.ADMIN_TOKEN, site, token, Date.now()))) return undefined;
  const stub = env.SITE_ADMIN.get(env.SITE_ADMIN.idFromName(site));
  return (await stub.draft())?.config ?? undefined;
}
