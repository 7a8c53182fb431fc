/**
 * @module The schema of an ExperimentShard object, as numbered steps (sql-migrations.ts applies them; a change is a
 * new step at the end). Each step leaves alone what an object made before the numbering may already have.
 */
import type { Migration } from "./sql-migrations";
import { addMissingColumns } from "./sql-migrations";

export const EXPERIMENT_SHARD_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    adds: "units (exposures, flags, the per-unit event rate) and orders",
    apply: (sql) => {
      sql.exec(`CREATE TABLE IF NOT EXISTS units (
        unit TEXT PRIMARY KEY,
        variant TEXT NOT NULL,
        first_at INTEGER NOT NULL,
        last_at INTEGER NOT NULL,
        multiple INTEGER NOT NULL DEFAULT 0,
        clicked INTEGER NOT NULL DEFAULT 0,
        added INTEGER NOT NULL DEFAULT 0,
        purchased INTEGER NOT NULL DEFAULT 0,
        rate_start INTEGER NOT NULL DEFAULT 0,
        rate_count INTEGER NOT NULL DEFAULT 0
      )`);
      // An order counts once for its unit. Per unit, not per shard: an order id someone else guessed and sent
      // first must not shut out the real buyer's purchase.
      sql.exec(`CREATE TABLE IF NOT EXISTS orders (
        unit TEXT NOT NULL,
        order_id TEXT NOT NULL,
        value REAL NOT NULL,
        currency TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (unit, order_id)
      )`);
    },
  },
  {
    version: 2,
    adds: "orders.capped (the order was above the site's order value cap and counts at the cap)",
    apply: (sql) => addMissingColumns(sql, "orders", { capped: "INTEGER NOT NULL DEFAULT 0" }),
  },
  {
    version: 3,
    adds: "seen_events (the ids of the queued events this shard has counted, for SEEN_EVENTS_MS, so a redelivery counts nothing)",
    apply: (sql) => {
      sql.exec("CREATE TABLE IF NOT EXISTS seen_events (id TEXT PRIMARY KEY, at INTEGER NOT NULL)");
      // Pruning walks the oldest ids first.
      sql.exec("CREATE INDEX IF NOT EXISTS seen_events_at ON seen_events (at)");
    },
  },
  {
    version: 4,
    adds: "refunds (per order id and refund id, whatever unit the order is of) and kept_out (bot requests and events kept out of the experiment)",
    apply: (sql) => {
      // Every shard of an experiment keeps every refund (the store's backend knows the order, not the unit), so a
      // refund that comes before its purchase, or weeks after it, still meets it. Keyed by order and refund id:
      // partial refunds add up, the same refund sent again counts once ("" when the store gives no refund id).
      sql.exec(`CREATE TABLE IF NOT EXISTS refunds (
        order_id TEXT NOT NULL,
        refund_id TEXT NOT NULL,
        value REAL NOT NULL,
        currency TEXT NOT NULL,
        at INTEGER NOT NULL,
        PRIMARY KEY (order_id, refund_id)
      )`);
      sql.exec("CREATE TABLE IF NOT EXISTS kept_out (source TEXT PRIMARY KEY, n INTEGER NOT NULL)");
    },
  },
  {
    version: 5,
    adds: "units.covariate (the unit's CUPED covariate at its first exposure, 0 without one), units.segment_set and segment_sets (its hashed segments then)",
    apply: (sql) => {
      // segment_set NULL: exposed before segments were stored, in no cell of the per-segment results.
      addMissingColumns(sql, "units", { covariate: "REAL NOT NULL DEFAULT 0", segment_set: "INTEGER" });
      // The distinct sets of segment cells this shard's units were in at exposure: few (a store's segments combine in
      // few ways), so the per-segment counts are one GROUP BY over units, added up per cell after.
      sql.exec("CREATE TABLE IF NOT EXISTS segment_sets (id INTEGER PRIMARY KEY, cells TEXT NOT NULL UNIQUE)");
    },
  },
];
