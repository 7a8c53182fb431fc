/**
 * @module Preview links: a token that lets a store page show a site's draft: `{expiry in unix seconds}.{hex HMAC of
 * "preview", site and expiry}`, valid until it expires and for at most MAX_PREVIEW_MS.
 *
 * The key is the site's preview key, derived from the deployment's owner secret:
 * `HMAC-SHA256(ADMIN_TOKEN, "valuebar preview key\n" + site)` in hex. The stores hold SIGNING_SECRET, never
 * ADMIN_TOKEN, so no store can mint a link; and as the key needs no storage, a token is checked before anything
 * is read: a forged or expired one costs two HMACs and nothing else. Rotating ADMIN_TOKEN revokes every link.
 */
import { constantTimeEqual, hmacHex, hmacHexUncached } from "./crypto";

const TOKEN = /^(\d{10})\.([0-9a-f]{64})$/;

/** The longest a preview link may live. */
export const MAX_PREVIEW_MS = 7 * 24 * 3_600_000;

/** The site's preview key. Its HMAC key is ADMIN_TOKEN (one cached key per deployment). */
function previewKey(adminToken: string, site: string): Promise<string> {
  return hmacHex(adminToken, `valuebar preview key\n${site}`);
}

/**
 * The token's signature. The per-site key is not cached: the snippet route checks tokens for any site id a visitor
 * sends, and a cache keyed by it would grow with them.
 */
async function signature(adminToken: string, site: string, exp: string): Promise<string> {
  return hmacHexUncached(await previewKey(adminToken, site), `preview\n${site}\n${exp}`);
}

export async function previewToken(adminToken: string, site: string, expiresAt: number): Promise<string> {
  const exp = String(Math.floor(expiresAt / 1000));
  return `${exp}.${await signature(adminToken, site, exp)}`;
}

/** Whether `token` opens `site`'s draft at `now`. Pure computation: no storage is touched. */
export async function validPreviewToken(adminToken: string, site: string, token: string, now: number): Promise<boolean> {
  const match = TOKEN.exec(token);
  if (!match?.[1] || !match[2]) return false;
  const expires = Number(match[1]) * 1000;
  if (expires <= now || expires - now > MAX_PREVIEW_MS + 60_000) return false;
  return constantTimeEqual(await signature(adminToken, site, match[1]), match[2]);
}
