/**
 * @module POST /v1/refunds/{site} end to end: the route, the real events queue's consumer, the real shards, the
 * results. A refund reduces its order whenever it comes (before the purchase, past the window, after a config
 * change); partial refunds add up, a duplicate counts once, a refund never takes an order below 0; only a fresh,
 * valid signature or an importer (or owner) token is taken; bad bodies are refused whole; a failed queue send or a
 * failed shard counts once when retried or redelivered.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { ExperimentResults } from "../../src/core/experiment-results";
import { refundSignature, REFUND_SIGNATURE_TOLERANCE_S } from "../../src/platform/refund-signature";
import { experimentAggregates } from "../../src/storage/experiments";
import type { DecisionBody } from "../helpers";
import { admin, call, errorOf, newSite, newVisitorId, publishConfig } from "../helpers";
import { faultyNamespace, fetchWithEnv } from "../faults";
import type { SendFault } from "../queue";
import { deliver, eventThroughQueue, faultyQueue } from "../queue";

const CONFIG = {
  campaigns: [
    {
      id: "returns",
      placement: "returns",
      experiment: { conversionWindowHours: 1 },
      variants: [
        { id: "control", weight: 1, control: true },
        { id: "free", weight: 1, message: { text: "Free returns" } },
      ],
    },
  ],
};

/** A site running CONFIG and a visitor exposed to it, with their variant. */
async function exposedVisitor(): Promise<{ site: string; vid: string; variant: string }> {
  const site = newSite("refund");
  await publishConfig(site, CONFIG);
  const vid = newVisitorId();
  const decision = await (await call(`/v1/decide/${site}?vid=${vid}`)).json<DecisionBody>();
  const variant = decision.exposures[0]?.variant ?? "";
  await expect.poll(async () => (await experimentAggregates(env, site, "returns")).variants.length).toBe(1);
  return { site, vid, variant };
}

async function purchase(site: string, vid: string, orderId: string, value: number, currency = "EUR"): Promise<void> {
  const { response } = await eventThroughQueue(site, { type: "purchase", vid, value, currency, order_id: orderId, experiments: ["returns"] });
  expect(response.status).toBe(202);
}

type Auth = { sign: true; at?: number } | { token: string } | { header: string } | { none: true };

/** POSTs refunds as a store's backend does, signed unless told otherwise, and delivers what was queued to the consumer. */
async function refund(site: string, body: unknown, options: { auth?: Auth; plan?: (n: number) => SendFault | undefined; deliverSent?: boolean } = {}) {
  const text = typeof body === "string" ? body : JSON.stringify(body);
  const auth = options.auth ?? { sign: true };
  const headers: Record<string, string> = { "content-type": "application/json" };
  if ("sign" in auth) headers["valuebar-signature"] = await refundSignature(env.SIGNING_SECRET, site, text, auth.at ?? Date.now());
  if ("token" in auth) headers.authorization = `Bearer ${auth.token}`;
  if ("header" in auth) headers["valuebar-signature"] = auth.header;
  const queue = faultyQueue(env.EVENTS, options.plan);
  const response = await fetchWithEnv({ EVENTS: queue }, `/v1/refunds/${site}`, { method: "POST", headers, body: text });
  if (options.deliverSent !== false && queue.sent.length > 0) await deliver(queue.sent);
  return { response, sent: queue.sent };
}

async function results(site: string): Promise<ExperimentResults> {
  const res = await admin(`/admin/sites/${site}/experiments/returns/results`);
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<ExperimentResults>();
}

async function netOf(site: string, variant: string, currency = "EUR"): Promise<{ gross: number | undefined; net: number | undefined; refunded: number | undefined }> {
  const r = await results(site);
  return {
    gross: r.metrics.revenuePerVisitor[currency]?.variants.find((v) => v.variant === variant)?.value,
    net: r.metrics.netRevenuePerVisitor[currency]?.variants.find((v) => v.variant === variant)?.value,
    refunded: r.metrics.refundRate.variants.find((v) => v.variant === variant)?.conversions,
  };
}

async function issue(site: string, role: "editor" | "analyst" | "importer"): Promise<string> {
  const res = await admin(`/admin/sites/${site}/tokens`, { method: "POST", body: JSON.stringify({ name: `${role}-1`, role }) });
  expect(res.status).toBe(201);
  return (await res.json<{ token: string }>()).token;
}

describe("refunds: net revenue after returns", () => {
  it("a refund after the purchase reduces the unit's net revenue; revenue stays gross; the unit counts as refunded", async () => {
    const { site, vid, variant } = await exposedVisitor();
    await purchase(site, vid, "o-1", 42.5);
    const { response } = await refund(site, { order_id: "o-1", value: 10, currency: "EUR" });
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ queued: 1, experiments: ["returns"] });
    expect(await netOf(site, variant)).toEqual({ gross: 42.5, net: 32.5, refunded: 1 });
    const r = await results(site);
    expect(r.metrics.refundRate.lowerIsBetter).toBe(true);
    expect(r.metrics.refundRate.variants.find((v) => v.variant === variant)?.value).toBe(1);
  });

  it("a refund that comes before the purchase is counted reduces it once the purchase arrives", async () => {
    const { site, vid, variant } = await exposedVisitor();
    expect((await refund(site, { order_id: "early", value: 5, currency: "EUR" })).response.status).toBe(202);
    // No purchase yet: no revenue in any currency, no refunded unit.
    expect(await netOf(site, variant)).toEqual({ gross: undefined, net: undefined, refunded: 0 });
    await purchase(site, vid, "early", 20);
    expect(await netOf(site, variant)).toEqual({ gross: 20, net: 15, refunded: 1 });
  });

  it("a refund weeks later, past the conversion window and after the config changed, still reduces the order", async () => {
    const { site, vid, variant } = await exposedVisitor();
    await purchase(site, vid, "late", 30);
    // The experiment stays (same id, no new seed); its message changes.
    await publishConfig(site, { campaigns: [{ ...CONFIG.campaigns[0], variants: [{ id: "control", weight: 1, control: true }, { id: "free", weight: 1, message: { text: "Free returns, 60 days" } }] }] });
    const later = Date.now() + 21 * 24 * 3_600_000;
    vi.useFakeTimers({ toFake: ["Date"], now: later });
    try {
      expect((await refund(site, { order_id: "late", refund_id: "r-9", value: 30, currency: "EUR" }, { auth: { sign: true, at: later } })).response.status).toBe(202);
    } finally {
      vi.useRealTimers();
    }
    expect(await netOf(site, variant)).toEqual({ gross: 30, net: 0, refunded: 1 });
  });

  it("partial refunds add up; the same refund sent twice counts once; a batch carries several", async () => {
    const { site, vid, variant } = await exposedVisitor();
    await purchase(site, vid, "p-1", 100);
    const batch = { refunds: [{ order_id: "p-1", refund_id: "a", value: 10, currency: "EUR" }, { order_id: "p-1", refund_id: "b", value: 15, currency: "EUR" }] };
    expect(await (await refund(site, batch)).response.json()).toEqual({ queued: 2, experiments: ["returns"] });
    expect(await netOf(site, variant)).toEqual({ gross: 100, net: 75, refunded: 1 });
    // The backend sends "b" again, and a refund without an id twice: each counts once.
    await refund(site, { order_id: "p-1", refund_id: "b", value: 15, currency: "EUR" });
    await refund(site, { order_id: "p-1", value: 5, currency: "EUR" });
    await refund(site, { order_id: "p-1", value: 5, currency: "EUR" });
    expect(await netOf(site, variant)).toEqual({ gross: 100, net: 70, refunded: 1 });
  });

  it("refunds above the order's value take it to 0, never below; a refund in another currency reduces nothing", async () => {
    const { site, vid, variant } = await exposedVisitor();
    await purchase(site, vid, "big", 40);
    await purchase(site, vid, "other", 10);
    await refund(site, { refunds: [{ order_id: "big", refund_id: "1", value: 30, currency: "EUR" }, { order_id: "big", refund_id: "2", value: 30, currency: "EUR" }] });
    await refund(site, { order_id: "other", value: 10, currency: "USD" });
    expect(await netOf(site, variant)).toEqual({ gross: 50, net: 10, refunded: 1 });
  });
});

describe("refunds: who may send them", () => {
  const body = { order_id: "o-1", value: 10, currency: "EUR" };

  it("refuses a forged, a stale, a future, another site's or a malformed signature, and none at all: 401, nothing queued", async () => {
    const { site } = await exposedVisitor();
    const text = JSON.stringify(body);
    const forged = (await refundSignature(env.SIGNING_SECRET, site, text, Date.now())).replace(/v1=./, (m) => (m.endsWith("0") ? "v1=1" : "v1=0"));
    const stale = await refundSignature(env.SIGNING_SECRET, site, text, Date.now() - (REFUND_SIGNATURE_TOLERANCE_S + 60) * 1000);
    const future = await refundSignature(env.SIGNING_SECRET, site, text, Date.now() + (REFUND_SIGNATURE_TOLERANCE_S + 60) * 1000);
    const otherSite = await refundSignature(env.SIGNING_SECRET, "another-site", text, Date.now());
    const otherKey = await refundSignature("not-the-signing-secret-of-this-deployment", site, text, Date.now());
    for (const header of [forged, stale, future, otherSite, otherKey, "t=1,v1=zz"]) {
      const { response, sent } = await refund(site, body, { auth: { header } });
      expect(response.status, header).toBe(401);
      expect((await errorOf(response)).code).toBe("UNAUTHORIZED");
      expect(sent).toEqual([]);
    }
    const { response, sent } = await refund(site, body, { auth: { none: true } });
    expect(response.status).toBe(401);
    expect(sent).toEqual([]);
    // A signature of another body: refused.
    const { response: tampered } = await refund(site, { ...body, value: 1 }, { auth: { header: await refundSignature(env.SIGNING_SECRET, site, text, Date.now()) } });
    expect(tampered.status).toBe(401);
  });

  it("takes the site's importer token and the owner's; an editor's or analyst's is 403, another site's importer 401", async () => {
    const { site, vid, variant } = await exposedVisitor();
    await purchase(site, vid, "o-1", 50);
    const importer = await issue(site, "importer");
    expect((await refund(site, { ...body, refund_id: "t1" }, { auth: { token: importer } })).response.status).toBe(202);
    expect((await refund(site, { ...body, refund_id: "t2" }, { auth: { token: env.ADMIN_TOKEN } })).response.status).toBe(202);
    for (const role of ["editor", "analyst"] as const) {
      const { response, sent } = await refund(site, { ...body, refund_id: role }, { auth: { token: await issue(site, role) } });
      expect(response.status, role).toBe(403);
      expect(sent).toEqual([]);
    }
    const other = newSite("other");
    await publishConfig(other, CONFIG);
    expect((await refund(site, body, { auth: { token: await issue(other, "importer") } })).response.status).toBe(401);
    expect(await netOf(site, variant)).toEqual({ gross: 50, net: 30, refunded: 1 });
  });
});

describe("refunds: bad input is refused whole", () => {
  it.each([
    ["a value of 0", { order_id: "o", value: 0, currency: "EUR" }, "value"],
    ["a lower-case currency", { order_id: "o", value: 1, currency: "eur" }, "currency"],
    ["no order id", { value: 1, currency: "EUR" }, "order_id"],
    ["an unknown field", { order_id: "o", value: 1, currency: "EUR", unit: "x" }, "(root)"],
    ["a bad refund in a batch", { refunds: [{ order_id: "o", value: 1, currency: "EUR" }, { order_id: "o", value: "1", currency: "EUR" }] }, "refunds.1.value"],
    ["an empty batch", { refunds: [] }, "refunds"],
  ])("%s: 400 naming the field, nothing queued", async (_, body, path) => {
    const { site } = await exposedVisitor();
    const { response, sent } = await refund(site, body);
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error.code).toBe("BAD_REQUEST");
    expect(error.issues?.map((i) => i.path)).toContain(path);
    expect(sent).toEqual([]);
  });

  it("a body that is not JSON: 400 INVALID_JSON; too many refunds: 400", async () => {
    const { site } = await exposedVisitor();
    expect((await errorOf((await refund(site, "{")).response)).code).toBe("INVALID_JSON");
    const many = { refunds: Array.from({ length: 21 }, (_, i) => ({ order_id: `o-${i}`, value: 1, currency: "EUR" })) };
    expect((await refund(site, many)).response.status).toBe(400);
  });
});

describe("refunds: faults", () => {
  it("the queue refuses the send: 503, nothing counted; sent again, it counts once (also when the first send landed)", async () => {
    for (const fault of ["fail", "fail-after"] as const) {
      const { site, vid, variant } = await exposedVisitor();
      await purchase(site, vid, "o-1", 40);
      const first = await refund(site, { order_id: "o-1", refund_id: "r1", value: 10, currency: "EUR" }, { plan: () => fault });
      expect(first.response.status, fault).toBe(503);
      expect((await errorOf(first.response)).code).toBe("UNAVAILABLE");
      expect((await refund(site, { order_id: "o-1", refund_id: "r1", value: 10, currency: "EUR" })).response.status).toBe(202);
      expect(await netOf(site, variant), fault).toEqual({ gross: 40, net: 30, refunded: 1 });
    }
  });

  it("a shard fails midway through a batch: the message is retried, and the redelivery counts once in every shard", async () => {
    const { site, vid, variant } = await exposedVisitor();
    await purchase(site, vid, "o-1", 40);
    const { sent } = await refund(site, { order_id: "o-1", refund_id: "r1", value: 25, currency: "EUR" }, { deliverSent: false });
    expect(sent).toHaveLength(1);
    // The 5th shard call fails: the others took the refund, the message goes back.
    const shards = faultyNamespace(env.EXPERIMENTS, (call) => (call.method === "recordQueued" && call.n === 5 ? "fail" : undefined));
    const first = await deliver(sent, { overrides: { EXPERIMENTS: shards } });
    expect(first.retryMessages.map((m) => m.msgId)).toEqual(["message-0"]);
    expect(shards.calls.filter((c) => c.method === "recordQueued")).toHaveLength(16);
    const again = await deliver(sent, { attempts: 2 });
    expect(again.retryMessages).toEqual([]);
    expect(await netOf(site, variant)).toEqual({ gross: 40, net: 15, refunded: 1 });
  });
});
