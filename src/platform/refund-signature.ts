/**
 * @module The signature a store's backend puts on a refund request (POST /v1/refunds/{site}), in the header
 * `Valuebar-Signature: t={unix seconds},v1={hex}`: HMAC-SHA256 under SIGNING_SECRET (the key the store already signs
 * customer ids with) of "refund\n{site}\n{t}\n{raw body}".
 *
 * - The purpose and the newlines: no other HMAC the Worker or the store makes under the same secret can pass as one
 *   (a customer id's `sig` signs an id without control characters; unit keys and events tokens start otherwise).
 * - The site: a signed request for one site is nothing on another.
 * - The time: a request signed more than REFUND_SIGNATURE_TOLERANCE_S ago (or as far ahead, for clocks that drift) is
 *   refused, so a captured request cannot be replayed later; within the tolerance a replay counts nothing anyway
 *   (a refund counts once per order and refund id).
 *
 * @example
 * // In shell, as the README shows:
 * // t=$(date +%s); sig=$(printf 'refund\n%s\n%s\n%s' my-store "$t" "$body" | openssl dgst -sha256 -hmac "$SIGNING_SECRET" -r | cut -d' ' -f1)
 * // curl -H "Valuebar-Signature: t=$t,v1=$sig" --data "$body" https://valuebar.example/v1/refunds/my-store
 */
import { hmacHexMatches, hmacHexUncached } from "./crypto";

export const REFUND_SIGNATURE_HEADER = "valuebar-signature";

/** How far a signature's time may be from the Worker's clock: five minutes, the usual tolerance of webhook signatures. */
export const REFUND_SIGNATURE_TOLERANCE_S = 300;

const HEADER = /^t=(\d{1,12}),v1=([0-9a-f]{64})$/;

function signedText(site: string, t: string, body: string): string {
  return `refund\n${site}\n${t}\n${body}`;
}

/** Why a signature header does not authenticate the body, or null when it does. */
export async function refundSignatureProblem(secret: string, site: string, header: string, body: string, nowMs: number): Promise<string | null> {
  const [, t, v1] = HEADER.exec(header.trim()) ?? [];
  if (!t || !v1) return "the signature header is not t=<unix seconds>,v1=<64 hex digits>";
  if (Math.abs(Number(t) - nowMs / 1000) > REFUND_SIGNATURE_TOLERANCE_S) return `the signature's time is more than ${REFUND_SIGNATURE_TOLERANCE_S} seconds from now: sign the request when you send it`;
  return (await hmacHexMatches(secret, signedText(site, t, body), v1)) ? null : "the signature does not match the body";
}

/** The header value for `body` signed at `nowMs` (for the tests and for stores writing TypeScript). */
export async function refundSignature(secret: string, site: string, body: string, nowMs: number): Promise<string> {
  const t = String(Math.floor(nowMs / 1000));
  return `t=${t},v1=${await hmacHexUncached(secret, signedText(site, t, body))}`;
}
