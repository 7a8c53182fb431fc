/**
 * @module Experiment counting when things fail or input is hostile: events when the queue or a shard fails, exposures
 * under failing experiment shards (test/faults.ts and test/queue.ts forward to the real bindings and fail chosen
 * calls), and arbitrary bytes as an events body (fast-check, in workerd). The snippet keeps answering; an event the
 * queue did not take is answered 503 and counts once when sent again; a refused event writes nothing.
 */
import { env } from "cloudflare:workers";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { MAX_EVENT_BYTES } from "../../src/routes/events";
import { experimentAggregates } from "../../src/storage/experiments";
import { faultyNamespace, fetchWithEnv } from "../faults";
import type { ErrorEnvelope } from "../helpers";
import { call, errorOf, newSite, newVisitorId, publishConfig, snippetPayload } from "../helpers";
import { deliver, eventThroughQueue, faultyQueue } from "../queue";

const TWO_EXPERIMENTS = {
  campaigns: [
    { id: "ab", placement: "topbar", variants: [{ id: "a", weight: 1, message: { text: "A" } }, { id: "b", weight: 1, message: { text: "B" } }] },
    { id: "cd", placement: "shipping", variants: [{ id: "c", weight: 1, message: { text: "C" } }, { id: "d", weight: 1, message: { text: "D" } }] },
  ],
};

const unitsOf = async (site: string, experiment: string) => (await experimentAggregates(env, site, experiment)).variants.reduce((n, v) => n + v.units, 0);

/** A site with two experiments and a visitor shown both, once both exposures are stored. */
async function exposedVisitor(): Promise<{ site: string; vid: string }> {
  const site = newSite("robust");
  await publishConfig(site, TWO_EXPERIMENTS);
  const vid = newVisitorId();
  await call(`/v1/decide/${site}?vid=${vid}`);
  await expect.poll(async () => [await unitsOf(site, "ab"), await unitsOf(site, "cd")]).toEqual([1, 1]);
  return { site, vid };
}

const addedToCart = async (site: string, experiment: string) => (await experimentAggregates(env, site, experiment)).variants.reduce((n, v) => n + v.addedToCart, 0);

describe("events when the queue fails", () => {
  it("answers 503 when the queue does not take the event, counts nothing, and counts the retry once", async () => {
    const { site, vid } = await exposedVisitor();
    const order = { type: "purchase", vid, value: 30, currency: "EUR", order_id: "o-1", experiments: ["ab", "cd"] };
    const failed = await eventThroughQueue(site, order, { plan: () => "fail" });
    expect(failed.response.status).toBe(503);
    expect((await failed.response.json<ErrorEnvelope>()).error.code).toBe("UNAVAILABLE");
    expect(failed.sent).toEqual([]);
    expect((await experimentAggregates(env, site, "ab")).revenue).toEqual([]);
    const retried = await eventThroughQueue(site, order);
    expect(await retried.response.json()).toEqual({ outcomes: { ab: "queued", cd: "queued" } });
    expect((await experimentAggregates(env, site, "ab")).revenue.map((r) => r.sum)).toEqual([30]);
    expect((await experimentAggregates(env, site, "cd")).revenue.map((r) => r.sum)).toEqual([30]);
  });

  it("counts a purchase whose answer was lost (queued, then the send failed) once, however often it is sent again", async () => {
    const { site, vid } = await exposedVisitor();
    const order = { type: "purchase", vid, value: 30, currency: "EUR", order_id: "o-2", experiments: ["ab"] };
    const lost = await eventThroughQueue(site, order, { plan: () => "fail-after" });
    expect(lost.response.status).toBe(503);
    expect(lost.sent).toHaveLength(1);
    // Sent again twice: each time a new message with its own id, so the order id is what counts it once.
    expect((await eventThroughQueue(site, order)).response.status).toBe(202);
    expect((await eventThroughQueue(site, order)).response.status).toBe(202);
    expect((await experimentAggregates(env, site, "ab")).revenue.map((r) => [r.buyers, r.sum])).toEqual([[1, 30]]);
  });

  it("counts an add to cart sent again after a lost answer once: it is a flag of the unit", async () => {
    const { site, vid } = await exposedVisitor();
    const event = { type: "add_to_cart", vid, experiments: ["ab"] };
    expect((await eventThroughQueue(site, event, { plan: () => "fail-after" })).response.status).toBe(503);
    expect((await eventThroughQueue(site, event)).response.status).toBe(202);
    expect(await addedToCart(site, "ab")).toBe(1);
  });

  it("answers 500 BAD_ENVIRONMENT naming the binding when the deployment has no events queue", async () => {
    const { site, vid } = await exposedVisitor();
    const res = await fetchWithEnv({ EVENTS: undefined }, `/v1/events/${site}`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify({ type: "add_to_cart", vid, experiments: ["ab"] }) });
    expect(res.status).toBe(500);
    const error = await errorOf(res);
    expect(error.code).toBe("BAD_ENVIRONMENT");
    expect(error.message).toContain("EVENTS");
  });

  it("accepts an event whose shard then fails in the consumer: its message is retried, and the redelivery counts it once everywhere", async () => {
    const { site, vid } = await exposedVisitor();
    const queue = faultyQueue(env.EVENTS);
    const res = await fetchWithEnv({ EVENTS: queue }, `/v1/events/${site}`, {
      method: "POST",
      headers: { "content-type": "text/plain" },
      body: JSON.stringify({ type: "add_to_cart", vid, experiments: ["ab", "cd"] }),
    });
    expect(res.status).toBe(202);
    const cdFails = faultyNamespace(env.EXPERIMENTS, (c) => (c.method === "recordQueued" && c.name.split("\n")[1] === "cd" ? "fail" : undefined));
    const first = await deliver(queue.sent, { overrides: { EXPERIMENTS: cdFails } });
    expect(first.retryMessages).toHaveLength(1);
    expect([await addedToCart(site, "ab"), await addedToCart(site, "cd")]).toEqual([1, 0]);
    const second = await deliver(queue.sent, { attempts: 2 });
    expect(second.retryMessages).toEqual([]);
    expect([await addedToCart(site, "ab"), await addedToCart(site, "cd")]).toEqual([1, 1]);
  });
});

describe("exposures under failing experiment shards", () => {
  async function siteWithTest(): Promise<string> {
    const site = newSite("expose");
    await publishConfig(site, TWO_EXPERIMENTS);
    return site;
  }

  it.each(["fail", "fail-after"] as const)(
    "still serves the snippet with its message when the exposure write does %s, writes it on the next page view, and counts it once",
    async (fault) => {
      const site = await siteWithTest();
      const vid = newVisitorId();
      const failing = faultyNamespace(env.EXPERIMENTS, (c) => (c.method === "expose" ? fault : undefined));
      const res = await fetchWithEnv({ EXPERIMENTS: failing }, `/v1/s/${site}.js?vid=${vid}`);
      expect(res.status).toBe(200);
      const payload = snippetPayload(await res.text());
      expect(payload?.decision.placements.topbar?.message.text).toMatch(/^[AB]$/);
      expect(failing.calls.filter((c) => c.method === "expose").length).toBe(2);
      expect(await unitsOf(site, "ab")).toBe(fault === "fail" ? 0 : 1);

      // The next page view, storage healthy again: the exposures are sent again (this isolate forgot them).
      const healthy = faultyNamespace(env.EXPERIMENTS, () => undefined);
      expect((await fetchWithEnv({ EXPERIMENTS: healthy }, `/v1/s/${site}.js?vid=${vid}`)).status).toBe(200);
      expect(healthy.calls.filter((c) => c.method === "expose").length).toBe(2);
      expect([await unitsOf(site, "ab"), await unitsOf(site, "cd")]).toEqual([1, 1]);
      // And the one after is not sent again: this isolate wrote them.
      const later = faultyNamespace(env.EXPERIMENTS, () => undefined);
      await fetchWithEnv({ EXPERIMENTS: later }, `/v1/s/${site}.js?vid=${vid}`);
      expect(later.calls).toEqual([]);
    },
  );
});

describe("events: arbitrary bodies (property-based)", () => {
  const encoder = new TextEncoder();
  /** Bodies of every kind: raw bytes, text, any JSON, and events with fields of any value or type. */
  const bodies = (vid: string) =>
    fc.oneof(
      fc.uint8Array({ maxLength: 600 }),
      fc.string({ maxLength: 300 }).map((s) => encoder.encode(s)),
      fc.jsonValue({ maxDepth: 3 }).map((v) => encoder.encode(JSON.stringify(v))),
      // Events close to valid ones (the right fields for their type, values in and out of range): some count.
      fc
        .record({
          type: fc.constantFrom("click", "dismiss", "add_to_cart", "purchase"),
          campaign: fc.constantFrom("ab", "cd", "nope"),
          variant: fc.constantFrom("a", "b", "c", "z"),
          value: fc.oneof(fc.double({ min: 0, max: 20_000, noNaN: true }), fc.double({ min: -1, max: 2_000_000, noNaN: true })),
          currency: fc.constantFrom("EUR", "JPY", "eur"),
          order_id: fc.string({ maxLength: 12 }),
          experiments: fc.array(fc.constantFrom("ab", "cd", "zz"), { maxLength: 11 }),
          who: fc.oneof(
            { arbitrary: fc.constant<Record<string, unknown>>({ vid }), weight: 4 },
            fc.constantFrom<Record<string, unknown>>({ vid: "x" }, { vid, token: "not-a-token" }, { token: "not-a-token" }, {}),
          ),
        })
        .map(({ type, campaign, variant, value, currency, order_id, experiments, who }) => {
          const fields = type === "purchase" ? { value, currency, order_id, experiments } : type === "add_to_cart" ? { experiments } : { campaign, variant };
          return encoder.encode(JSON.stringify({ type, ...fields, ...who }));
        }),
      fc
        .record(
          {
            type: fc.oneof(fc.constantFrom("click", "dismiss", "add_to_cart", "purchase"), fc.anything()),
            vid: fc.oneof(fc.constant(vid), fc.string(), fc.anything()),
            campaign: fc.oneof(fc.constantFrom("ab", "cd", "nope"), fc.anything()),
            variant: fc.oneof(fc.constantFrom("a", "b", "z"), fc.anything()),
            value: fc.oneof(fc.double(), fc.integer(), fc.anything()),
            currency: fc.oneof(fc.constantFrom("EUR", "JPY", "eur"), fc.anything()),
            order_id: fc.oneof(fc.string(), fc.anything()),
            experiments: fc.oneof(fc.array(fc.constantFrom("ab", "cd", "zz"), { maxLength: 12 }), fc.anything()),
            token: fc.oneof(fc.string(), fc.constant(null), fc.anything()),
            extra: fc.anything(),
          },
          { requiredKeys: [] },
        )
        .map((event) => encoder.encode(JSON.stringify(event) ?? "")),
    );

  it("answers 2xx or a 4xx envelope naming a path, never 5xx, and a refused event changes no experiment's counts", async () => {
    const { site, vid } = await exposedVisitor();
    const counts = async () => JSON.stringify([await experimentAggregates(env, site, "ab"), await experimentAggregates(env, site, "cd")]);
    let before = await counts();
    await fc.assert(
      fc.asyncProperty(bodies(vid), async (body) => {
        const res = await call(`/v1/events/${site}`, { method: "POST", headers: { "content-type": "text/plain" }, body });
        expect(res.status).toBeLessThan(500);
        if (res.status < 300) {
          await res.body?.cancel();
          before = await counts();
          return;
        }
        expect(res.status).toBeGreaterThanOrEqual(400);
        const { error } = await res.json<ErrorEnvelope>();
        expect(error.code).toMatch(/^[A-Z_]+$/);
        // A field error names its path; a body that is no JSON at all or too big is one error of the whole body.
        if (!["INVALID_JSON", "PAYLOAD_TOO_LARGE", "NOT_FOUND"].includes(error.code)) {
          expect(error.issues?.length).toBeGreaterThan(0);
          // Bytes that are not UTF-8 are named by where they are (line and byte), fields by their path.
          for (const issue of error.issues ?? []) {
            if (error.code === "INVALID_ENCODING") expect(issue.line).toEqual(expect.any(Number));
            else expect(issue.path).toEqual(expect.any(String));
          }
        }
        if (body.byteLength > MAX_EVENT_BYTES) expect(error.code).toBe("PAYLOAD_TOO_LARGE");
        expect(await counts()).toBe(before);
      }),
      { numRuns: 150 },
    );
  });

  // The property's counterexample once the bodies were decoded strictly (seed -1824357427, path "13:1:4:1:1:3"):
  // a lone continuation byte is refused where it stands, and counts nowhere.
  it("refuses a body that is not UTF-8 with where it is, and counts nothing (regression)", async () => {
    const { site } = await exposedVisitor();
    const before = JSON.stringify(await experimentAggregates(env, site, "ab"));
    const res = await call(`/v1/events/${site}`, { method: "POST", headers: { "content-type": "text/plain" }, body: Uint8Array.from([128]) });
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("INVALID_ENCODING");
    expect(error.issues?.[0]).toMatchObject({ line: 1 });
    expect(JSON.stringify(await experimentAggregates(env, site, "ab"))).toBe(before);
  });
});
