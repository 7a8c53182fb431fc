/**
 * @module A customer's segment membership in KV: one whole value per customer, written in one put
 * (no read-merge-write), under a key that is an HMAC of site and customer id.
 */
import type { Membership } from "../core/decide";
import { membershipKey } from "./keys";
import { withTimeout } from "./live-config";

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
  if (membership.expiresAt !== undefined) {
    options.expirationTtl = Math.max(60, Math.ceil((membership.expiresAt - now) / 1000) + 60);
  }
  return [write.key, JSON.stringify(membership), options];
}
