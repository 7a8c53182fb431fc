/**
 * @module Where an experiment's counts live and how the Worker writes them: a unit's key (an HMAC of the
 * customer or visitor id, so no raw id reaches storage), its shard, and the shard objects of an experiment.
 */
import { fnv1a32 } from "../core/bucket";
import type { Exposure, VisitorContext } from "../core/decide";
import type { ExperimentCounts, KeptOutCounts, RevenueCounts, VariantCounts } from "../core/experiment-results";
import { hmacHex } from "../platform/crypto";
import type { ExperimentShard } from "./experiment-shard";
import { EXPERIMENT_SHARDS } from "./experiment-shard";

type Unit = Pick<VisitorContext, "customerId" | "visitorId">;

/** What the counting needs of the Worker's bindings (a part of env.ts's Env): the shards and the unit keys' secret. */
export interface ExperimentBindings {
  EXPERIMENTS: DurableObjectNamespace<ExperimentShard>;
  SIGNING_SECRET: string;
}

/** Who is counted: the customer when signed in, else the visitor; the two kinds never collide. */
function unitOf(context: Unit): string {
  return context.customerId !== null ? `customer\n${context.customerId}` : `visitor\n${context.visitorId}`;
}

/** The stored identity of a unit: a keyed hash, so no raw id is readable in storage. */
export function unitKey(secret: string, context: Unit): Promise<string> {
  return hmacHex(secret, `unit\n${unitOf(context)}`);
}

export function shardOf(unit: string): number {
  return fnv1a32(unit) % EXPERIMENT_SHARDS;
}

export function experimentShard(env: Pick<ExperimentBindings, "EXPERIMENTS">, site: string, experiment: string, shard: number) {
  return env.EXPERIMENTS.get(env.EXPERIMENTS.idFromName(`${site}\n${experiment}\n${shard}`));
}

// Isolate-wide: exposures this isolate wrote lately. A visitor's next page views repeat the same exposure; the
// shard would dedupe them anyway, so skipping them saves a write (and an HMAC) per page view. Only the unit's
// last exposure time is less precise for it, by at most RECENT_MS.
const recent = new Map<string, number>();
const RECENT_MS = 10 * 60_000;
const RECENT_MAX = 50_000;

const recentKey = (site: string, e: Exposure, context: Unit) => `${site}\n${e.experiment}\n${e.variant}\n${unitOf(context)}`;

/** The exposures not written by this isolate within RECENT_MS, now marked as written (unmarked if the write fails). */
export function exposuresToLog(site: string, exposures: readonly Exposure[], context: VisitorContext, now: number): Exposure[] {
  return exposures.filter((e) => {
    const key = recentKey(site, e, context);
    const at = recent.get(key);
    if (at !== undefined && now - at < RECENT_MS) return false;
    if (recent.size >= RECENT_MAX) recent.clear();
    recent.set(key, now);
    return true;
  });
}

/** Writes a decision's exposures; meant for `waitUntil`, so it logs failures instead of throwing. */
export async function logExposures(env: ExperimentBindings, site: string, exposures: readonly Exposure[], context: VisitorContext, at: number): Promise<void> {
  if (exposures.length === 0) return;
  try {
    const unit = await unitKey(env.SIGNING_SECRET, context);
    const shard = shardOf(unit);
    await Promise.all(exposures.map((e) => experimentShard(env, site, e.experiment, shard).expose([{ unit, variant: e.variant, at }])));
  } catch (error) {
    // Not written: the next page view tries again.
    for (const e of exposures) recent.delete(recentKey(site, e, context));
    console.error(`valuebar: exposures of site ${site} not recorded`, error);
  }
}

/** Every shard's sums for one experiment, added up per variant (and per variant and currency for revenue). */
export async function experimentAggregates(env: Pick<ExperimentBindings, "EXPERIMENTS">, site: string, experiment: string): Promise<ExperimentCounts> {
  const shards = await Promise.all(
    Array.from({ length: EXPERIMENT_SHARDS }, (_, shard) => experimentShard(env, site, experiment, shard).aggregates()),
  );
  const variants = new Map<string, VariantCounts>();
  const revenue = new Map<string, RevenueCounts>();
  let multipleVariantUnits = 0;
  const netRevenue = new Map<string, RevenueCounts>();
  const keptOut: KeptOutCounts = { requests: 0, events: 0 };
  for (const shard of shards) {
    addRevenue(netRevenue, shard.netRevenue ?? []);
    keptOut.requests += shard.keptOut?.requests ?? 0;
    keptOut.events += shard.keptOut?.events ?? 0;
    multipleVariantUnits += shard.multipleVariantUnits;
    for (const v of shard.variants) {
      const sum = variants.get(v.variant);
      variants.set(
        v.variant,
        sum
          ? {
              variant: v.variant,
              units: sum.units + v.units,
              clicked: sum.clicked + v.clicked,
              addedToCart: sum.addedToCart + v.addedToCart,
              purchased: sum.purchased + v.purchased,
              refunded: (sum.refunded ?? 0) + (v.refunded ?? 0),
              firstExposure: Math.min(sum.firstExposure, v.firstExposure),
              lastExposure: Math.max(sum.lastExposure, v.lastExposure),
            }
          : { ...v },
      );
    }
    for (const r of shard.revenue) {
      const key = `${r.variant}\n${r.currency}`;
      const sum = revenue.get(key);
      revenue.set(
        key,
        sum
          ? { ...sum, buyers: sum.buyers + r.buyers, sum: sum.sum + r.sum, sumSquares: sum.sumSquares + r.sumSquares, cappedOrders: sum.cappedOrders + r.cappedOrders }
          : { ...r },
      );
    }
  }
  return { variants: [...variants.values()], revenue: [...revenue.values()], multipleVariantUnits, netRevenue: [...netRevenue.values()], keptOut };
}

/** Adds one shard's per-variant, per-currency sums into `sums`. */
function addRevenue(sums: Map<string, RevenueCounts>, rows: readonly RevenueCounts[]): void {
  for (const r of rows) {
    const key = `${r.variant}\n${r.currency}`;
    const sum = sums.get(key);
    sums.set(
      key,
      sum ? { ...sum, buyers: sum.buyers + r.buyers, sum: sum.sum + r.sum, sumSquares: sum.sumSquares + r.sumSquares, cappedOrders: sum.cappedOrders + r.cappedOrders } : { ...r },
    );
  }
}
