/**
 * @module The hot path shared by the snippet and decide routes: live config from the isolate cache,
 * at most one KV read (the identified visitor's membership), the pure decision. It never throws:
 * when KV or the config fails or is slow, it answers the default decision (or none) in bounded time.
 *
 * Its work is bounded by constants and the config's size, never by what the visitor sends: visitor.ts reads each
 * query value and header within a fixed length, path patterns are matched without backtracking
 * (core/path-pattern.ts), and at most two KV reads are made (the config, unless cached, and the membership).
 */
import type { Config } from "../core/config-schema";
import type { Decision, Membership } from "../core/decide";
import type { QueryReader } from "../core/query";
import { decide, emptyDecision } from "../core/decide";
import { exposureCovariate, segmentsAtExposure } from "../core/exposure-unit";
import type { Env } from "../env";
import { eventsToken } from "../platform/events-token";
import { exposuresToLog, logExposures, unitKey } from "../storage/experiments";
import { readLiveConfig, usableConfig } from "../storage/live-config";
import { readMembership } from "../storage/memberships";
import { countKeptOut, experimentsBotWouldReach } from "./kept-out";
import { resolveVisitor } from "./visitor";

/** How long the hot path waits for KV before it gives up and answers without. */
export const CONFIG_TIMEOUT_MS = 1_000;
export const MEMBERSHIP_TIMEOUT_MS = 500;

export type ServedDecision =
  | { kind: "unknown-site"; kvReads: number }
  | {
      kind: "decision";
      decision: Decision;
      newVisitorId?: string;
      /** For a signed-in customer who consents: the short-lived token their beacons count with (src/platform/events-token.ts). */
      eventsToken?: string;
      consent: boolean;
      kvReads: number;
      degraded: boolean;
    };

/**
 * The decision for this request. Its experiment exposures are counted in the background: `count` gets the counting
 * as a function, which the routes start at once under `ctx.waitUntil`, so counting never delays the answer, and
 * which edge mode holds until it knows the page was written with this decision (src/edge/proxy.ts).
 */
export async function serveDecision(
  env: Env,
  site: string,
  request: Request,
  /** The request's query (core/query.ts's queryOf, or a URLSearchParams). */
  query: QueryReader,
  count: (work: () => Promise<unknown>) => void,
  /** A draft to decide on instead of the live config (a preview link): nothing is counted then. */
  draft?: Config,
): Promise<ServedDecision> {
  const [visitor, read] = await Promise.all([
    resolveVisitor(request, query, env.SIGNING_SECRET),
    draft ? ({ status: "ok", live: { version: 0, publishedAt: "", config: draft }, kvReads: 0 } as const) : readLiveConfig(env.KV, site, CONFIG_TIMEOUT_MS),
  ]);
  const { context, newVisitorId, bot } = visitor;
  if (read.status === "unknown") return { kind: "unknown-site", kvReads: read.kvReads };
  // Without consent the browser keeps nothing, so there is no visitor id or events token to hand out. The token's
  // two HMACs run while the membership is read (customerEventsToken never rejects).
  const signing = context.consent && context.customerId !== null ? customerEventsToken(env.SIGNING_SECRET, site, context.customerId) : undefined;
  const extra = async () => {
    const token = await signing;
    return { consent: context.consent, ...(newVisitorId && context.consent ? { newVisitorId } : {}), ...(token ? { eventsToken: token } : {}) };
  };
  const live = usableConfig(read);
  if (read.status === "failed" && read.kvReads > 0) console.error(`valuebar: config of ${site} unavailable`, read.error);
  if (!live) return { kind: "decision", decision: emptyDecision(context), kvReads: read.kvReads, degraded: true, ...(await extra()) };

  let membership: Membership | null = null;
  let kvReads = read.kvReads;
  let degraded = read.status === "failed";
  if (context.customerId !== null) {
    kvReads++;
    try {
      membership = await readMembership(env.KV, env.SIGNING_SECRET, site, context.customerId, MEMBERSHIP_TIMEOUT_MS);
    } catch (error) {
      console.error(`valuebar: membership read failed for site ${site}`, error);
      degraded = true;
    }
  }
  const rest = await extra();
  const now = Date.now();
  let decision: Decision;
  try {
    decision = decide(live.config, membership, context, now);
  } catch (error) {
    // Only a config that bypassed validation can get here; the store still gets a valid, empty answer.
    console.error(`valuebar: decision failed for site ${site}`, error);
    return { kind: "decision", decision: emptyDecision(context), kvReads, degraded: true, ...rest };
  }
  if (bot && !draft) {
    // Off the answer, like the exposures: which experiments the bot would have reached is worked out when it runs.
    count(async () => countKeptOut(env.EVENTS, site, "requests", () => experimentsBotWouldReach(live.config, context, now)));
  }
  try {
    // Which exposures this isolate still has to write is asked when the counting runs: held by edge mode for a
    // page that then goes out without them, they stay unwritten, and the next page counts them.
    // The membership read above gives the unit's covariate and segments at exposure: no read of their own.
    if (!draft && decision.exposures.length > 0) {
      const config = live.config;
      count(async () => {
        const exposures = exposuresToLog(site, decision.exposures, context, now).map((e) => ({
          ...e,
          covariate: exposureCovariate(config.campaigns.find((c) => c.id === e.campaign), membership, now),
        }));
        return logExposures(env, site, exposures, context, now, segmentsAtExposure(config.segments, membership, context.customerId, now));
      });
    }
  } catch (error) {
    // Counting must never cost the shopper their message.
    console.error(`valuebar: exposures of site ${site} not scheduled`, error);
  }
  return { kind: "decision", decision, kvReads, degraded, ...rest };
}

/**
 * The events token of a signed-in customer (the store's `sig` stays on the store's page; the browser keeps only
 * this); none for an anonymous visitor, or when signing fails (their beacons then count as the visitor's).
 */
async function customerEventsToken(secret: string, site: string, customerId: string): Promise<string | undefined> {
  try {
    return await eventsToken(secret, site, await unitKey(secret, { customerId, visitorId: "" }), Date.now());
  } catch (error) {
    console.error(`valuebar: events token of site ${site} not made`, error);
    return undefined;
  }
}

/**
 * The `Server-Timing` header of a served decision: KV reads made, and `degraded` when KV or the config failed
 * and the answer fell back (stale config, no membership, or nothing), for the store's developer tools.
 */
export function serverTiming(served: ServedDecision): string {
  return `kv;desc="reads=${served.kvReads}"${served.kind === "decision" && served.degraded ? ", degraded" : ""}`;
}
