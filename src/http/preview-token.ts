/**
 * @module Preview links: a token that lets a store page show a site's draft, signed with SIGNING_SECRET for one
 * site and valid until it expires: `{expiry in unix seconds}.{hex HMAC of "preview", site and expiry}`.
 */
import { constantTimeEqual, hmacHex } from "./crypto";

const TOKEN = /^(\d{1,12})\.([0-9a-f]{64})$/;

export async function previewToken(secret: string, site: string, expiresAt: number): Promise<string> {
  const exp = Math.floor(expiresAt / 1000);
  return `${exp}.${await hmacHex(secret, `preview\n${site}\n${exp}`)}`;
}

/** Whether `token` opens `site`'s draft at `now`. */
export async function validPreviewToken(secret: string, site: string, token: string, now: number): Promise<boolean> {
  const match = TOKEN.exec(token);
  if (!match?.[1] || !match[2] || Number(match[1]) * 1000 <= now) return false;
  return constantTimeEqual(await hmacHex(secret, `preview\n${site}\n${match[1]}`), match[2]);
}
