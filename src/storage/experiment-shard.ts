/**
 * @module ExperimentShard: one Durable Object per (site, experiment, shard), with SQLite storage. A unit (a
 * keyed hash of the customer id, else of the visitor id: never the raw id) always lands in the same shard, so
 * each shard alone can dedupe its units' exposures, orders and events, and the results add the shards up. A refund
 * names an order, not a unit, so every shard of the experiment keeps every refund and nets it against its own orders.
 * A unit keeps from its first exposure its CUPED covariate and the set of segment cells it was in (hashed by the
 * Worker), which the aggregates break every figure down by in the same pass.
 *
 * Why EXPERIMENT_SHARDS = 16: one Durable Object runs one request at a time and does a few thousand small
 * SQLite writes a second; 16 of them take tens of thousands of exposures and events a second for one hot
 * experiment, while the results only have 16 objects to ask.
 */
import { DurableObject } from "cloudflare:workers";
import type { ExperimentCounts, KeptOutCounts, RevenueCounts, SegmentCell, VariantCounts } from "../core/experiment-results";
import { addUpCounts } from "../core/experiment-counts";
import { EXPERIMENT_SHARD_MIGRATIONS } from "./experiment-shard-migrations";
import { isStringArray, readRows } from "./sql-rows";
import { migrate } from "./sql-migrations";

export const EXPERIMENT_SHARDS = 16;

/** Events one unit may send to one experiment per hour; more are refused, counted nowhere. */
export const EVENTS_PER_UNIT_PER_HOUR = 60;

export interface ExposureRecord {
  unit: string;
  variant: string;
  at: number;
  /** The unit's CUPED covariate (experiment.covariate of its membership); 0 when absent. Kept from the first exposure. */
  covariate?: number;
  /** The unit's segment cells at exposure (keyed hashes, or a marker cell); at most MAX_UNIT_SEGMENTS, from the first exposure. */
  segments?: readonly string[];
}

/**
 * Segments kept per unit: the breakdown's cells cost a row each per unit, so a customer in many segments is counted in
 * the first MAX_UNIT_SEGMENTS of them (in the config's precedence order, the caller's choice).
 */
export const MAX_UNIT_SEGMENTS = 8;

export type ShardEvent =
  | { kind: "click" | "dismiss"; unit: string; variant: string; at: number; windowMs: number }
  | { kind: "add_to_cart"; unit: string; at: number; windowMs: number }
  | {
      kind: "purchase";
      unit: string;
      at: number;
      windowMs: number;
      orderId: string;
      /** In major units, already capped at the site's order value cap. */
      value: number;
      currency: string;
      /** Whether the order was above the cap, so `value` is the cap. */
      capped: boolean;
    }
  | RefundEvent
  | KeptOutEvent;

/**
 * A refund of an order, from the store's backend (src/routes/refunds.ts). It names no unit: it goes to every shard of
 * the experiment, and each shard keeps it for the order, whenever the order comes or came, window or not.
 */
export interface RefundEvent {
  kind: "refund";
  orderId: string;
  /** The store's id of this refund; "" when it sent none (then one refund per order). */
  refundId: string;
  /** In major units of `currency`; reduces only an order in that currency. */
  value: number;
  currency: string;
  at: number;
}

/** A bot's page request that would have reached the experiment, or a bot's event dropped for it (counted, nothing else). */
export interface KeptOutEvent {
  kind: "kept_out";
  source: KeptOutSource;
  at: number;
}

export type KeptOutSource = "requests" | "events";

/** The events of one unit: what `count` reads the unit's row for. */
type UnitEvent = Exclude<ShardEvent, RefundEvent | KeptOutEvent>;

/** What became of an event: only "counted" changed anything. */
export type EventOutcome = "counted" | "not_exposed" | "outside_window" | "duplicate_order" | "rate_limited" | "duplicate_refund";

/** What became of a queued event: as `record` says, or seen before (a redelivery), or too old to tell. */
export type QueuedEventOutcome = EventOutcome | "duplicate_event" | "expired";

/** An event from the events queue, with the id it was given when the route accepted it (one id for all its shards). */
export interface QueuedShardEvent {
  id: string;
  event: ShardEvent;
}

interface UnitRow {
  variant: string;
  first_at: number;
  rate_start: number;
  rate_count: number;
  [key: string]: SqlStorageValue;
}

const HOUR_MS = 3_600_000;

/**
 * How long a shard remembers the id of a queued event it took, counted from the event's time. A redelivery comes
 * within minutes (the consumer's retries); a day also covers a consumer down for hours. An event that arrives later
 * than that is dropped ("expired") rather than risk counting it twice, so the remembered ids are at most a day's
 * events of this shard.
 */
export const SEEN_EVENTS_MS = 24 * HOUR_MS;

// It reads no binding: `object`, so that any env (the Worker's Env) fits without storage naming env.ts.
export class ExperimentShard extends DurableObject<object> {
  private readonly sql: SqlStorage;

  constructor(ctx: DurableObjectState, env: object) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(ctx.storage, EXPERIMENT_SHARD_MIGRATIONS);
  }

  /**
   * Records exposures: a unit's first one fixes its variant, time, covariate and segments; a later one moves its last
   * time, and another variant flags the unit. One transaction: a failure writes none of the batch, and the Worker's
   * next page view sends it again.
   */
  expose(records: ExposureRecord[]): number {
    this.ctx.storage.transactionSync(() => {
      for (const { unit, variant, at, covariate, segments } of records) {
        const fresh =
          this.sql
            .exec(
              "INSERT INTO units (unit, variant, first_at, last_at, covariate, segment_set) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (unit) DO NOTHING RETURNING 1",
              unit,
              variant,
              at,
              at,
              covariate ?? 0,
              this.segmentSet(segments ?? []),
            )
            .toArray().length > 0;
        if (!fresh) this.sql.exec("UPDATE units SET last_at = MAX(last_at, ?), multiple = multiple OR (variant <> ?) WHERE unit = ?", at, variant, unit);
      }
    });
    return records.length;
  }

  /** The id of a set of segment cells (at most MAX_UNIT_SEGMENTS, in a canonical order), added when new; null for none. */
  private segmentSet(segments: readonly string[]): number | null {
    const cells = [...new Set(segments.slice(0, MAX_UNIT_SEGMENTS))].sort();
    if (cells.length === 0) return null;
    const text = JSON.stringify(cells);
    // Looked up, not cached in the object: an id handed out by a transaction that then rolls back could go to another set.
    const known = this.sql.exec<{ id: number }>("SELECT id FROM segment_sets WHERE cells = ?", text).toArray()[0];
    return known ? known.id : this.sql.exec<{ id: number }>("INSERT INTO segment_sets (cells) VALUES (?) RETURNING id", text).one().id;
  }

  /**
   * Counts a batch of queued events, each at most once: an id seen within SEEN_EVENTS_MS counts nothing again
   * (the queue delivers at least once). All or nothing: the ids are remembered in the same transaction as the
   * counts, so a failure leaves neither and the redelivered batch counts in full.
   */
  recordQueued(events: readonly QueuedShardEvent[]): QueuedEventOutcome[] {
    const now = Date.now();
    return this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM seen_events WHERE at < ?", now - SEEN_EVENTS_MS);
      return events.map(({ id, event }): QueuedEventOutcome => {
        if (event.at < now - SEEN_EVENTS_MS) return "expired";
        const fresh = this.sql.exec("INSERT INTO seen_events (id, at) VALUES (?, ?) ON CONFLICT (id) DO NOTHING RETURNING id", id, event.at).toArray().length > 0;
        return fresh ? this.countAny(event) : "duplicate_event";
      });
    });
  }

  /**
   * Counts one event for a unit exposed to the experiment, inside its conversion window; a refund for its order,
   * whatever unit and whenever; a bot kept out.
   */
  record(event: ShardEvent): EventOutcome {
    return this.ctx.storage.transactionSync(() => this.countAny(event));
  }

  private countAny(event: ShardEvent): EventOutcome {
    switch (event.kind) {
      case "refund":
        return this.refund(event);
      case "kept_out":
        this.sql.exec("INSERT INTO kept_out (source, n) VALUES (?, 1) ON CONFLICT (source) DO UPDATE SET n = n + 1", event.source);
        return "counted";
      default:
        return this.count(event);
    }
  }

  /**
   * Keeps a refund for its order, once per (order id, refund id): the store sending it again (after a 503, say) adds
   * nothing. No unit, no window: the order it reduces may come later, or may have come weeks ago.
   */
  private refund(event: RefundEvent): EventOutcome {
    const inserted =
      this.sql
        .exec(
          "INSERT INTO refunds (order_id, refund_id, value, currency, at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (order_id, refund_id) DO NOTHING RETURNING 1",
          event.orderId,
          event.refundId,
          event.value,
          event.currency,
          event.at,
        )
        .toArray().length > 0;
    return inserted ? "counted" : "duplicate_refund";
  }

  /**
   * `record`'s work, inside the caller's transaction. One read of the unit and one write to it an event (its hourly
   * rate and its flag together), and for a purchase an insert that is its own duplicate check: the consumer does
   * this thousands of times a second at a sale.
   */
  private count(event: UnitEvent): EventOutcome {
    const row = this.sql.exec<UnitRow>("SELECT variant, first_at, rate_start, rate_count FROM units WHERE unit = ?", event.unit).toArray()[0];
    if (!row) return "not_exposed";
    const inWindow = row.rate_start + HOUR_MS > event.at;
    if (inWindow && row.rate_count >= EVENTS_PER_UNIT_PER_HOUR) return "rate_limited";
    const rate = [inWindow ? row.rate_start : event.at, inWindow ? row.rate_count + 1 : 1];
    const spend = () => this.sql.exec("UPDATE units SET rate_start = ?, rate_count = ? WHERE unit = ?", ...rate, event.unit);
    if (event.at < row.first_at || event.at > row.first_at + event.windowMs) {
      spend();
      return "outside_window";
    }

    switch (event.kind) {
      case "click":
        this.sql.exec("UPDATE units SET rate_start = ?, rate_count = ?, clicked = 1, multiple = multiple OR (variant <> ?) WHERE unit = ?", ...rate, event.variant, event.unit);
        return "counted";
      case "dismiss":
        this.sql.exec("UPDATE units SET rate_start = ?, rate_count = ?, multiple = multiple OR (variant <> ?) WHERE unit = ?", ...rate, event.variant, event.unit);
        return "counted";
      case "add_to_cart":
        this.sql.exec("UPDATE units SET rate_start = ?, rate_count = ?, added = 1 WHERE unit = ?", ...rate, event.unit);
        return "counted";
      case "purchase": {
        const inserted = this.sql
          .exec(
            "INSERT INTO orders (unit, order_id, value, currency, at, capped) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (unit, order_id) DO NOTHING RETURNING 1",
            event.unit,
            event.orderId,
            event.value,
            event.currency,
            event.at,
            event.capped ? 1 : 0,
          )
          .toArray().length > 0;
        if (!inserted) {
          spend();
          return "duplicate_order";
        }
        this.sql.exec("UPDATE units SET rate_start = ?, rate_count = ?, purchased = 1 WHERE unit = ?", ...rate, event.unit);
        return "counted";
      }
    }
  }

  /**
   * Per-variant sums of this shard, units seen in several variants left out; the same per segment cell. One GROUP BY
   * pass over the units (and one over their orders for revenue), by variant and segment set: the shard's figures are
   * the sets' added up, and each cell's the sets it is in (a unit in several segments counts in each). Units exposed
   * before segments were stored form the set NULL: in the shard's figures, in no cell.
   */
  aggregates(): ExperimentCounts {
    const sets = new Map<number | null, ExperimentCounts>();
    const set = (id: number | null) => {
      let counts = sets.get(id);
      if (!counts) sets.set(id, (counts = { variants: [], revenue: [], netRevenue: [], multipleVariantUnits: 0 }));
      return counts;
    };
    this.sql
      .exec<VariantRow & { segment_set: number | null }>(
        `SELECT segment_set, variant, ${VARIANT_SUMS}
         FROM units WHERE multiple = 0 GROUP BY segment_set, variant`,
      )
      .toArray()
      .forEach((row) => set(row.segment_set).variants.push(variantCounts(row)));
    this.sql
      .exec<{ segment_set: number | null; variant: string; units: number; x: number }>(
        `SELECT segment_set, variant, COUNT(*) AS units, SUM(covariate) AS x
         FROM units WHERE multiple = 0 AND unit IN (${REFUNDED_UNITS}) GROUP BY segment_set, variant`,
      )
      .toArray()
      .forEach((row) => {
        const v = set(row.segment_set).variants.find((x) => x.variant === row.variant);
        if (v) Object.assign(v, { refunded: row.units, ...(v.covariate ? { covariate: { ...v.covariate, refunded: row.x } } : {}) });
      });
    // Revenue, then revenue after refunds: the same sums over each unit's total per currency.
    const revenueSums = (totals: string) =>
      this.sql
        .exec<RevenueRow & { segment_set: number | null }>(
          `SELECT u.segment_set AS segment_set, u.variant AS variant, ${REVENUE_SUMS}
           FROM ${totals} AS o
           JOIN units AS u ON u.unit = o.unit
           WHERE u.multiple = 0 GROUP BY u.segment_set, u.variant, o.currency`,
        )
        .toArray();
    for (const row of revenueSums(ORDER_TOTALS)) set(row.segment_set).revenue.push(revenueCounts(row));
    for (const row of revenueSums(NET_ORDER_TOTALS)) set(row.segment_set).netRevenue?.push(revenueCounts(row));
    const { variants, revenue, netRevenue = [] } = addUpCounts([...sets.values()]);
    const multipleVariantUnits = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM units WHERE multiple = 1").one().n;
    const byVariantAndCurrency = (a: RevenueCounts, b: RevenueCounts) => compareText(a.variant, b.variant) || compareText(a.currency, b.currency);
    return {
      variants: variants.sort((a, b) => compareText(a.variant, b.variant)),
      revenue: revenue.sort(byVariantAndCurrency),
      multipleVariantUnits,
      netRevenue: netRevenue.sort(byVariantAndCurrency),
      keptOut: this.keptOut(),
      segments: this.segmentCells(sets),
    };
  }

  /** Each segment cell's counts: the sets it is in, added up. */
  private segmentCells(sets: ReadonlyMap<number | null, ExperimentCounts>): SegmentCell[] {
    const byCell = new Map<string, ExperimentCounts[]>();
    for (const row of readRows(this.sql.exec("SELECT id, cells FROM segment_sets"), "segment_sets")) {
      const counts = sets.get(row.integer("id"));
      if (!counts) continue;
      for (const cell of row.json("cells", isStringArray, "a list of segment cells")) byCell.set(cell, [...(byCell.get(cell) ?? []), counts]);
    }
    return [...byCell].map(([cell, counts]) => ({ cell, counts: addUpCounts(counts) }));
  }

  private keptOut(): KeptOutCounts {
    const counts: KeptOutCounts = { requests: 0, events: 0 };
    for (const r of this.sql.exec<{ source: string; n: number }>("SELECT source, n FROM kept_out").toArray()) {
      if (r.source === "requests" || r.source === "events") counts[r.source] = r.n;
    }
    return counts;
  }
}

const compareText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** The sums of `aggregates` per variant (over `units`, aliased or not): its flags, run dates and CUPED's covariate sums. */
const VARIANT_SUMS = `COUNT(*) AS units, SUM(clicked) AS clicked, SUM(added) AS added, SUM(purchased) AS purchased,
  MIN(first_at) AS first, MAX(last_at) AS last, SUM(covariate) AS x, SUM(covariate * covariate) AS xx,
  SUM(clicked * covariate) AS x_clicked, SUM(added * covariate) AS x_added, SUM(purchased * covariate) AS x_purchased`;

interface VariantRow {
  variant: string;
  units: number;
  clicked: number;
  added: number;
  purchased: number;
  first: number;
  last: number;
  x: number;
  xx: number;
  x_clicked: number;
  x_added: number;
  x_purchased: number;
  [key: string]: SqlStorageValue;
}

function variantCounts(r: VariantRow): VariantCounts {
  return {
    variant: r.variant,
    units: r.units,
    clicked: r.clicked,
    addedToCart: r.added,
    purchased: r.purchased,
    refunded: 0,
    firstExposure: r.first,
    lastExposure: r.last,
    covariate: { sum: r.x, sumSquares: r.xx, clicked: r.x_clicked, addedToCart: r.x_added, purchased: r.x_purchased, refunded: 0 },
  };
}

/** Each unit's revenue per currency: the unit's orders added up, so the sums below are over units, not orders. */
const ORDER_TOTALS = "(SELECT unit, currency, SUM(value) AS total, SUM(capped) AS capped FROM orders GROUP BY unit, currency)";

/** An order's refunds in its currency: looked up by the refunds' key, which starts with the order id. */
const ORDER_REFUNDS = "(SELECT SUM(r.value) FROM refunds AS r WHERE r.order_id = d.order_id AND r.currency = d.currency)";
/**
 * Each unit's revenue per currency after refunds. An order's refunds (in its currency: a refund in another one has no
 * rate to convert it and reduces nothing) count up to the order's counted value, so an order never goes below 0 and a
 * capped order is refunded from its cap. `buyers` below are still the units with an order. Each order looks up its own
 * refunds, so the work follows this shard's orders, not every refund of the store that every shard keeps.
 */
const NET_ORDER_TOTALS = `(SELECT d.unit AS unit, d.currency AS currency, SUM(d.value - MIN(d.value, COALESCE(${ORDER_REFUNDS}, 0))) AS total, SUM(d.capped) AS capped
  FROM orders AS d GROUP BY d.unit, d.currency)`;

/** The units with at least one counted order that has a refund in its currency. */
const REFUNDED_UNITS = "SELECT d.unit FROM orders AS d WHERE EXISTS (SELECT 1 FROM refunds AS r WHERE r.order_id = d.order_id AND r.currency = d.currency)";

const REVENUE_SUMS = `o.currency AS currency, COUNT(*) AS buyers, SUM(o.total) AS sum, SUM(o.total * o.total) AS squares,
  SUM(o.capped) AS capped, SUM(o.total * u.covariate) AS products`;

interface RevenueRow {
  variant: string;
  currency: string;
  buyers: number;
  sum: number;
  squares: number;
  capped: number;
  products: number;
  [key: string]: SqlStorageValue;
}

function revenueCounts(r: RevenueRow): RevenueCounts {
  return { variant: r.variant, currency: r.currency, buyers: r.buyers, sum: r.sum, sumSquares: r.squares, cappedOrders: r.capped, sumProducts: r.products };
}
