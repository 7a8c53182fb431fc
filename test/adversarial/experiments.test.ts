/**
 * @module Issue 9, experiments: each finding as an attacker would try it, one test per finding, each written to fail
 * on the code before the fix. (The permanent `sig` in localStorage and the `default` dismissal collision are the
 * runtime's: test/browser/runtime.test.ts shows them in Chromium.)
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import wranglerToml from "../../wrangler.toml?raw";
import type { ExperimentResults } from "../../src/core/experiment-results";
import { experimentAggregates } from "../../src/storage/experiments";
import { admin, call, errorOf, newSite, newVisitorId, publishConfig } from "../helpers";
import { eventThroughQueue } from "../queue";

const MAX_EXPERIMENTS_AN_EVENT_MAY_NAME = 10;

/** A site with 12 experiments: "hero" for every visitor, and 11 shown only in Japan. */
const TWELVE_EXPERIMENTS = {
  campaigns: [
    { id: "hero", placement: "topbar", variants: [{ id: "a", weight: 50, message: { text: "A" } }, { id: "b", weight: 50, message: { text: "B" } }] },
    ...Array.from({ length: 11 }, (_, i) => ({
      id: `elsewhere-${i + 1}`,
      placement: "shipping",
      priority: i,
      audience: { countries: ["JP"] },
      variants: [{ id: "a", weight: 50, message: { text: "A" } }, { id: "b", weight: 50, message: { text: "B" } }],
    })),
  ],
};

/** An event, and what it queued delivered to the consumer at once (test/queue.ts), so its counts can be read. */
async function postEvent(site: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return (await eventThroughQueue(site, body, { headers })).response;
}

/** A visitor of `site` shown "hero" (from Germany), once their exposure is stored; their variant. */
async function exposedToHero(site: string): Promise<{ vid: string; variant: string }> {
  const vid = newVisitorId();
  const decision = await (await call(`/v1/decide/${site}?vid=${vid}&country=DE`)).json<{ exposures: { campaign: string; variant: string }[] }>();
  expect(decision.exposures.map((e) => e.campaign)).toEqual(["hero"]);
  await expect.poll(async () => (await experimentAggregates(env, site, "hero")).variants.reduce((n, v) => n + v.units, 0)).toBe(1);
  return { vid, variant: decision.exposures[0]?.variant ?? "" };
}

describe("issue 9: experiments", () => {
  it("an add_to_cart or purchase no longer fans out to every experiment of the site, exposed or not", async () => {
    const site = newSite("fanout");
    await publishConfig(site, TWELVE_EXPERIMENTS);
    const { vid } = await exposedToHero(site);
    // The experiments an event reaches: those its queued message counts in (the consumer writes each one's shard).
    const queued: string[] = [];
    const send = async (body: unknown) => queued.push(...(await eventThroughQueue(site, body)).sent.flatMap((m) => m.counts.map((c) => c.experiment)));
    const experimentsCalled = () => queued;

    // What the runtime used to send: no experiments named.
    await send({ type: "add_to_cart", vid });
    expect(experimentsCalled()).toEqual([]);
    // What the runtime sends: the experiments it was shown.
    await send({ type: "add_to_cart", vid, experiments: ["hero"] });
    expect(experimentsCalled()).toEqual(["hero"]);
    // A forger naming every experiment of the site reaches no more than an event may name, whatever the body says.
    queued.length = 0;
    const all = TWELVE_EXPERIMENTS.campaigns.map((c) => c.id);
    await send({ type: "add_to_cart", vid, experiments: all });
    await send({ type: "add_to_cart", vid, experiments: all.slice(0, MAX_EXPERIMENTS_AN_EVENT_MAY_NAME) });
    expect(experimentsCalled().length).toBeLessThanOrEqual(MAX_EXPERIMENTS_AN_EVENT_MAY_NAME);
  });

  it("a forged purchase of 1,000,000 no longer counts uncapped: it counts at the order value cap, and the results say so", async () => {
    const site = newSite("forged");
    await publishConfig(site, TWELVE_EXPERIMENTS);
    const { vid, variant } = await exposedToHero(site);
    const forged = { type: "purchase", vid, value: 1_000_000, currency: "EUR", order_id: "forged-1" };
    // Both body formats the route has ever taken; whichever it takes, the order counts at most at the cap.
    await postEvent(site, forged);
    await postEvent(site, { ...forged, experiments: ["hero"] });

    const res = await admin(`/admin/sites/${site}/experiments/hero/results`);
    const results = await res.json<ExperimentResults & { cappedOrders?: { total: number; byVariant: Record<string, number> } }>();
    const revenue = results.metrics.revenuePerVisitor.EUR?.variants.find((v) => v.variant === variant);
    // The documented default cap: 1,000,000 minor units, 10,000.00 EUR.
    expect(revenue?.value).toBe(10_000);
    expect(results.cappedOrders).toEqual({ total: 1, byVariant: { a: variant === "a" ? 1 : 0, b: variant === "b" ? 1 : 0 } });
  });

  it("the public routes have no rate limit: one client sending past the limit now gets 429 with Retry-After", async () => {
    const limit = Number(/name\s*=\s*"EVENT_RATE_LIMIT"[^[]*?limit\s*=\s*(\d+)/.exec(wranglerToml)?.[1] ?? 300);
    const site = newSite("flood");
    // One client (its IP as Cloudflare's edge names it), sending more beacons than the limit.
    const ip = `203.0.113.${Math.floor(Math.random() * 250) + 1}`;
    let limited: Response | undefined;
    for (let i = 0; i <= 2 * limit && !limited; i++) {
      const res = await postEvent(site, { type: "add_to_cart", vid: "visitor-0001", experiments: [] }, { "cf-connecting-ip": ip });
      if (res.status === 429) limited = res;
      else await res.body?.cancel();
    }
    expect(limited?.status).toBe(429);
    if (!limited) return;
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect((await errorOf(limited)).code).toBe("RATE_LIMITED");
  });
});
