/**
 * @module The events token: what the runtime keeps in the browser for a signed-in customer instead of the store's
 * `sig` (which never expires and opens the snippet and decide routes as that customer), so that a checkout pixel
 * can send the purchase for the same unit. It names the unit (the keyed hash the experiment shards store, never
 * the customer id), the site and an expiry, signed with SIGNING_SECRET under a purpose of its own ("events-token"):
 * only the events route reads it, and nothing else takes it as a signature.
 *
 * Format: `{unit}.{expiry}.{mac}`: the unit key's 32 bytes in base64url (43 characters), the expiry in unix seconds,
 * and the first 128 bits of HMAC-SHA256(SIGNING_SECRET, "events-token\n{site}\n{unit}\n{expiry}") in base64url (22
 * characters). base64url and 128 bits because the token rides in every identified snippet, where bytes count
 * (hex would cost about 30 more gzipped); 128 bits are plenty for a token that lives days. The mac covers the text
 * of the unit, and the mac is compared as text, so no other spelling of the same bytes passes.
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

const TOKEN = /^([A-Za-z0-9_-]{43})\.(\d{10})\.([A-Za-z0-9_-]{22})$/;

function hexToBase64url(hex: string): string {
  // One pass over the pairs (every identified snippet makes a token): no array of matches, no spread.
  let binary = "";
  for (let i = 0; i + 1 < hex.length; i += 2) binary += String.fromCharCode(parseInt(hex.slice(i, i + 2), 16));
  const base64 = btoa(binary).replace(/\+/g, "-").replace(/\//g, "_");
  // Padding off with a loop, not /=+$/ (an unanchored run that backtracks; the regex check refuses it).
  let end = base64.length;
  while (base64[end - 1] === "=") end--;
  return base64.slice(0, end);
}

function base64urlToHex(text: string): string {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return [...binary].map((c) => c.charCodeAt(0).toString(16).padStart(2, "0")).join("");
}

const mac = async (secret: string, site: string, unit: string, expiry: string) =>
  hexToBase64url((await hmacHex(secret, `events-token\n${site}\n${unit}\n${expiry}`)).slice(0, 32));

/** A token for `unit` (a unit key: 64 hex digits) on `site`, valid EVENTS_TOKEN_TTL_MS from `now`. */
export async function eventsToken(secret: string, site: string, unit: string, now: number): Promise<string> {
  // Whole minutes: a customer's pages within a minute get the same token, one HMAC (src/platform/crypto.ts's memo).
  const expiry = String(Math.floor((now + EVENTS_TOKEN_TTL_MS) / 60_000) * 60);
  const encoded = hexToBase64url(unit);
  return `${encoded}.${expiry}.${await mac(secret, site, encoded, expiry)}`;
}

/** The unit key `token` names when it is one of ours, for `site`, and not expired at `now`; null otherwise. */
export async function eventsTokenUnit(secret: string, site: string, token: string, now: number): Promise<string | null> {
  const [, unit, expiry, signature] = TOKEN.exec(token) ?? [];
  if (!unit || !expiry || !signature) return null;
  const expires = Number(expiry) * 1000;
  // Not expired, and no later than a token made now could run: only a leaked secret could mint a longer one.
  if (expires <= now || expires - now > EVENTS_TOKEN_TTL_MS + 60_000) return null;
  return (await constantTimeEqual(await mac(secret, site, unit, expiry), signature)) ? base64urlToHex(unit) : null;
}
