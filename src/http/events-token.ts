/**
 * @module The events token: what the runtime keeps in the browser for a signed-in customer instead of the store's
 * `sig` (which never expires and opens the snippet and decide routes as that customer), so that a checkout pixel
 * can send the purchase for the same unit. It names the unit (the keyed hash the experiment shards store, never
 * the customer id), the site and an expiry, signed with SIGNING_SECRET under a purpose of its own ("events-token"):
 * only the events route reads it, and nothing else takes it as a signature.
 *
 * Format: `{unit: 64 hex}.{expiry: unix seconds}.{mac: 32 hex}`, the mac being the first 128 bits of
 * HMAC-SHA256(SIGNING_SECRET, "events-token\n{site}\n{unit}\n{expiry}"): 128 bits are plenty for a token that
 * lives days, and the token rides in every identified snippet, where bytes count. (Its length also keeps it from
 * ever passing as a `sig`, which is 64 hex digits.)
 *
 * @example
 * const token = await eventsToken(env.SIGNING_SECRET, "my-store", unit, Date.now());
 * await eventsTokenUnit(env.SIGNING_SECRET, "my-store", token, Date.now()); // unit
 */
import { constantTimeEqual, hmacHex } from "./crypto";

/**
 * How long a token counts events. A week, not hours: every page view of the store renews it, but a shopper may come
 * back from an abandoned-cart email straight to the checkout, where the runtime does not run, days later.
 */
export const EVENTS_TOKEN_TTL_MS = 7 * 24 * 3_600_000;

const TOKEN = /^([0-9a-f]{64})\.(\d{10})\.([0-9a-f]{32})$/;

const mac = async (secret: string, site: string, unit: string, expiry: string) =>
  (await hmacHex(secret, `events-token\n${site}\n${unit}\n${expiry}`)).slice(0, 32);

/** A token for `unit` on `site`, valid EVENTS_TOKEN_TTL_MS from `now`. */
export async function eventsToken(secret: string, site: string, unit: string, now: number): Promise<string> {
  const expiry = String(Math.floor((now + EVENTS_TOKEN_TTL_MS) / 1000));
  return `${unit}.${expiry}.${await mac(secret, site, unit, expiry)}`;
}

/** The unit `token` names when it is one of ours, for `site`, and not expired at `now`; null otherwise. */
export async function eventsTokenUnit(secret: string, site: string, token: string, now: number): Promise<string | null> {
  const match = TOKEN.exec(token);
  const [, unit, expiry, signature] = match ?? [];
  const expires = Number(expiry) * 1000;
  // Not expired, and no later than a token made now could run: only a leaked secret could mint a longer one.
  if (!unit || !expiry || !signature || expires <= now || expires - now > EVENTS_TOKEN_TTL_MS + 60_000) return null;
  return (await constantTimeEqual(await mac(secret, site, unit, expiry), signature)) ? unit : null;
}
