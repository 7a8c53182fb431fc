/**
 * @module The isolate's cache of live configs (storage/live-config.ts), read as the hot path reads it, over the
 * real KV (wrapped by test/faults.ts to count calls and fail chosen ones). Sites with a config and made-up ids
 * live in separate bounded maps: ids anyone can invent never evict a real site, and both maps stay bounded.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { always, faultyKv } from "../faults";
import { newSite } from "../helpers";
import { CONFIG_TTL_MS, forgetLiveConfig, MAX_CACHED_SITES, MAX_CACHED_UNKNOWN_SITES, readLiveConfig } from "../../src/storage/live-config";

const TIMEOUT_MS = 1_000;
// One instant for a whole test: every entry stays fresh (CONFIG_TTL_MS), so a KV read means an eviction.
const NOW = Date.now();

const liveConfig = (text: string) => JSON.stringify({ version: 1, publishedAt: new Date(NOW).toISOString(), config: { segments: [], campaigns: [], defaults: { topbar: { text } } } });

/** Runs `read` for each id, 100 at a time, and returns how many KV reads they cost. */
async function readAll(ids: readonly string[], read: (id: string) => Promise<{ kvReads: number }>): Promise<number> {
  let reads = 0;
  for (let i = 0; i < ids.length; i += 100) {
    for (const result of await Promise.all(ids.slice(i, i + 100).map(read))) reads += result.kvReads;
  }
  return reads;
}

describe("live config cache", () => {
  it("keeps the most recently used sites when more than MAX_CACHED_SITES have a config, evicting the least recently used", { timeout: 60_000 }, async () => {
    const prefix = newSite("lru");
    const sites = Array.from({ length: MAX_CACHED_SITES + 1 }, (_, i) => `${prefix}-${i}`);
    for (let i = 0; i < sites.length; i += 100) await Promise.all(sites.slice(i, i + 100).map((site) => env.KV.put(`config:${site}`, liveConfig(site))));
    const [first, second] = sites;
    const last = sites.at(-1);
    if (first === undefined || second === undefined || last === undefined) throw new Error("no sites");

    expect(await readAll(sites.slice(0, -1), (site) => readLiveConfig(env.KV, site, TIMEOUT_MS, NOW))).toBe(MAX_CACHED_SITES);
    expect((await readLiveConfig(env.KV, first, TIMEOUT_MS, NOW)).kvReads).toBe(0);
    // One site too many: the least recently used one (the second, since the first was just read) makes room.
    expect((await readLiveConfig(env.KV, last, TIMEOUT_MS, NOW)).kvReads).toBe(1);
    expect((await readLiveConfig(env.KV, first, TIMEOUT_MS, NOW)).kvReads).toBe(0);
    expect((await readLiveConfig(env.KV, last, TIMEOUT_MS, NOW)).kvReads).toBe(0);
    const evicted = await readLiveConfig(env.KV, second, TIMEOUT_MS, NOW);
    expect(evicted).toMatchObject({ status: "ok", kvReads: 1 });
  });

  it("remembers at most MAX_CACHED_UNKNOWN_SITES ids without a config, forgetting the oldest first", { timeout: 60_000 }, async () => {
    const prefix = newSite("unknown");
    const ids = Array.from({ length: MAX_CACHED_UNKNOWN_SITES + 1 }, (_, i) => `${prefix}-${i}`);
    const kv = faultyKv(env.KV, () => undefined);
    expect(await readAll(ids, (id) => readLiveConfig(kv, id, TIMEOUT_MS, NOW))).toBe(ids.length);
    expect(kv.calls).toHaveLength(ids.length);
    // Asked again within CONFIG_TTL_MS: no KV read, except for the oldest, which made room for the last.
    const newest = ids.at(-1) ?? "";
    expect(await readLiveConfig(kv, newest, TIMEOUT_MS, NOW)).toEqual({ status: "unknown", kvReads: 0 });
    expect(await readLiveConfig(kv, ids[0] ?? "", TIMEOUT_MS, NOW)).toEqual({ status: "unknown", kvReads: 1 });
    expect(kv.calls).toHaveLength(ids.length + 1);
  });

  it("keeps a known site while KV fails for a flood of made-up ids, and remembers each failure for CONFIG_TTL_MS", { timeout: 60_000 }, async () => {
    const site = newSite("kept");
    await env.KV.put(`config:${site}`, liveConfig("kept"));
    forgetLiveConfig(site);
    expect((await readLiveConfig(env.KV, site, TIMEOUT_MS, NOW)).kvReads).toBe(1);

    const prefix = newSite("outage");
    const ids = Array.from({ length: MAX_CACHED_UNKNOWN_SITES + 1 }, (_, i) => `${prefix}-${i}`);
    const kv = faultyKv(env.KV, always((call) => call.key.startsWith(`config:${prefix}`), "fail"));
    expect(await readAll(ids, (id) => readLiveConfig(kv, id, TIMEOUT_MS, NOW))).toBe(ids.length);
    expect(await readLiveConfig(kv, site, TIMEOUT_MS, NOW)).toMatchObject({ status: "ok", kvReads: 0 });
    // The newest failure is remembered: the next request answers at once, without asking KV again.
    expect(await readLiveConfig(kv, ids.at(-1) ?? "", TIMEOUT_MS, NOW)).toMatchObject({ status: "failed", stale: null, kvReads: 0 });
    expect(await readLiveConfig(kv, ids.at(-1) ?? "", TIMEOUT_MS, NOW + CONFIG_TTL_MS)).toMatchObject({ status: "failed", kvReads: 1 });
  });
});
