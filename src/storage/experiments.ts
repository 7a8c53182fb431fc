/**
 * @module Where an experiment's counts live and how the Worker writes them: a unit's key (an HMAC of the
 * customer or visitor id, so no raw id reaches storage), its shard, and the shard objects of an experiment.
 */
import { fnv1a32 } from "../core/bucket";
import type { Exposure, VisitorContext } from "../core/decide";
import { addUpCounts } from "../core/experiment-counts";
import type { ExperimentCounts } from "../core/experiment-results";
import { ANONYMOUS_CELL, NO_SEGMENT_CELL } from "../core/exposure-unit";
import { hmacHex } from "../platform/crypto";
import type { ExperimentShard } from "./experiment-shard";
import { EXPERIMENT_SHARDS, MAX_UNIT_SEGMENTS } from "./experiment-shard";

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

/**
 * The stored name of a segment cell: a keyed hash of the site and segment id (no segment name is readable in the
 * shards), 16 hex digits, enough to tell a site's hundred segments apart; the marker cells (src/core/exposure-unit.ts)
 * as they are. The results hash the live config's segments the same way to name the cells back.
 */
export async function segmentCellKey(secret: string, site: string, segment: string): Promise<string> {
  if (segment === ANONYMOUS_CELL || segment === NO_SEGMENT_CELL) return segment;
  return (await hmacHex(secret, `segment\n${site}\n${segment}`)).slice(0, 16);
}

/**
 * Writes a decision's exposures; meant for `waitUntil`, so it logs failures instead of throwing. Each carries the
 * unit's covariate for its experiment and the unit's segments at exposure (src/core/exposure-unit.ts), which the
 * shard keeps from the unit's first exposure.
 */
export async function logExposures(
  env: ExperimentBindings,
  site: string,
  exposures: readonly (Exposure & { covariate?: number })[],
  context: VisitorContext,
  at: number,
  segments: readonly string[] = [],
): Promise<void> {
  if (exposures.length === 0) return;
  try {
    const [unit, cells] = await Promise.all([
      unitKey(env.SIGNING_SECRET, context),
      Promise.all(segments.slice(0, MAX_UNIT_SEGMENTS).map((s) => segmentCellKey(env.SIGNING_SECRET, site, s))),
    ]);
    const shard = shardOf(unit);
    await Promise.all(
      exposures.map((e) =>
        experimentShard(env, site, e.experiment, shard).expose([
          { unit, variant: e.variant, at, ...(e.covariate !== undefined ? { covariate: e.covariate } : {}), ...(cells.length > 0 ? { segments: cells } : {}) },
        ]),
      ),
    );
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
  return addUpCounts(shards);
}
