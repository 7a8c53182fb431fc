/**
 * @module Reading a site's live config on the hot path: an isolate-memory cache (CONFIG_TTL_MS) over
 * a KV read with `cacheTtl` (KV_CACHE_TTL_S). A published change reaches visitors within about
 * KV_CACHE_TTL_S + CONFIG_TTL_MS in the location that wrote it, and within KV's global propagation
 * (typically up to 60 s) elsewhere.
 */
import type { Config } from "../core/config-schema";
import { configKey } from "./keys";

export interface LiveConfig {
  version: number;
  publishedAt: string;
  config: Config;
}

export const CONFIG_TTL_MS = 5_000;
export const KV_CACHE_TTL_S = 30;

interface Cached {
  value: LiveConfig | null;
  fetchedAt: number;
  /** Set when the last read failed: `value` is then the last known config (or null), served stale. */
  error?: unknown;
}

// Isolate-wide cache shared by all requests of this isolate: site -> live config (null: no such site).
const cache = new Map<string, Cached>();

/** For tests and the admin routes that just published: forget what this isolate holds for a site. */
export function forgetLiveConfig(site: string): void {
  cache.delete(site);
}

export type ConfigRead =
  | { status: "ok"; live: LiveConfig; kvReads: number }
  | { status: "unknown"; kvReads: number }
  | { status: "failed"; stale: LiveConfig | null; kvReads: number; error: unknown };

/**
 * The live config of a site. Serves from isolate memory while fresh; on a KV failure or timeout falls
 * back to the last known config (stale) so a KV hiccup never blanks the store.
 */
export async function readLiveConfig(kv: KVNamespace, site: string, timeoutMs: number, now = Date.now()): Promise<ConfigRead> {
  const hit = cache.get(site);
  if (hit && now - hit.fetchedAt < CONFIG_TTL_MS) {
    if (hit.error !== undefined) return { status: "failed", stale: hit.value, kvReads: 0, error: hit.error };
    return hit.value ? { status: "ok", live: hit.value, kvReads: 0 } : { status: "unknown", kvReads: 0 };
  }
  if (cache.size > 10_000) cache.clear();
  try {
    const value = await withTimeout(kv.get<LiveConfig>(configKey(site), { type: "json", cacheTtl: KV_CACHE_TTL_S }), timeoutMs);
    if (value !== null && !isLiveConfig(value)) throw new Error(`the live config of ${site} in KV has an unexpected shape`);
    cache.set(site, { value, fetchedAt: now });
    return value ? { status: "ok", live: value, kvReads: 1 } : { status: "unknown", kvReads: 1 };
  } catch (error) {
    // Remember the failure for CONFIG_TTL_MS too: while KV is down or slow, requests answer from the stale
    // config at once instead of each waiting out the timeout again.
    const stale = hit?.value ?? null;
    cache.set(site, { value: stale, fetchedAt: now, error });
    return { status: "failed", stale, kvReads: 1, error };
  }
}

/** The config to answer with: the fresh one, else the last known (stale) one after a failed read, else null. */
export function usableConfig(read: ConfigRead): LiveConfig | null {
  return read.status === "ok" ? read.live : read.status === "failed" ? read.stale : null;
}

/** The shape the admin routes write; anything else in KV (hand edits, a future format) counts as a failed read. */
function isLiveConfig(value: unknown): value is LiveConfig {
  if (typeof value !== "object" || value === null) return false;
  const { config } = value as { config?: unknown };
  return typeof config === "object" && config !== null && Array.isArray((config as { campaigns?: unknown }).campaigns);
}

/** Rejects when `promise` takes longer than `ms`. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer ?? null));
}
