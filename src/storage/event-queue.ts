/**
 * @module The events queue (Cloudflare Queues, `EVENTS` in wrangler.toml): how the events route puts an accepted
 * event on it, and the consumer that writes a batch into the experiment shards, one RPC call per shard whatever
 * the batch holds.
 *
 * One message carries the events an isolate accepted together (`queueEvent`): a queue takes at most 5,000 messages
 * a second (Cloudflare's per-queue limit; past it `send` throws), so one message an event would cap a sale at 5,000
 * events a second and answer the rest 503. Each request still answers only once its event is on the queue.
 *
 * Delivery is at least once: a message is redelivered when one of its shards failed (retried here, with a growing
 * delay) or when the consumer's acknowledgement was lost. Each event carries the id the route gave it, and a shard
 * remembers the ids it took (ExperimentShard.recordQueued), so a redelivered event counts nothing twice.
 */
import type { QueuedEventOutcome, QueuedShardEvent, ShardEvent } from "./experiment-shard";
import { EXPERIMENT_SHARDS } from "./experiment-shard";
import type { ExperimentBindings } from "./experiments";
import { experimentShard } from "./experiments";

/** One accepted event: its unit's shard of each experiment it counts for, and what it is there. */
export interface QueuedEvent {
  /** Made by the route (a random UUID): the same in every shard the event counts in and in every redelivery. */
  id: string;
  site: string;
  /** The unit's shard (storage/experiments.ts shardOf): the same number in every experiment. */
  shard: number;
  /**
   * Set for an event that names no unit (a refund: the store's backend knows the order, not the unit): it counts in
   * every shard of each experiment (EXPERIMENT_SHARDS of them), and `shard` is ignored.
   */
  everyShard?: true;
  /** Per experiment (its key): the event as that experiment's shard records it (windows differ per experiment). */
  counts: { experiment: string; event: ShardEvent }[];
}

/** A message of the events queue: events one isolate accepted within GATHER_MS of each other. */
export interface EventsMessage {
  events: QueuedEvent[];
}

/**
 * At most this many events a message: an event is at most about 1 KB (ten experiments), so a message stays far
 * below the queue's 128 KB.
 */
export const MAX_EVENTS_PER_MESSAGE = 100;

/** How long the first event of a message waits for others: the latency a beacon pays for sharing a message. */
export const GATHER_MS = 2;

/** How long a request waits for its message to be sent before it answers 503 (the event may still go out). */
export const SEND_TIMEOUT_MS = 10_000;

interface Waiting {
  event: QueuedEvent;
  resolve: () => void;
  reject: (error: unknown) => void;
}

interface Gathering {
  queue: Queue<EventsMessage>;
  waiting: Waiting[];
}

// Isolate-wide: the message this isolate is filling, if any. It holds the events of requests that are waiting for
// it to be sent (each request's own promise), never anything a request left behind: a request answers once its
// event is sent, or fails with the send.
let gathering: Gathering | null = null;

/**
 * Puts an event on the queue, in one message with the events this isolate accepts within GATHER_MS; resolves once
 * that message is on the queue, rejects when its send failed. `waitUntil` keeps the send going if the request that
 * opened the message goes away before it is sent (the others still wait for it).
 */
export async function queueEvent(queue: Queue<EventsMessage>, event: QueuedEvent, waitUntil: (work: Promise<unknown>) => void): Promise<void> {
  const sent = new Promise<void>((resolve, reject) => {
    const open = gathering;
    if (open && open.queue === queue && open.waiting.length < MAX_EVENTS_PER_MESSAGE) {
      open.waiting.push({ event, resolve, reject });
      return;
    }
    const opened: Gathering = { queue, waiting: [{ event, resolve, reject }] };
    gathering = opened;
    waitUntil(sendWhenGathered(opened));
  });
  // A timer of this request's own: workerd cancels a request that waits on nothing of its own (another request's
  // send is not), and it bounds the wait should that send never settle. `scheduler.wait`, workerd's own timer, not
  // the Node-compatible setTimeout (4% of the isolate's CPU under load went to building and clearing those); left
  // pending, it ends with the request.
  const timedOut = scheduler.wait(SEND_TIMEOUT_MS).then((): never => {
    throw new Error(`the events message was not sent within ${SEND_TIMEOUT_MS} ms`);
  });
  await Promise.race([sent, timedOut]);
}

async function sendWhenGathered(message: Gathering): Promise<void> {
  await scheduler.wait(GATHER_MS);
  if (gathering === message) gathering = null;
  try {
    await message.queue.send({ events: message.waiting.map((w) => w.event) });
    for (const w of message.waiting) w.resolve();
  } catch (error) {
    for (const w of message.waiting) w.reject(error);
  }
}

/**
 * The wait before a failed message is delivered again: 2, 4, 8, ... seconds, at most 5 minutes. With max_retries
 * = 10 (wrangler.toml) a message is tried for about 18 minutes before it goes to the dead-letter queue.
 */
export function retryDelaySeconds(attempts: number): number {
  return Math.min(300, 2 ** Math.max(1, attempts));
}

/** What one batch did: the shards' outcomes, counted, and how many messages are to be delivered again. */
export interface ConsumedBatch {
  outcomes: Partial<Record<QueuedEventOutcome, number>>;
  shardCalls: number;
  retried: number;
}

interface ShardGroup {
  site: string;
  experiment: string;
  shard: number;
  events: QueuedShardEvent[];
  messages: Set<Message<EventsMessage>>;
}

const ALL_SHARDS = Array.from({ length: EXPERIMENT_SHARDS }, (_, shard) => shard);

/** The batch's events grouped by the shard object they count in. */
function byShard(messages: readonly Message<EventsMessage>[]): ShardGroup[] {
  const groups = new Map<string, ShardGroup>();
  for (const message of messages) {
    for (const { id, site, shard: own, everyShard, counts } of message.body.events) {
      for (const { experiment, event } of counts) for (const shard of everyShard ? ALL_SHARDS : [own]) {
        const key = `${site}\n${experiment}\n${shard}`;
        let group = groups.get(key);
        if (!group) {
          group = { site, experiment, shard, events: [], messages: new Set() };
          groups.set(key, group);
        }
        group.events.push({ id, event });
        group.messages.add(message);
      }
    }
  }
  return [...groups.values()];
}

/**
 * The queue consumer: writes each shard's events in one call; a message with an event in a shard that failed is
 * retried whole (the shards that took its events remember their ids and count nothing again), every other message
 * is acknowledged.
 */
export async function consumeEvents(batch: MessageBatch<EventsMessage>, env: Pick<ExperimentBindings, "EXPERIMENTS">): Promise<ConsumedBatch> {
  const groups = byShard(batch.messages);
  const failed = new Set<Message<EventsMessage>>();
  const outcomes: ConsumedBatch["outcomes"] = {};
  await Promise.all(
    groups.map(async (group) => {
      try {
        for (const outcome of await experimentShard(env, group.site, group.experiment, group.shard).recordQueued(group.events)) {
          outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
        }
      } catch (error) {
        console.error(`valuebar: ${group.events.length} queued events for experiment ${group.experiment} of site ${group.site} not recorded; retrying`, error);
        for (const message of group.messages) failed.add(message);
      }
    }),
  );
  for (const message of batch.messages) {
    if (failed.has(message)) message.retry({ delaySeconds: retryDelaySeconds(message.attempts) });
    else message.ack();
  }
  return { outcomes, shardCalls: groups.length, retried: failed.size };
}
