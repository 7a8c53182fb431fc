/**
 * @module Counting the bots kept out of experiments (issue 14: "the results say how many requests were kept out"):
 * a bot's page request (snippet, decide, or an edge-rendered page: all go through serveDecision) that an experiment
 * would otherwise have reached, and a declared bot's event that the events route dropped.
 *
 * Off the answer: the routes hand this to `waitUntil` once they have answered, and it goes on the events queue like
 * any event (gathered with the isolate's other events in one message, src/storage/event-queue.ts) to one shard of
 * each experiment, picked at random to spread a crawl over the shards. So the hot path pays no KV read and no wait.
 * When the counting fails (the queue refuses, a bug), it is logged and the count is lower; the answer was already
 * what it would have been.
 */
import type { Config } from "../core/config-schema";
import type { VisitorContext } from "../core/decide";
import { decide } from "../core/decide";
import type { QueuedEvent, EventsMessage } from "../storage/event-queue";
import { queueEvent } from "../storage/event-queue";
import type { KeptOutSource } from "../storage/experiment-shard";
import { EXPERIMENT_SHARDS } from "../storage/experiment-shard";

/**
 * The experiments a bot's page request would have enrolled it in: the exposures of the same decision for a visitor
 * who consents (a bot's customer id is never read, so it is an anonymous visitor).
 */
export function experimentsBotWouldReach(config: Config, context: VisitorContext, now: number): string[] {
  return decide(config, null, { ...context, consent: true }, now).exposures.map((e) => e.experiment);
}

/** Queues one kept-out count for each experiment (its key) that `reached` names; never rejects. */
export async function countKeptOut(queue: Queue<EventsMessage>, site: string, source: KeptOutSource, reached: () => readonly string[] | Promise<readonly string[]>): Promise<void> {
  try {
    // A timer first: `waitUntil` starts this at once, and the decision `reached` may run is not to delay the answer.
    await scheduler.wait(0);
    const experiments = await reached();
    if (experiments.length === 0) return;
    const at = Date.now();
    const event: QueuedEvent = {
      id: crypto.randomUUID(),
      site,
      shard: Math.floor(Math.random() * EXPERIMENT_SHARDS),
      counts: experiments.map((experiment) => ({ experiment, event: { kind: "kept_out", source, at } })),
    };
    // The caller runs this under `waitUntil` and it awaits the send itself, so the send needs no `waitUntil` of its own.
    await queueEvent(queue, event, () => {});
  } catch (error) {
    console.error(`valuebar: bot ${source} kept out of site ${site} not counted`, error);
  }
}
