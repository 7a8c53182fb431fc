/**
 * @module HMAC signatures, SHA-256 and constant-time comparison with Web Crypto.
 *
 * Why `src/platform/` and not `src/core/`: this is pure computation, but over the runtime's `crypto.subtle`
 * including workerd's `timingSafeEqual`, an extension that Node and browsers lack; `src/core/` runs in all three
 * (the CLI compiles and runs it under Node, the snippet and the editor in the browser). So the layer order is
 * core ← platform ← storage: platform holds what needs the Workers runtime's globals but no binding and no Hono
 * (this file and the signed tokens built on it), so storage (membership keys, unit keys) and the hot path use it
 * without reaching up into http.
 */

const encoder = new TextEncoder();

// Isolate-wide cache of imported HMAC keys, keyed by secret: secrets are per deployment, so it stays tiny.
const keys = new Map<string, Promise<CryptoKey>>();

function hmacKey(secret: string): Promise<CryptoKey> {
  let key = keys.get(secret);
  if (!key) {
    key = crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]);
    keys.set(secret, key);
  }
  return key;
}

const HEX_BYTES = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

// A loop over a table, not map/padStart/join: the identified snippet makes three of these per request.
function toHex(buffer: ArrayBuffer): string {
  let hex = "";
  for (const b of new Uint8Array(buffer)) hex += HEX_BYTES[b];
  return hex;
}

/** The bytes of `hex`, which the caller has checked to be lowercase hex of even length. */
function fromHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/** `bytes` random bytes in lowercase hex: admin tokens. */
export function randomHex(bytes: number): string {
  return toHex(crypto.getRandomValues(new Uint8Array(bytes)).buffer);
}

/**
 * How many results each isolate-wide memo below keeps: a signed-in customer's page view makes the same few HMACs every
 * time (their unit key, membership key, events token); the oldest entry goes first.
 */
export const HMAC_MEMO_SIZE = 4_096;

// Isolate-wide, per secret: HMAC results by message (deterministic, so never stale), and the "customer id\nsig" pairs
// found valid (an id has no control character: the pair's spelling is unambiguous). Only a valid pair is kept: a
// forged one cannot fill the memo, and a look-up tells nothing of a sig that is not there.
const signatures = new Map<string, Map<string, Promise<string>>>();
const verified = new Map<string, Map<string, true>>();

function memoOf<V>(memos: Map<string, Map<string, V>>, secret: string): Map<string, V> {
  let memo = memos.get(secret);
  if (!memo) memos.set(secret, (memo = new Map()));
  return memo;
}

function remember<V>(memo: Map<string, V>, key: string, value: V): V {
  if (memo.size >= HMAC_MEMO_SIZE) memo.delete(memo.keys().next().value as string);
  memo.set(key, value);
  return value;
}

/** Lowercase hex HMAC-SHA256, what Shopify Liquid's `{{ value | hmac_sha256: secret }}` gives. */
export function hmacHex(secret: string, message: string): Promise<string> {
  const memo = memoOf(signatures, secret);
  const known = memo.get(message);
  if (known) return known;
  const made = hmacKey(secret).then(async (cryptoKey) => toHex(await crypto.subtle.sign("HMAC", cryptoKey, encoder.encode(message))));
  // A failure is not kept: the next call tries again.
  made.catch(() => memo.delete(message));
  return remember(memo, message, made);
}

/** How many results the HMAC memos hold (for the tests of their bound). */
export function hmacMemoSizes(secret: string): { signatures: number; verified: number } {
  return { signatures: signatures.get(secret)?.size ?? 0, verified: verified.get(secret)?.size ?? 0 };
}

/** Like hmacHex, for a key that varies per request (such as one per site): the key is not kept in the cache. */
export async function hmacHexUncached(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  return toHex(await crypto.subtle.sign("HMAC", key, encoder.encode(message)));
}

/** Compares two strings in time that depends on neither their content nor their lengths. */
export async function constantTimeEqual(a: string, b: string): Promise<boolean> {
  const [da, db] = await Promise.all([
    crypto.subtle.digest("SHA-256", encoder.encode(a)),
    crypto.subtle.digest("SHA-256", encoder.encode(b)),
  ]);
  return crypto.subtle.timingSafeEqual(da, db);
}

/**
 * The customer id when `sig` is its signature under `secret`; null otherwise (then: anonymous). An id with a control
 * character is no customer's: every other HMAC the Worker makes under the same secret signs a message with a
 * newline in it (a unit key is the HMAC of "unit\ncustomer\n{id}", and the events token hands unit keys to the
 * browser), so none of them can pass as a `sig`.
 */
export async function verifiedCustomerId(secret: string, customerId: string | undefined, sig: string | undefined): Promise<string | null> {
  if (!customerId || !sig || customerId.length > 128 || /[\u0000-\u001f\u007f]/.test(customerId) || !/^[0-9a-f]{64}$/.test(sig)) return null;
  const memo = memoOf(verified, secret);
  const pair = `${customerId}\n${sig}`;
  if (memo.has(pair)) return customerId;
  // Web Crypto's HMAC verify compares in constant time; `sig` is 64 hex digits, so the one spelling of its 32 bytes.
  if (!(await crypto.subtle.verify("HMAC", await hmacKey(secret), fromHex(sig), encoder.encode(customerId)))) return null;
  remember(memo, pair, true);
  return customerId;
}

/**
 * Whether `hex` (64 lowercase hex digits) is the HMAC-SHA256 of `message` under `secret`, compared in constant time
 * (Web Crypto's verify). Not memoized: the messages it checks (request bodies) are each seen once.
 */
export async function hmacHexMatches(secret: string, message: string, hex: string): Promise<boolean> {
  if (!/^[0-9a-f]{64}$/.test(hex)) return false;
  return crypto.subtle.verify("HMAC", await hmacKey(secret), fromHex(hex), encoder.encode(message));
}

/** Lowercase hex SHA-256 of `text`: how admin tokens are stored (they are random, so a plain hash suffices). */
export async function sha256Hex(text: string): Promise<string> {
  return toHex(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}
