/**
 * @module The hot path under KV faults (test/faults.ts around the real KV): whether the live config read fails,
 * lands and then fails, hangs or is slow, and whether an identified visitor's membership read fails or hangs,
 * the snippet route answers 200 with valid JavaScript and the decide route 200 with a decision, within the
 * code's own timeouts, showing the last known config (or nothing, or the placement defaults without the
 * membership), and saying `degraded` in Server-Timing. A failed config read is remembered: the next request
 * within CONFIG_TTL_MS asks KV nothing (counted on the wrapper).
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CONFIG_TIMEOUT_MS, MEMBERSHIP_TIMEOUT_MS } from "../../src/service/decision-service";
import { CONFIG_TTL_MS } from "../../src/storage/live-config";
import type { CallLog, Fault, KvCall } from "../faults";
import { faultyKv, fetchWithEnv } from "../faults";
import type { DecisionBody, SnippetPayload } from "../helpers";
import { CUSTOMER, kvReads, newVisitorId, seedStore, snippetPayload, TEXT, visitorQuery } from "../helpers";

type Route = "snippet" | "decide";

interface Answer {
  res: Response;
  decision: SnippetPayload["decision"];
}

type FaultyKv = KVNamespace & CallLog<KvCall>;

/** A request to `route` with `kv` as the Worker's KV; checks the route's promise (200, valid JavaScript or JSON). */
async function ask(route: Route, kv: KVNamespace | undefined, site: string, query: string): Promise<Answer> {
  const res = await fetchWithEnv(kv ? { KV: kv } : {}, route === "snippet" ? `/v1/s/${site}.js?${query}` : `/v1/decide/${site}?${query}`);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  if (route === "decide") return { res, decision: JSON.parse(text) as DecisionBody };
  expect(res.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
  // Compiled, never run: it must be valid JavaScript whatever failed.
  expect(() => new Function(text)).not.toThrow();
  const payload = snippetPayload(text);
  if (!payload) throw new Error(`expected a snippet with a decision, got: ${text}`);
  return { res, decision: payload.decision };
}

const getsOf = (kv: FaultyKv, prefix: string) => kv.calls.filter((call) => call.op === "get" && call.key.startsWith(prefix));

/** What a German visitor sees from the reference store's config: only the default shipping message. */
const STORE_DEFAULTS = {
  topbar: null,
  shipping: { campaign: null, variant: null, message: { text: TEXT.defaultShippingEur, dismissible: false } },
  returns: null,
};
const NOTHING = { topbar: null, shipping: null, returns: null };

const CONFIG_FAULTS: [string, Fault][] = [
  ["fails", "fail"],
  ["lands, then fails", "fail-after"],
  ["hangs", "hang"],
  ["is slower than CONFIG_TIMEOUT_MS", { delayMs: CONFIG_TIMEOUT_MS + 250 }],
];

// A slow read lands after the answer; the test waits for it so that no KV call outlives the test.
const settle = (fault: Fault) => (typeof fault === "object" ? new Promise((resolve) => setTimeout(resolve, fault.delayMs)) : Promise.resolve());

// Each request waits at most CONFIG_TIMEOUT_MS (config) + MEMBERSHIP_TIMEOUT_MS (membership); the margin is for
// the machine, and a request that waited on a hanging read would never answer at all.
const BOUNDED = { timeout: 2 * (CONFIG_TIMEOUT_MS + MEMBERSHIP_TIMEOUT_MS) + 5_000 };

afterEach(() => {
  vi.useRealTimers();
});

describe.each<Route>(["snippet", "decide"])("%s route when the live config read in KV", (route) => {
  describe.each(CONFIG_FAULTS)("%s", (_, fault) => {
    it("answers nothing (valid, 200, degraded) for a site this isolate never read, and remembers the failure", BOUNDED, async () => {
      const site = await seedStore();
      const kv = faultyKv(env.KV, (call) => (call.op === "get" && call.key === `config:${site}` ? fault : undefined));
      const query = `vid=${newVisitorId()}&country=DE`;

      const first = await ask(route, kv, site, query);
      expect(first.decision.placements).toEqual(NOTHING);
      expect(first.res.headers.get("server-timing")).toBe('kv;desc="reads=1", degraded');
      expect(getsOf(kv, "config:")).toHaveLength(1);

      const next = await ask(route, kv, site, query);
      expect(next.decision.placements).toEqual(NOTHING);
      expect(next.res.headers.get("server-timing")).toBe('kv;desc="reads=0", degraded');
      expect(getsOf(kv, "config:")).toHaveLength(1);
      await settle(fault);
    });

    it("keeps showing the last known config (valid, 200, degraded) and does not ask KV again within CONFIG_TTL_MS", BOUNDED, async () => {
      const site = await seedStore();
      const query = `vid=${newVisitorId()}&country=DE`;
      const warm = await ask(route, undefined, site, query);
      expect(warm.decision.placements).toEqual(STORE_DEFAULTS);

      // The cached copy has expired: the next request reads KV, which now misbehaves.
      vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + CONFIG_TTL_MS + 1 });
      const kv = faultyKv(env.KV, (call) => (call.op === "get" && call.key === `config:${site}` ? fault : undefined));
      const stale = await ask(route, kv, site, query);
      expect(stale.decision.placements).toEqual(STORE_DEFAULTS);
      expect(stale.res.headers.get("server-timing")).toBe('kv;desc="reads=1", degraded');

      const next = await ask(route, kv, site, query);
      expect(next.decision.placements).toEqual(STORE_DEFAULTS);
      expect(kvReads(next.res)).toBe(0);
      expect(getsOf(kv, "config:")).toHaveLength(1);
      await settle(fault);
    });
  });

  it("answers normally when the config read is slow but within CONFIG_TIMEOUT_MS", BOUNDED, async () => {
    const site = await seedStore();
    const kv = faultyKv(env.KV, (call) => (call.op === "get" && call.key === `config:${site}` ? { delayMs: 100 } : undefined));
    const answer = await ask(route, kv, site, `vid=${newVisitorId()}&country=DE`);
    expect(answer.decision.placements).toEqual(STORE_DEFAULTS);
    expect(answer.res.headers.get("server-timing")).toBe('kv;desc="reads=1"');
  });
});

const MEMBERSHIP_FAULTS: [string, Fault][] = [
  ["fails", "fail"],
  ["hangs", "hang"],
  ["is slower than MEMBERSHIP_TIMEOUT_MS", { delayMs: MEMBERSHIP_TIMEOUT_MS + 250 }],
];

describe.each<Route>(["snippet", "decide"])("%s route when a signed-in customer's membership read in KV", (route) => {
  it.each(MEMBERSHIP_FAULTS)("%s: answers as for a customer in no segment (valid, 200, degraded)", BOUNDED, async (_, fault) => {
    const site = await seedStore();
    // The config is in this isolate's memory: the membership is the only KV read.
    await ask(route, undefined, site, `vid=${newVisitorId()}`);
    const kv = faultyKv(env.KV, (call) => (call.op === "get" && call.key.startsWith(`m:${site}:`) ? fault : undefined));

    const vip = await ask(route, kv, site, await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId(), country: "DE" }));
    // The VIP's experiment is not shown without the membership: the defaults are.
    expect(vip.decision.placements).toEqual(STORE_DEFAULTS);
    expect(vip.decision.exposures).toEqual([]);
    expect(vip.decision.visitor.identified).toBe(true);
    expect(vip.res.headers.get("server-timing")).toBe('kv;desc="reads=1", degraded');
    expect(getsOf(kv, "config:")).toHaveLength(0);
    expect(getsOf(kv, `m:${site}:`)).toHaveLength(1);
    await settle(fault);
  });
});
