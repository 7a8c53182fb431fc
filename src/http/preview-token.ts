/**
 * @module Preview links: a token that lets a store page show a site's draft: `{expiry in unix seconds}.{hex HMAC of
 * "preview", site and expiry}`, keyed with the site's own preview key (kept by its SiteAdmin object, never shared
 * with stores), valid until it expires and for at most MAX_PREVIEW_MS.
 */
import { constantTimeEqual, hmacHex } from "./crypto";

const TOKEN = /^(\d{10})\.([0-9a-f]{64})$/;

/** The longest a preview link may live. */
export const MAX_PREVIEW_MS = 7 * 24 * 3_600_000;

export function isPreviewToken(token: string): boolean {
  return TOKEN.test(token);
}

export async function previewToken(key: string, site: string, expiresAt: number): Promise<string> {
  const exp = Math.floor(expiresAt / 1000);
  return `${exp}.${await hmacHex(key, `preview\n${site}\n${exp}`)}`;
}

/** Whether `token` opens `site`'s draft at `now`. */
export async function validPreviewToken(key: string, site: string, token: string, now: number): Promise<boolean> {
  const match = TOKEN.exec(token);
  if (!match?.[1] || !match[2]) return false;
  const expires = Number(match[1]) * 1000;
  if (expires <= now || expires - now > MAX_PREVIEW_MS + 60_000) return false;
  return constantTimeEqual(await hmacHex(key, `preview\n${site}\n${match[1]}`), match[2]);
}
