/**
 * @module A customer's segment membership in KV: one whole value per customer, written in one put
 * (no read-merge-write), under a key that is an HMAC of site and customer id.
 */
import type { Membership } from "../core/decide";
import { withTimeout } from "../core/timeout";
import { membershipKey } from "./keys";

/**
 * How long one KV write of an import may take before it counts as not landed (its index row then stays pending
 * and is written again, see member-index.ts). Well under the 30 s after which a Durable Object that blocks its
 * input for that long is reset.
 */
export const KV_WRITE_TIMEOUT_MS = 10_000;
/** KV takes a TTL that fits a signed 32-bit number of seconds (about 68 years); later expiries get none. */
const MAX_TTL_SECONDS = 2 ** 31 - 1;

/** The stored membership, or null when there is none. */
export async function readMembership(kv: KVNamespace, secret: string, site: string, customerId: string, timeoutMs: number): Promise<Membership | null> {
  const key = await membershipKey(secret, site, customerId);
  return withTimeout(kv.get<Membership>(key, { type: "json" }), timeoutMs);
}

/** One write of an import: a put, or a delete for a customer now in no segment. */
export interface MembershipWrite {
  key: string;
  membership: Membership | null;
}

/** The KV value and options of a write; KV drops the key itself a minute after it expires. */
export function putArguments(write: MembershipWrite & { membership: Membership }, now = Date.now()): [string, string, KVNamespacePutOptions] {
  const { membership } = write;
  const options: KVNamespacePutOptions = {};
  // KV wants a TTL of at least 60 s, so a membership already past its end lives one more minute in KV;
  // the decision checks `expiresAt` itself in any case.
  // A TTL past KV's range throws (synchronously) rather than being clamped: such a far expiry gets no TTL.
  if (membership.expiresAt !== undefined) {
    const ttl = Math.max(60, Math.ceil((membership.expiresAt - now) / 1000) + 60);
    if (ttl <= MAX_TTL_SECONDS) options.expirationTtl = ttl;
  }
  return [write.key, JSON.stringify(membership), options];
}

/**
 * Applies writes to KV, all at once but each settled on its own: `true` where KV confirmed the write, `false`
 * where it failed, threw, or took longer than KV_WRITE_TIMEOUT_MS (it may still land later). Never throws, so
 * one failing key can neither hide what the others did nor escape into the caller (a Durable Object is reset
 * when an exception leaves `blockConcurrencyWhile`).
 */
export async function applyWrites(kv: KVNamespace, writes: readonly MembershipWrite[], now = Date.now()): Promise<boolean[]> {
  const settled = await Promise.allSettled(
    writes.map(async ({ key, membership }) => {
      const write = membership === null ? kv.delete(key) : kv.put(...putArguments({ key, membership }, now));
      await withTimeout(write, KV_WRITE_TIMEOUT_MS);
    }),
  );
  const failures = settled.flatMap((s) => (s.status === "rejected" ? [s.reason] : []));
  if (failures.length) console.error(`valuebar: ${failures.length} of ${writes.length} membership write(s) not confirmed by KV`, failures[0]);
  return settled.map((s) => s.status === "fulfilled");
}
