/**
 * @module POST /v1/events/{site}: beacons from the runtime and the store (`navigator.sendBeacon`, a `text/plain`
 * JSON body, so no CORS preflight). `click` and `dismiss` name the experiment and variant that was shown;
 * `add_to_cart` and `purchase` are the store's conversions and count for every experiment of the site the unit
 * was exposed to, inside that experiment's conversion window. Bad input is refused whole and counted nowhere.
 */
import { Hono } from "hono";
import * as z from "zod/mini";
import { toFieldIssues } from "../core/config-schema";
import { conversionWindowMs, experimentKey, isExperiment } from "../core/experiment";
import { CONFIG_TIMEOUT_MS } from "../decision-service";
import type { Env } from "../env";
import { requireEnvironment } from "../http/auth";
import { readJson } from "../http/body";
import { verifiedCustomerId } from "../http/crypto";
import { ApiError } from "../http/errors";
import type { EventOutcome, ShardEvent } from "../storage/experiment-shard";
import { EVENTS_PER_UNIT_PER_HOUR } from "../storage/experiment-shard";
import { experimentShard, shardOf, unitKey } from "../storage/experiments";
import { SITE_ID } from "../storage/keys";
import { readLiveConfig, usableConfig } from "../storage/live-config";
import { VISITOR_ID } from "../visitor";

/** A beacon is small; anything bigger is not one. */
export const MAX_EVENT_BYTES = 4096;

// Null is as good as absent: the runtime and checkout pixels send what the store's storage holds, maybe nothing.
const identity = {
  vid: z.nullish(z.string().check(z.regex(VISITOR_ID, "use the visitor id the runtime keeps (8-64 letters, digits, '-' or '_')"))),
  cid: z.nullish(z.string().check(z.maxLength(128))),
  sig: z.nullish(z.string().check(z.maxLength(128))),
};
const shown = z.strictObject({
  type: z.enum(["click", "dismiss"]),
  campaign: z.string().check(z.minLength(1), z.maxLength(64)),
  variant: z.string().check(z.minLength(1), z.maxLength(64)),
  ...identity,
});
const addToCart = z.strictObject({ type: z.literal("add_to_cart"), ...identity });
const purchase = z.strictObject({
  type: z.literal("purchase"),
  /** The order's value in major units of `currency` (42.5 is €42.50). */
  value: z.number().check(z.gte(0), z.lte(1_000_000)),
  currency: z.string().check(z.regex(/^[A-Z]{3}$/, "use an ISO 4217 currency code such as EUR")),
  order_id: z.string().check(z.minLength(1), z.maxLength(128)),
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

  const read = await readLiveConfig(c.env.KV, site, CONFIG_TIMEOUT_MS);
  if (read.status === "unknown") throw new ApiError("NOT_FOUND", `no site "${site}"`);
  // As the snippet does: a KV hiccup falls back to the last config this isolate knew.
  const live = usableConfig(read);
  if (!live) throw new ApiError("UNAVAILABLE", "the site's config could not be read; send the event again");
  const experiments = live.config.campaigns.filter(isExperiment);

  const customerId = await verifiedCustomerId(c.env.SIGNING_SECRET, event.cid ?? undefined, event.sig ?? undefined);
  if (customerId === null && !event.vid) {
    throw new ApiError("BAD_REQUEST", "the event names no one; nothing was counted", [{ path: "vid", message: "send the visitor id (or a signed cid)" }]);
  }
  const unit = await unitKey(c.env.SIGNING_SECRET, { customerId, visitorId: event.vid ?? "" });
  const at = Date.now();

  const targets =
    event.type === "click" || event.type === "dismiss" ? [shownCampaign(experiments, event)] : experiments;
  const outcomes: Record<string, EventOutcome> = {};
  await Promise.all(
    targets.map(async (campaign) => {
      const shardEvent = shardEventOf(event, unit, at, conversionWindowMs(campaign));
      outcomes[campaign.id] = await experimentShard(c.env, site, experimentKey(campaign), shardOf(unit)).record(shardEvent);
    }),
  );
  // 429 only when the event counted nowhere because of the limit; otherwise each experiment's outcome says it.
  const all = Object.values(outcomes);
  if (all.length > 0 && all.every((o) => o === "rate_limited")) {
    throw new ApiError("RATE_LIMITED", `too many events from this visitor (at most ${EVENTS_PER_UNIT_PER_HOUR} an hour per experiment); this one was not counted`);
  }
  return c.json({ outcomes });
});

/** The experiment a click or dismiss names, and a variant it has; 404 / 400 otherwise. */
function shownCampaign<C extends { id: string; variants: { id: string }[] }>(experiments: C[], event: Extract<Event, { campaign: string }>): C {
  const campaign = experiments.find((e) => e.id === event.campaign);
  if (!campaign) throw new ApiError("NOT_FOUND", `no experiment "${event.campaign}" on this site`);
  if (!campaign.variants.some((v) => v.id === event.variant)) {
    throw new ApiError("BAD_REQUEST", "the event is invalid; nothing was counted", [
      { path: "variant", message: `"${event.variant}" is not a variant of "${event.campaign}"` },
    ]);
  }
  return campaign;
}

function shardEventOf(event: Event, unit: string, at: number, windowMs: number): ShardEvent {
  switch (event.type) {
    case "click":
    case "dismiss":
      return { kind: event.type, unit, variant: event.variant, at, windowMs };
    case "add_to_cart":
      return { kind: "add_to_cart", unit, at, windowMs };
    case "purchase":
      return { kind: "purchase", unit, at, windowMs, orderId: event.order_id, value: event.value, currency: event.currency };
  }
}
