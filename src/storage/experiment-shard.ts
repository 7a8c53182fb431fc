/**
 * @module ExperimentShard: one Durable Object per (site, experiment, shard), with SQLite storage. A unit (a
 * keyed hash of the customer id, else of the visitor id: never the raw id) always lands in the same shard, so
 * each shard alone can dedupe its units' exposures, orders and events, and the results add the shards up. A refund
 * names an order, not a unit, so every shard of the experiment keeps every refund and nets it against its own orders.
 *
 * Why EXPERIMENT_SHARDS = 16: one Durable Object runs one request at a time and does a few thousand small
 * SQLite writes a second; 16 of them take tens of thousands of exposures and events a second for one hot
 * experiment, while the results only have 16 objects to ask.
 */
import { DurableObject } from "cloudflare:workers";
import type { ExperimentCounts, KeptOutCounts, RevenueCounts } from "../core/experiment-results";
import { EXPERIMENT_SHARD_MIGRATIONS } from "./experiment-shard-migrations";
import { migrate } from "./sql-migrations";

export const EXPERIMENT_SHARDS = 16;

/** Events one unit may send to one experiment per hour; more are refused, counted nowhere. */
export const EVENTS_PER_UNIT_PER_HOUR = 60;

export interface ExposureRecord {
  unit: string;
  variant: string;
  at: number;
}

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

  /** Records exposures: a unit's first one fixes its variant and time; another variant flags the unit. */
  expose(records: ExposureRecord[]): number {
    for (const { unit, variant, at } of records) {
      this.sql.exec(
        `INSERT INTO units (unit, variant, first_at, last_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (unit) DO UPDATE SET
           last_at = MAX(last_at, excluded.last_at),
           multiple = multiple OR (variant <> excluded.variant)`,
        unit,
        variant,
        at,
        at,
      );
    }
    return records.length;
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

  /** Per-variant sums of this shard, units seen in several variants left out. */
  aggregates(): ExperimentCounts {
    const variants = this.sql
      .exec<{ variant: string; units: number; clicked: number; added: number; purchased: number; first: number; last: number }>(
        `SELECT variant, COUNT(*) AS units, SUM(clicked) AS clicked, SUM(added) AS added, SUM(purchased) AS purchased,
                MIN(first_at) AS first, MAX(last_at) AS last
         FROM units WHERE multiple = 0 GROUP BY variant ORDER BY variant`,
      )
      .toArray()
      .map((r) => ({
        variant: r.variant,
        units: r.units,
        clicked: r.clicked,
        addedToCart: r.added,
        purchased: r.purchased,
        firstExposure: r.first,
        lastExposure: r.last,
      }));
    const revenue = this.sql
      .exec<{ variant: string; currency: string; buyers: number; sum: number; squares: number; capped: number }>(
        `SELECT u.variant AS variant, o.currency AS currency, COUNT(*) AS buyers, SUM(o.total) AS sum, SUM(o.total * o.total) AS squares,
                SUM(o.capped) AS capped
         FROM (SELECT unit, currency, SUM(value) AS total, SUM(capped) AS capped FROM orders GROUP BY unit, currency) AS o
         JOIN units AS u ON u.unit = o.unit
         WHERE u.multiple = 0 GROUP BY u.variant, o.currency ORDER BY u.variant, o.currency`,
      )
      .toArray()
      .map((r) => ({ variant: r.variant, currency: r.currency, buyers: r.buyers, sum: r.sum, sumSquares: r.squares, cappedOrders: r.capped }));
    const multipleVariantUnits = this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM units WHERE multiple = 1").one().n;
    const refunded = new Map(this.refundedUnits().map((r) => [r.variant, r.units]));
    return {
      variants: variants.map((v) => ({ ...v, refunded: refunded.get(v.variant) ?? 0 })),
      revenue,
      multipleVariantUnits,
      netRevenue: this.netRevenue(),
      keptOut: this.keptOut(),
    };
  }

  /**
   * Per variant and currency, sums over units of each unit's revenue after refunds, and of its square. An order's
   * refunds (in its currency: a refund in another one has no rate to convert it and reduces nothing) count up to the
   * order's counted value, so an order never goes below 0 and a capped order is refunded from its cap.
   */
  private netRevenue(): RevenueCounts[] {
    return this.sql
      .exec<{ variant: string; currency: string; buyers: number; sum: number; squares: number; capped: number }>(
        `SELECT u.variant AS variant, o.currency AS currency, COUNT(*) AS buyers, SUM(o.net) AS sum, SUM(o.net * o.net) AS squares,
                SUM(o.capped) AS capped
         FROM (SELECT d.unit AS unit, d.currency AS currency, SUM(d.value - MIN(d.value, COALESCE(r.refunded, 0))) AS net, SUM(d.capped) AS capped
               FROM orders AS d
               LEFT JOIN (SELECT order_id, currency, SUM(value) AS refunded FROM refunds GROUP BY order_id, currency) AS r
                 ON r.order_id = d.order_id AND r.currency = d.currency
               GROUP BY d.unit, d.currency) AS o
         JOIN units AS u ON u.unit = o.unit
         WHERE u.multiple = 0 GROUP BY u.variant, o.currency ORDER BY u.variant, o.currency`,
      )
      .toArray()
      .map((r) => ({ variant: r.variant, currency: r.currency, buyers: r.buyers, sum: r.sum, sumSquares: r.squares, cappedOrders: r.capped }));
  }

  /** Per variant, the units with at least one counted order that has a refund in its currency. */
  private refundedUnits(): { variant: string; units: number }[] {
    return this.sql
      .exec<{ variant: string; units: number }>(
        `SELECT u.variant AS variant, COUNT(DISTINCT d.unit) AS units
         FROM orders AS d
         JOIN refunds AS r ON r.order_id = d.order_id AND r.currency = d.currency
         JOIN units AS u ON u.unit = d.unit
         WHERE u.multiple = 0 GROUP BY u.variant`,
      )
      .toArray();
  }

  private keptOut(): KeptOutCounts {
    const counts: KeptOutCounts = { requests: 0, events: 0 };
    for (const r of this.sql.exec<{ source: string; n: number }>("SELECT source, n FROM kept_out").toArray()) {
      if (r.source === "requests" || r.source === "events") counts[r.source] = r.n;
    }
    return counts;
  }
}
