/**
 * @module Bots kept out (issue 14): a bot's page request in script mode (snippet, decide) and edge mode counts one
 * request kept out for each experiment it would otherwise have reached, a declared bot's event one event kept out for
 * each experiment it names; all off the answer, through the real events queue's consumer into the real shards. When
 * the counting fails, the answer is the same and the count lower.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { ExperimentResults } from "../../src/core/experiment-results";
import worker from "../../src/index";
import type { DecisionBody } from "../helpers";
import { admin, newSite, newVisitorId, publishConfig } from "../helpers";
import { fetchWithEnv } from "../faults";
import type { SendFault } from "../queue";
import { deliver, faultyQueue } from "../queue";

const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
const BROWSER = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36";

const CONFIG = {
  campaigns: [
    { id: "ab", placement: "topbar", variants: [{ id: "control", weight: 1, control: true }, { id: "a", weight: 1, message: { text: "A" } }] },
    // Only on the cart page: a bot on another page would not have reached it.
    { id: "cart", placement: "shipping", audience: { paths: ["/cart"] }, variants: [{ id: "x", weight: 1, message: { text: "X" } }, { id: "y", weight: 1, message: { text: "Y" } }] },
  ],
  defaults: { topbar: { text: "Welcome" } },
};

async function keptOut(site: string, campaign: string): Promise<ExperimentResults["keptOut"]> {
  const res = await admin(`/admin/sites/${site}/experiments/${campaign}/results`);
  expect(res.status).toBe(200);
  return (await res.json<ExperimentResults>()).keptOut;
}

/** A request to the Worker with a producer that keeps what was queued (the plan's faults on its sends), then delivered. */
async function throughQueue(request: (overrides: Partial<Cloudflare.Env>) => Promise<Response>, plan?: (n: number) => SendFault | undefined): Promise<{ response: Response; body: string }> {
  const queue = faultyQueue(env.EVENTS, plan);
  const response = await request({ EVENTS: queue });
  const body = await response.text();
  if (queue.sent.length > 0) await deliver(queue.sent);
  return { response, body };
}

const get = (path: string, userAgent: string) => (overrides: Partial<Cloudflare.Env>) => fetchWithEnv(overrides, path, { headers: { "user-agent": userAgent } });

describe("bots kept out: script mode", () => {
  it("a crawler's snippet and decide requests count as kept out of the experiments the page would reach, and nothing else", async () => {
    const site = newSite("bots");
    await publishConfig(site, CONFIG);
    const { response, body } = await throughQueue(get(`/v1/decide/${site}?vid=${newVisitorId()}&path=/products/1`, GOOGLEBOT));
    expect(response.status).toBe(200);
    expect(JSON.parse(body).exposures).toEqual([]);
    await throughQueue(get(`/v1/s/${site}.js?path=/cart`, GOOGLEBOT));
    expect(await keptOut(site, "ab")).toEqual({ requests: 2, events: 0 });
    expect(await keptOut(site, "cart")).toEqual({ requests: 1, events: 0 });
    // A shopper is enrolled, not kept out.
    const shopper = await throughQueue(get(`/v1/decide/${site}?vid=${newVisitorId()}`, BROWSER));
    expect((JSON.parse(shopper.body) as DecisionBody).exposures).toHaveLength(1);
    expect(await keptOut(site, "ab")).toEqual({ requests: 2, events: 0 });
  });

  it("a declared bot's events count as kept out of the experiments they name", async () => {
    const site = newSite("bots");
    await publishConfig(site, CONFIG);
    const beacon = (body: unknown) => (overrides: Partial<Cloudflare.Env>) =>
      fetchWithEnv(overrides, `/v1/events/${site}`, { method: "POST", headers: { "content-type": "text/plain;charset=UTF-8", "user-agent": GOOGLEBOT }, body: JSON.stringify(body) });
    const vid = newVisitorId();
    const click = await throughQueue(beacon({ type: "click", campaign: "ab", variant: "a", vid }));
    expect(JSON.parse(click.body)).toEqual({ outcomes: {}, ignored: "bot" });
    await throughQueue(beacon({ type: "purchase", vid, value: 10, currency: "EUR", order_id: "b-1", experiments: ["ab", "cart", "gone"] }));
    expect(await keptOut(site, "ab")).toEqual({ requests: 0, events: 2 });
    expect(await keptOut(site, "cart")).toEqual({ requests: 0, events: 1 });
  });

  it("when the count cannot be queued, the answer is the same and the count lower", async () => {
    const site = newSite("bots");
    await publishConfig(site, CONFIG);
    const vid = newVisitorId();
    const counted = await throughQueue(get(`/v1/decide/${site}?vid=${vid}`, GOOGLEBOT));
    const failed = await throughQueue(get(`/v1/decide/${site}?vid=${vid}`, GOOGLEBOT), () => "fail");
    expect(failed.response.status).toBe(200);
    expect(JSON.parse(failed.body)).toEqual(JSON.parse(counted.body));
    expect(await keptOut(site, "ab")).toEqual({ requests: 1, events: 0 });
  });
});

describe("bots kept out: edge mode", () => {
  it("a crawler's store page counts as kept out, the same rule as script mode", async () => {
    const site = newSite("edge-bots");
    await publishConfig(site, CONFIG);
    const page = (userAgent: string) => async (overrides: Partial<Cloudflare.Env>) => {
      const ctx = createExecutionContext();
      const request = new Request("https://shop.test/page", { headers: { "user-agent": userAgent } });
      const res = await worker.fetch(request, { ...env, EDGE_SITES: { "shop.test": { site, origin: "https://origin.test" } }, ...overrides }, ctx);
      const html = await res.text();
      await waitOnExecutionContext(ctx);
      return new Response(html, { status: res.status });
    };
    const { response, body } = await throughQueue(page(GOOGLEBOT));
    expect(response.status).toBe(200);
    expect(body).toContain("Welcome");
    expect(await keptOut(site, "ab")).toEqual({ requests: 1, events: 0 });
    expect(await keptOut(site, "cart")).toEqual({ requests: 0, events: 0 });
  });
});
