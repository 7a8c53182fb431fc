/**
 * @module Reading a site's live config on the hot path: an isolate-memory cache (CONFIG_TTL_MS) over
 * a KV read with `cacheTtl` (KV_CACHE_TTL_S). A published change reaches visitors within about
 * KV_CACHE_TTL_S + CONFIG_TTL_MS in the location that wrote it, and within KV's global propagation
 * (typically up to 60 s) elsewhere.
 */
import type { Config } from "../core/config-schema";
import { withTimeout } from "../core/timeout";
import { configKey } from "./keys";

export interface LiveConfig {
  version: number;
  publishedAt: string;
  config: Config;
}

export const CONFIG_TTL_MS = 5_000;
export const KV_CACHE_TTL_S = 30;

/** Sites with a config that this isolate keeps in memory; the least recently used one is evicted first. */
export const MAX_CACHED_SITES = 1_000;

/** Site ids without a config (or whose first read failed) that this isolate remembers; the oldest go first. */
export const MAX_CACHED_UNKNOWN_SITES = 10_000;

interface Cached {
  value: LiveConfig | null;
  fetchedAt: number;
  /** Set when the last read failed: `value` is then the last known config (or null), served stale. */
  error?: unknown;
}

// Isolate-wide caches shared by all requests of this isolate, in two bounded maps (in order of use, oldest
// first): sites with a config, and ids with none. Anyone can make up site ids, so the made-up ones live apart
// and can only evict each other: a flood of them neither evicts a real site nor costs a KV read per request for
// an id asked about within CONFIG_TTL_MS.
const knownSites = new Map<string, Cached>();
const unknownSites = new Map<string, Cached>();

/** For tests and the admin routes that just published: forget what this isolate holds for a site. */
export function forgetLiveConfig(site: string): void {
  knownSites.delete(site);
  unknownSites.delete(site);
}

/** Puts `entry` last (most recent) in the map where it belongs, evicting that map's oldest entry when full. */
function remember(site: string, entry: Cached): void {
  const [map, other, max] = entry.value ? [knownSites, unknownSites, MAX_CACHED_SITES] : [unknownSites, knownSites, MAX_CACHED_UNKNOWN_SITES];
  other.delete(site);
  map.delete(site);
  map.set(site, entry);
  if (map.size > max) {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
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
  const hit = knownSites.get(site) ?? unknownSites.get(site);
  if (hit && now - hit.fetchedAt < CONFIG_TTL_MS) {
    if (hit.value) {
      // Used now: moved to the end, so the sites in use are the last to be evicted.
      knownSites.delete(site);
      knownSites.set(site, hit);
    }
    if (hit.error !== undefined) return { status: "failed", stale: hit.value, kvReads: 0, error: hit.error };
    return hit.value ? { status: "ok", live: hit.value, kvReads: 0 } : { status: "unknown", kvReads: 0 };
  }
  try {
    const value = await withTimeout(kv.get<LiveConfig>(configKey(site), { type: "json", cacheTtl: KV_CACHE_TTL_S }), timeoutMs);
    if (value !== null && !isLiveConfig(value)) throw new Error(`the live config of ${site} in KV has an unexpected shape`);
    remember(site, { value, fetchedAt: now });
    return value ? { status: "ok", live: value, kvReads: 1 } : { status: "unknown", kvReads: 1 };
  } catch (error) {
    // Remember the failure for CONFIG_TTL_MS too: while KV is down or slow, requests answer from the stale
    // config at once instead of each waiting out the timeout again.
    const stale = hit?.value ?? null;
    remember(site, { value: stale, fetchedAt: now, error });
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
