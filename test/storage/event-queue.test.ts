/**
 * @module The events queue's consumer, given batches as the queue delivers them (the Worker's own `queue()` handler,
 * real experiment shards): one shard call per shard, a redelivered batch counts nothing twice, a failing shard's
 * messages are retried and the others acknowledged, and the retry counts once. The route's side is in
 * test/routes/events-queue.test.ts.
 */
import { createExecutionContext, runInDurableObject, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import type { QueuedEvent } from "../../src/storage/event-queue";
import { MAX_EVENTS_PER_MESSAGE, queueEvent, retryDelaySeconds } from "../../src/storage/event-queue";
import type { ExperimentShard } from "../../src/storage/experiment-shard";
import { SEEN_EVENTS_MS } from "../../src/storage/experiment-shard";
import { experimentAggregates, experimentShard, shardOf } from "../../src/storage/experiments";
import { faultyNamespace } from "../faults";
import { deliver, faultyQueue, oneEach } from "../queue";

const HOUR = 3_600_000;
const WINDOW = 72 * HOUR;

/** A site whose experiments "ab" and "cd" have each of `units` units exposed (variant "a" / "c"), in their shards. */
async function exposedUnits(count: number): Promise<{ site: string; units: string[] }> {
  const site = `queue-${crypto.randomUUID().slice(0, 8)}`;
  const units = Array.from({ length: count }, (_, i) => `unit-${i}-${crypto.randomUUID()}`);
  const at = Date.now() - HOUR;
  for (const unit of units) {
    await experimentShard(env, site, "ab", shardOf(unit)).expose([{ unit, variant: "a", at }]);
    await experimentShard(env, site, "cd", shardOf(unit)).expose([{ unit, variant: "c", at }]);
  }
  return { site, units };
}

/** A purchase of `unit` counting in both experiments, as the route queues it. */
function purchase(site: string, unit: string, orderId: string, value: number): QueuedEvent {
  const event = { kind: "purchase" as const, unit, at: Date.now(), windowMs: WINDOW, orderId, value, currency: "EUR", capped: false };
  return { id: crypto.randomUUID(), site, shard: shardOf(unit), counts: [{ experiment: "ab", event }, { experiment: "cd", event }] };
}

/** An add to cart of `unit` in "ab". */
function addToCart(site: string, unit: string): QueuedEvent {
  return { id: crypto.randomUUID(), site, shard: shardOf(unit), counts: [{ experiment: "ab", event: { kind: "add_to_cart", unit, at: Date.now(), windowMs: WINDOW } }] };
}

const revenueOf = async (site: string, experiment: string) => (await experimentAggregates(env, site, experiment)).revenue.map((r) => [r.buyers, r.sum]);

describe("the events queue's consumer", () => {
  it("writes a batch with one call per shard it touches, and acknowledges every message", async () => {
    const { site, units } = await exposedUnits(12);
    const batch = units.map((unit, i) => purchase(site, unit, `o-${i}`, 10));
    const shards = faultyNamespace(env.EXPERIMENTS, () => undefined);
    const result = await deliver(oneEach(batch), { overrides: { EXPERIMENTS: shards } });
    const touched = new Set(units.map((unit) => shardOf(unit)));
    expect(shards.calls.filter((c) => c.method === "recordQueued")).toHaveLength(2 * touched.size);
    expect(result.explicitAcks.sort()).toEqual(batch.map((_, i) => `message-${i}`).sort());
    expect(result.retryMessages).toEqual([]);
    expect(await revenueOf(site, "ab")).toEqual([[12, 120]]);
    expect(await revenueOf(site, "cd")).toEqual([[12, 120]]);
  });

  it("counts nothing twice when the same batch is delivered again", async () => {
    const { site, units } = await exposedUnits(6);
    // Each unit: a purchase and two adds to cart, each its own event (its own id).
    const batch = units.flatMap((unit, i) => [purchase(site, unit, `o-${i}`, 5), addToCart(site, unit), addToCart(site, unit)]);
    // As the route packs them: several events a message.
    const messages = [{ events: batch.slice(0, 7) }, { events: batch.slice(7) }];
    await deliver(messages);
    const once = JSON.stringify([await experimentAggregates(env, site, "ab"), await experimentAggregates(env, site, "cd")]);
    const again = await deliver(messages, { attempts: 2 });
    expect(again.retryMessages).toEqual([]);
    expect(JSON.stringify([await experimentAggregates(env, site, "ab"), await experimentAggregates(env, site, "cd")])).toBe(once);
    expect(await revenueOf(site, "ab")).toEqual([[6, 30]]);
    // The per-unit event rate is spent once too: a redelivery is not a new event of the unit.
    const [unit] = units;
    const rateCount = await runInDurableObject(experimentShard(env, site, "ab", shardOf(unit ?? "")), (_instance: ExperimentShard, state) =>
      state.storage.sql.exec<{ rate_count: number }>("SELECT rate_count FROM units WHERE unit = ?", unit ?? "").one().rate_count,
    );
    expect(rateCount).toBe(3);
  });

  it.each(["fail", "fail-after"] as const)(
    "retries the messages of a shard whose write does %s, acknowledges the rest, and the redelivery counts once",
    async (fault) => {
      const { site, units } = await exposedUnits(10);
      const batch = units.map((unit, i) => purchase(site, unit, `o-${i}`, 7));
      const failing = units[0] ?? "";
      const failingShard = `${site}\nab\n${shardOf(failing)}`;
      const shards = faultyNamespace(env.EXPERIMENTS, (c) => (c.method === "recordQueued" && c.name === failingShard ? fault : undefined));
      const first = await deliver(oneEach(batch), { overrides: { EXPERIMENTS: shards } });

      const inFailingShard = batch.flatMap((event, i) => (event.shard === shardOf(failing) ? [`message-${i}`] : []));
      expect(first.retryMessages.map((m) => m.msgId).sort()).toEqual(inFailingShard.sort());
      // (The plugin's getQueueResult keeps no retry delay: retryDelaySeconds is checked on its own below.)
      expect(first.explicitAcks).toHaveLength(batch.length - inFailingShard.length);
      // "cd" took every message, "ab" all but the failing shard's (unless the write landed before the failure).
      expect(await revenueOf(site, "cd")).toEqual([[10, 70]]);
      const landed = fault === "fail-after" ? 10 : 10 - inFailingShard.length;
      expect(await revenueOf(site, "ab")).toEqual([[landed, 7 * landed]]);

      // The queue delivers the retried messages again: both experiments' shards hold every purchase once.
      const retried = batch.filter((_, i) => inFailingShard.includes(`message-${i}`));
      const second = await deliver(oneEach(retried), { attempts: 2 });
      expect(second.retryMessages).toEqual([]);
      expect(await revenueOf(site, "ab")).toEqual([[10, 70]]);
      expect(await revenueOf(site, "cd")).toEqual([[10, 70]]);
    },
  );

  it("retries a whole message of several events when one of its shards fails, and its redelivery counts each once", async () => {
    const { site, units } = await exposedUnits(10);
    const message = { events: units.map((unit, i) => purchase(site, unit, `o-${i}`, 3)) };
    const failingShard = `${site}\ncd\n${shardOf(units[0] ?? "")}`;
    const shards = faultyNamespace(env.EXPERIMENTS, (c) => (c.method === "recordQueued" && c.name === failingShard ? "fail" : undefined));
    expect((await deliver([message], { overrides: { EXPERIMENTS: shards } })).retryMessages.map((m) => m.msgId)).toEqual(["message-0"]);
    expect(await revenueOf(site, "ab")).toEqual([[10, 30]]);
    expect((await deliver([message], { attempts: 2 })).explicitAcks).toEqual(["message-0"]);
    expect(await revenueOf(site, "ab")).toEqual([[10, 30]]);
    expect(await revenueOf(site, "cd")).toEqual([[10, 30]]);
  });

  it("waits longer before each new attempt, at most five minutes", () => {
    expect([1, 2, 3, 8, 9, 10, 20].map(retryDelaySeconds)).toEqual([2, 4, 8, 256, 300, 300, 300]);
  });
});

describe("putting events on the queue", () => {
  const event = (i: number): QueuedEvent => ({ id: crypto.randomUUID(), site: "packing", shard: i % 16, counts: [] });

  it(`packs the events an isolate accepts together into one message (at most ${MAX_EVENTS_PER_MESSAGE}), and each resolves once it is sent`, async () => {
    const queue = faultyQueue(env.EVENTS);
    const ctx = createExecutionContext();
    const events = Array.from({ length: MAX_EVENTS_PER_MESSAGE + 5 }, (_, i) => event(i));
    await Promise.all(events.map((e) => queueEvent(queue, e, (work) => ctx.waitUntil(work))));
    await waitOnExecutionContext(ctx);
    expect(queue.sent.map((m) => m.events.length)).toEqual([MAX_EVENTS_PER_MESSAGE, 5]);
    expect(queue.sent.flatMap((m) => m.events)).toEqual(events);
  });

  it.each(["fail", "fail-after"] as const)("fails every event of a message whose send does %s", async (fault) => {
    const queue = faultyQueue(env.EVENTS, () => fault);
    const ctx = createExecutionContext();
    const outcomes = await Promise.allSettled([event(1), event(2), event(3)].map((e) => queueEvent(queue, e, (work) => ctx.waitUntil(work))));
    await waitOnExecutionContext(ctx);
    expect(outcomes.map((o) => o.status)).toEqual(["rejected", "rejected", "rejected"]);
  });

  it("keeps the messages of different queue bindings apart", async () => {
    const [first, second] = [faultyQueue(env.EVENTS), faultyQueue(env.EVENTS)];
    const ctx = createExecutionContext();
    const [one, two, three] = [event(1), event(2), event(3)];
    await Promise.all([queueEvent(first, one, (w) => ctx.waitUntil(w)), queueEvent(second, two, (w) => ctx.waitUntil(w)), queueEvent(first, three, (w) => ctx.waitUntil(w))]);
    await waitOnExecutionContext(ctx);
    expect([first.sent.flatMap((m) => m.events), second.sent.flatMap((m) => m.events)]).toEqual([[one, three], [two]]);
  });
});

describe("the shard's memory of queued events", () => {
  it(`forgets an event's id ${SEEN_EVENTS_MS / HOUR} hours after its time, and drops an event older than that rather than count it again`, async () => {
    const { site, units } = await exposedUnits(1);
    const unit = units[0] ?? "";
    const stub = experimentShard(env, site, "ab", shardOf(unit));
    const now = Date.now();
    const event = { id: crypto.randomUUID(), event: { kind: "add_to_cart" as const, unit, at: now, windowMs: WINDOW } };
    expect(await stub.recordQueued([event])).toEqual(["counted"]);
    expect(await stub.recordQueued([event])).toEqual(["duplicate_event"]);
    const seen = () =>
      runInDurableObject(stub, (_instance: ExperimentShard, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM seen_events").one().n);
    expect(await seen()).toBe(1);

    vi.useFakeTimers({ toFake: ["Date"], now: now + SEEN_EVENTS_MS + 1 });
    try {
      // Past the window: the id is pruned by the next batch, and the old event, delivered again, is dropped.
      expect(await stub.recordQueued([event])).toEqual(["expired"]);
      expect(await seen()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
