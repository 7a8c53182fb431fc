/**
 * @module The events queue (Cloudflare Queues, `EVENTS` in wrangler.toml): what the events route enqueues, one
 * message an accepted event, and the consumer that writes a batch into the experiment shards, one RPC call per
 * shard whatever the batch holds.
 *
 * Delivery is at least once: a message is redelivered when its shard failed (retried here, with a growing delay)
 * or when the consumer's acknowledgement was lost. Each event carries the id the route gave it, and a shard
 * remembers the ids it took (ExperimentShard.recordQueued), so a redelivered event counts nothing twice.
 */
import type { QueuedEventOutcome, QueuedShardEvent, ShardEvent } from "./experiment-shard";
import type { ExperimentBindings } from "./experiments";
import { experimentShard } from "./experiments";

/** One accepted event: its unit's shard of each experiment it counts for, and what it is there. */
export interface QueuedEvent {
  /** Made by the route (a random UUID): the same in every shard the event counts in and in every redelivery. */
  id: string;
  site: string;
  /** The unit's shard (storage/experiments.ts shardOf): the same number in every experiment. */
  shard: number;
  /** Per experiment (its key): the event as that experiment's shard records it (windows differ per experiment). */
  counts: { experiment: string; event: ShardEvent }[];
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
  messages: Message<QueuedEvent>[];
}

/** The batch's events grouped by the shard object they count in. */
function byShard(messages: readonly Message<QueuedEvent>[]): ShardGroup[] {
  const groups = new Map<string, ShardGroup>();
  for (const message of messages) {
    const { id, site, shard, counts } = message.body;
    for (const { experiment, event } of counts) {
      const key = `${site}\n${experiment}\n${shard}`;
      let group = groups.get(key);
      if (!group) {
        group = { site, experiment, shard, events: [], messages: [] };
        groups.set(key, group);
      }
      group.events.push({ id, event });
      group.messages.push(message);
    }
  }
  return [...groups.values()];
}

/**
 * The queue consumer: writes each shard's events in one call; a message whose shard failed is retried whole (the
 * shards that took it remember its id and count nothing again), every other message is acknowledged.
 */
export async function consumeEvents(batch: MessageBatch<QueuedEvent>, env: Pick<ExperimentBindings, "EXPERIMENTS">): Promise<ConsumedBatch> {
  const groups = byShard(batch.messages);
  const failed = new Set<Message<QueuedEvent>>();
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
