/**
 * @module POST /v1/events/{site}: beacons from the runtime and the store (`navigator.sendBeacon`, a `text/plain`
 * JSON body, so no CORS preflight). `click` and `dismiss` name the experiment and variant that was shown;
 * `add_to_cart` and `purchase` are the store's conversions and name the experiments the unit was shown
 * (`experiments`, which the runtime remembers), each counted inside that experiment's conversion window. Bad input
 * is refused whole and counted nowhere.
 *
 * The route validates and enqueues, nothing more: an accepted event goes on the events queue with an id made here
 * (in one message with the events this isolate accepts at the same moment, see storage/event-queue.ts), and the
 * queue's consumer counts it in the experiments' shards a moment later. So the answer is 202 with `queued` for
 * each experiment the event counts for; what the shard makes of it (counted, not exposed, outside the window, a
 * duplicate order, past the per-unit hourly limit) is not known here. The runtime's beacons (`sendBeacon`) never
 * read the answer.
 *
 * A bot that says so (isDeclaredBot: a crawler's User-Agent, or Cloudflare's verified bot) gets 202 with
 * `ignored: "bot"` and its event is not counted; its page views were never enrolled either. After the answer, the
 * experiments the event names each count one bot event kept out (src/service/kept-out.ts).
 *
 * Bounded work whatever the body says: at most MAX_EVENT_EXPERIMENTS experiments an event (ids that are not
 * experiments of the live config are ignored), a body of at most 4 KiB, and a purchase's value capped at the site's
 * order value cap before it is queued.
 *
 * When the queue does not take the event, the answer is 503 and the event can be sent again: a purchase counts
 * once per order id, clicks and add-to-carts are flags. The id is made here, not taken from the client: the runtime
 * sends none, and a retry by the sender is already counted once; the id is for the queue's redeliveries.
 */
import { Hono } from "hono";
import * as z from "zod/mini";
import type { Campaign, Config } from "../core/config-schema";
import { toFieldIssues } from "../core/config-schema";
import { conversionWindowMs, experimentKey, isExperiment } from "../core/experiment";
import { minorDigits } from "../core/money";
import type { Env } from "../env";
import { readJson } from "../http/body";
import { requireEnvironment } from "../http/environment";
import { ApiError } from "../http/errors";
import { verifiedCustomerId } from "../platform/crypto";
import { eventsTokenUnit } from "../platform/events-token";
import { CONFIG_TIMEOUT_MS } from "../service/decision-service";
import type { QueuedEvent } from "../storage/event-queue";
import { queueEvent } from "../storage/event-queue";
import type { ShardEvent } from "../storage/experiment-shard";
import { shardOf, unitKey } from "../storage/experiments";
import { readLiveConfig, usableConfig } from "../storage/live-config";
import { CURRENCY_CODE, CURRENCY_RULE, DEFAULT_ORDER_VALUE_CAP, MAX_EVENT_EXPERIMENTS, SITE_ID, VISITOR_ID } from "../core/shared";
import { countKeptOut } from "../service/kept-out";
import { isDeclaredBot } from "../service/visitor";

/** A beacon is small; anything bigger is not one. */
export const MAX_EVENT_BYTES = 4096;

// Null is as good as absent: the runtime and checkout pixels send what the store's storage holds, maybe nothing.
const identity = {
  vid: z.nullish(z.string().check(z.regex(VISITOR_ID, "use the visitor id the runtime keeps (8-64 letters, digits, '-' or '_')"))),
  /** The events token the runtime keeps for a signed-in customer (see src/platform/events-token.ts). */
  token: z.nullish(z.string().check(z.maxLength(128))),
  /** A signed customer id, for stores that send events from their own server. */
  cid: z.nullish(z.string().check(z.maxLength(128))),
  sig: z.nullish(z.string().check(z.maxLength(128))),
};
/** The campaign ids of the experiments the unit was shown, as the runtime remembers them. */
const experimentIds = z
  .array(z.string().check(z.maxLength(64)), {
    error: "send the campaign ids of the experiments the visitor was shown (the runtime keeps them in localStorage as valuebar_experiments), [] for none",
  })
  .check(z.maxLength(MAX_EVENT_EXPERIMENTS, `name at most ${MAX_EVENT_EXPERIMENTS} experiments`));
const shown = z.strictObject({
  type: z.enum(["click", "dismiss"]),
  campaign: z.string().check(z.minLength(1), z.maxLength(64)),
  variant: z.string().check(z.minLength(1), z.maxLength(64)),
  /** The runtime sends it with every beacon; a click or dismissal counts for the campaign it names. */
  experiments: z.optional(experimentIds),
  ...identity,
});
const addToCart = z.strictObject({ type: z.literal("add_to_cart"), experiments: experimentIds, ...identity });
const purchase = z.strictObject({
  type: z.literal("purchase"),
  /** The order's value in major units of `currency` (42.5 is €42.50). */
  value: z.number().check(z.gte(0), z.lte(1_000_000)),
  currency: z.string().check(z.regex(CURRENCY_CODE, CURRENCY_RULE)),
  order_id: z.string().check(z.minLength(1), z.maxLength(128)),
  experiments: experimentIds,
  ...identity,
});
const EventSchema = z.discriminatedUnion("type", [shown, addToCart, purchase]);
type Event = z.infer<typeof EventSchema>;

export const eventRoutes = new Hono<{ Bindings: Env }>().post("/v1/events/:site", requireEnvironment, async (c) => {
  c.header("access-control-allow-origin", "*");
  const site = c.req.param("site");
  if (!SITE_ID.test(site)) throw new ApiError("NOT_FOUND", `no site "${site}"`);
  const parsed = EventSchema.safeParse(await readJson(c.req.raw, MAX_EVENT_BYTES));
  if (!parsed.success) throw new ApiError("BAD_REQUEST", "the event is invalid; nothing was counted", toFieldIssues(parsed.error));
  const event = parsed.data;
  // A bot that says so counts nowhere (its page views were never enrolled either): accepted, so it does not retry.
  if (isDeclaredBot(c.req.raw)) {
    // Counted as kept out after the answer, from the config this isolate holds (read as for any event otherwise).
    c.executionCtx.waitUntil(countKeptOut(c.env.EVENTS, site, "events", () => botEventExperiments(c.env.KV, site, event)));
    return c.json({ outcomes: {}, ignored: "bot" }, 202);
  }

  const read = await readLiveConfig(c.env.KV, site, CONFIG_TIMEOUT_MS);
  if (read.status === "unknown") throw new ApiError("NOT_FOUND", `no site "${site}"`);
  // As the snippet does: a KV hiccup falls back to the last config this isolate knew.
  const live = usableConfig(read);
  if (!live) throw new ApiError("UNAVAILABLE", "the site's config could not be read; send the event again");

  const unit = await unitOf(c.env.SIGNING_SECRET, site, event);
  const at = Date.now();
  const targets = targetsOf(live.config.campaigns.filter(isExperiment), event);
  if (targets.length > 0) {
    const queued: QueuedEvent = {
      id: crypto.randomUUID(),
      site,
      shard: shardOf(unit),
      counts: targets.map((campaign) => ({ experiment: experimentKey(campaign), event: shardEventOf(event, unit, at, conversionWindowMs(campaign), live.config) })),
    };
    try {
      await queueEvent(c.env.EVENTS, queued, (work) => c.executionCtx.waitUntil(work));
    } catch (error) {
      // Not queued (or queued, and the answer lost): sent again, it counts once (a flag, an order id).
      console.error(`valuebar: event for site ${site} not queued`, error);
      throw new ApiError("UNAVAILABLE", "the event could not be queued; send it again (it counts once)");
    }
  }
  const outcomes: Record<string, "queued"> = Object.fromEntries(targets.map((campaign) => [campaign.id, "queued"]));
  return c.json({ outcomes }, 202);
});

/**
 * Who is counted: the unit of a valid events token, else of a signed customer id (a store's server), else of the
 * visitor id. An expired or forged token or a wrong sig falls back to the visitor, as a wrong sig does elsewhere.
 */
async function unitOf(secret: string, site: string, event: Event): Promise<string> {
  const fromToken = event.token ? await eventsTokenUnit(secret, site, event.token, Date.now()) : null;
  if (fromToken) return fromToken;
  const customerId = await verifiedCustomerId(secret, event.cid ?? undefined, event.sig ?? undefined);
  if (customerId === null && !event.vid) {
    throw new ApiError("BAD_REQUEST", "the event names no one; nothing was counted", [{ path: "vid", message: "send the visitor id (or a valid token, or a signed cid)" }]);
  }
  return unitKey(secret, { customerId, visitorId: event.vid ?? "" });
}

/** The experiments (keys) a declared bot's event would have counted for; none when the config cannot be read. */
async function botEventExperiments(kv: KVNamespace, site: string, event: Event): Promise<string[]> {
  const live = usableConfig(await readLiveConfig(kv, site, CONFIG_TIMEOUT_MS));
  return live ? targetsOf(live.config.campaigns.filter(isExperiment), event).map(experimentKey) : [];
}

/**
 * The experiments an event counts for: the one a click or dismissal names (404 / 400 when it is not an experiment
 * of the site or has no such variant), or those of the live config that a conversion names, at most
 * MAX_EVENT_EXPERIMENTS (the schema holds the list to that), ids the site does not run ignored.
 */
function targetsOf(experiments: Campaign[], event: Event): Campaign[] {
  if (event.type === "click" || event.type === "dismiss") {
    const campaign = experiments.find((e) => e.id === event.campaign);
    if (!campaign) throw new ApiError("NOT_FOUND", `no experiment "${event.campaign}" on this site`);
    if (!campaign.variants.some((v) => v.id === event.variant)) {
      throw new ApiError("BAD_REQUEST", "the event is invalid; nothing was counted", [
        { path: "variant", message: `"${event.variant}" is not a variant of "${event.campaign}"` },
      ]);
    }
    return [campaign];
  }
  const named = new Set(event.experiments);
  return experiments.filter((e) => named.has(e.id));
}

/** The event as a shard records it, within the experiment's conversion window; a purchase's value capped. */
function shardEventOf(event: Event, unit: string, at: number, windowMs: number, config: Config): ShardEvent {
  switch (event.type) {
    case "click":
    case "dismiss":
      return { kind: event.type, unit, variant: event.variant, at, windowMs };
    case "add_to_cart":
      return { kind: "add_to_cart", unit, at, windowMs };
    case "purchase": {
      // Winsorized: an order above the cap counts at the cap, so one forged or freak order cannot swing the
      // revenue per visitor; the shard keeps that it was capped and the results count such orders.
      const cap = (config.orderValueCap?.[event.currency] ?? DEFAULT_ORDER_VALUE_CAP) / 10 ** minorDigits(event.currency);
      const capped = event.value > cap;
      return { kind: "purchase", unit, at, windowMs, orderId: event.order_id, value: capped ? cap : event.value, currency: event.currency, capped };
    }
  }
}
