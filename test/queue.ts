/**
 * @module The events queue in tests: a producer that forwards every message to the real queue (Miniflare's) and
 * keeps what was sent, with the plan's faults on chosen sends; and `deliver`, which hands messages to the Worker's
 * own `queue()` handler as one batch now (the real queue delivers them too, a moment later: the shards' dedupe makes
 * that count nothing, which is what the at-least-once delivery needs anyway).
 */
import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import type { QueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import worker from "../src/index";
import type { EventsMessage, QueuedEvent } from "../src/storage/event-queue";
import { fetchWithEnv, InjectedFault } from "./faults";

/** `fail`: the queue never sees the message; `fail-after`: it is queued, then the sender gets an error. */
export type SendFault = "fail" | "fail-after";

/** A producer binding: every message forwarded to `queue`, `sent` the messages it took (a fail-after one included). */
export function faultyQueue(queue: Queue<EventsMessage>, plan: (n: number) => SendFault | undefined = () => undefined): Queue<EventsMessage> & { sent: EventsMessage[] } {
  const sent: EventsMessage[] = [];
  let n = 0;
  const send = async (body: EventsMessage, options?: QueueSendOptions) => {
    const fault = plan(++n);
    if (fault === "fail") throw new InjectedFault(`injected failure: queue send ${n}`);
    const result = await queue.send(body, options);
    sent.push(body);
    if (fault === "fail-after") throw new InjectedFault(`injected failure after the message was queued: send ${n}`);
    return result;
  };
  const sendBatch = async (messages: Iterable<MessageSendRequest<EventsMessage>>, options?: QueueSendBatchOptions) => {
    const list = [...messages];
    const fault = plan(++n);
    if (fault === "fail") throw new InjectedFault(`injected failure: queue sendBatch ${n}`);
    const result = await queue.sendBatch(list, options);
    sent.push(...list.map((m) => m.body));
    if (fault === "fail-after") throw new InjectedFault(`injected failure after the batch was queued: sendBatch ${n}`);
    return result;
  };
  return { send, sendBatch, metrics: () => queue.metrics(), sent } as Queue<EventsMessage> & { sent: EventsMessage[] };
}

/** Each event in a message of its own. */
export const oneEach = (events: readonly QueuedEvent[]): EventsMessage[] => events.map((event) => ({ events: [event] }));

/**
 * Delivers `bodies` as one batch to the Worker's `queue()` handler, with the real bindings but those of `overrides`
 * (a faulty EXPERIMENTS), and answers what the handler acknowledged and retried, by message id (`message-{index}`).
 * `attempts` is the delivery's number.
 */
export async function deliver(bodies: readonly EventsMessage[], options: { overrides?: Partial<Cloudflare.Env>; attempts?: number } = {}): Promise<QueueResult> {
  const batch = createMessageBatch<EventsMessage>(
    "valuebar-events",
    bodies.map((body, i) => ({ id: `message-${i}`, timestamp: Date.now(), attempts: options.attempts ?? 1, body })),
  );
  const ctx = createExecutionContext();
  await worker.queue(batch, { ...env, ...options.overrides });
  return getQueueResult(batch, ctx);
}

/**
 * POSTs an event to the Worker as a beacon does, with a producer that keeps what the route queued (the plan's
 * faults on its sends), then delivers those messages to the consumer now, so the counts can be read at once.
 */
export async function eventThroughQueue(
  site: string,
  body: unknown,
  options: { headers?: Record<string, string>; plan?: (n: number) => SendFault | undefined } = {},
): Promise<{ response: Response; sent: QueuedEvent[] }> {
  // `sent`: the events queued, whatever messages they went in.
  const queue = faultyQueue(env.EVENTS, options.plan);
  const response = await fetchWithEnv({ EVENTS: queue }, `/v1/events/${site}`, {
    method: "POST",
    headers: { "content-type": "text/plain;charset=UTF-8", ...options.headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  if (queue.sent.length > 0) await deliver(queue.sent);
  return { response, sent: queue.sent.flatMap((m) => m.events) };
}
