/**
 * @module The KV layout. No key or value holds a raw customer id or email:
 *   config:{site}          the live config: {"version": N, "publishedAt": ISO, "config": {...}}
 *   m:{site}:{hmac}        one customer's membership: {"segments": [...], "expiresAt"?: ms}
 *   bench:probe            the small value the bench's reference route reads (only with BENCH_ROUTES = "on")
 * where hmac = HMAC-SHA256(SIGNING_SECRET, "membership\n" + site + "\n" + customer id), hex.
 */
import { hmacHex } from "../platform/crypto";

export function configKey(site: string): string {
  return `config:${site}`;
}

export async function membershipKey(secret: string, site: string, customerId: string): Promise<string> {
  return `m:${site}:${await hmacHex(secret, `membership\n${site}\n${customerId}`)}`;
}

/** Marks that an issued admin token (by its SHA-256) exists, so unknown tokens are refused without waking a site's object. */
export function tokenKey(hash: string): string {
  return `tok:${hash}`;
}

/** The value GET /v1/bench/kv.js reads, a membership's size: bench/run.mjs seeds it (src/routes/bench.ts). */
export const BENCH_PROBE_KEY = "bench:probe";
