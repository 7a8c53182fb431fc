/**
 * @module The SiteAdmin's schema steps (src/storage/site-admin-migrations.ts) and the runner (sql-migrations.ts),
 * on real SQLite: a new object gets every table and column the code reads, an object made before the steps were
 * numbered (tables of an older shape, no recorded version) is upgraded without losing a row and then works, only
 * the steps an object lacks run, and a run is one transaction.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { SiteAdmin } from "../../src/storage/site-admin";
import { SITE_ADMIN_MIGRATIONS } from "../../src/storage/site-admin-migrations";
import type { Migration } from "../../src/storage/sql-migrations";
import { migrate, schemaVersion } from "../../src/storage/sql-migrations";
import { columnsOf, dropAllTables, freshSiteAdmin, withSiteStorage } from "./objects";

/** Every column the SiteAdmin's modules read or write, table by table. */
const SCHEMA = {
  versions: ["version", "created_at", "note", "author", "config", "changes"],
  meta: ["key", "value"],
  tokens: ["name", "role", "hash", "created_at", "created_by"],
  audit: ["id", "at", "actor", "action", "summary"],
  members: ["key", "segments", "expires_at", "sync", "updated_at", "pending", "covariates"],
  syncs: ["id", "started_at", "finished_at", "next_line"],
};

const schemaOf = (sql: SqlStorage) => Object.fromEntries(Object.keys(SCHEMA).map((table) => [table, columnsOf(sql, table)]));

const CONFIG = { segments: ["vip"], campaigns: [{ id: "vip-bar", placement: "topbar", audience: { segments: { any: ["vip"] } }, variants: [{ id: "a", weight: 100, message: { text: "Hello VIP" } }] }], defaults: {} };
const CONFIG_2 = { ...CONFIG, campaigns: [{ ...CONFIG.campaigns[0], variants: [{ id: "a", weight: 100, message: { text: "Welcome back" } }] }] };

describe("a new SiteAdmin object", () => {
  it("has every table and column its modules use, at the last step", async () => {
    const { schema, version } = await withSiteStorage((storage) => ({ schema: schemaOf(storage.sql), version: schemaVersion(storage.sql) }));
    expect(schema).toEqual(SCHEMA);
    expect(version).toBe(SITE_ADMIN_MIGRATIONS.length);
  });

  it("numbers its steps 1, 2, 3, ... with what each adds", () => {
    expect(SITE_ADMIN_MIGRATIONS.map((step) => step.version)).toEqual(SITE_ADMIN_MIGRATIONS.map((_, i) => i + 1));
    for (const step of SITE_ADMIN_MIGRATIONS) expect(step.adds).not.toBe("");
  });
});

describe("an object made before the steps were numbered", () => {
  it("is upgraded from the schema of the first pushes (no versions.changes, members.pending, syncs.finished_at or next_line), keeping every row, and works", async () => {
    const stub = freshSiteAdmin("old");
    const { schema, version, page, counts, push, actor } = await runInDurableObject(stub, (_instance: unknown, state: DurableObjectState) => {
      const { sql } = state.storage;
      dropAllTables(sql);
      // The tables as the code of 2026-11-23 (segments from orders, first steps) made them, with a row in each.
      sql.exec("CREATE TABLE versions (version INTEGER PRIMARY KEY, created_at TEXT NOT NULL, note TEXT NOT NULL, author TEXT NOT NULL, config TEXT NOT NULL)");
      sql.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      sql.exec("CREATE TABLE tokens (name TEXT PRIMARY KEY, role TEXT NOT NULL, hash TEXT NOT NULL UNIQUE, created_at TEXT NOT NULL, created_by TEXT NOT NULL)");
      sql.exec("CREATE TABLE members (key TEXT PRIMARY KEY, segments TEXT NOT NULL, expires_at INTEGER, sync TEXT, updated_at INTEGER)");
      sql.exec("CREATE TABLE syncs (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL)");
      sql.exec("CREATE TABLE audit (id INTEGER PRIMARY KEY AUTOINCREMENT, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL, summary TEXT NOT NULL)");
      sql.exec("INSERT INTO versions VALUES (1, '2026-11-23T10:00:00.000Z', '', 'admin', ?)", JSON.stringify(CONFIG));
      sql.exec("INSERT INTO versions VALUES (2, '2026-11-23T11:00:00.000Z', 'new text', 'admin', ?)", JSON.stringify(CONFIG_2));
      sql.exec("INSERT INTO meta VALUES ('live', '2')");
      sql.exec("INSERT INTO tokens VALUES ('ana', 'editor', 'hash-of-ana', '2026-11-23T10:00:00.000Z', 'admin')");
      sql.exec("INSERT INTO members VALUES ('m:old:k1', '[\"vip\"]', NULL, 'push-1', 1000)");
      sql.exec("INSERT INTO syncs VALUES ('push-1', 1000)");
      // The new code's constructor on the same storage, as after a deploy.
      const upgraded = new SiteAdmin(state, env);
      return {
        schema: schemaOf(sql),
        version: schemaVersion(sql),
        page: upgraded.versions(10),
        counts: upgraded.segmentCounts(2000),
        push: upgraded.pushState("push-1"),
        actor: upgraded.tokenActor("hash-of-ana"),
      };
    });
    expect(schema).toEqual(SCHEMA);
    expect(version).toBe(SITE_ADMIN_MIGRATIONS.length);
    // The history of the old rows: summaries computed from their configs (the column was added empty).
    expect(page.versions.map((v) => [v.version, v.live, v.changes])).toEqual([
      [2, true, ['campaign "vip-bar": variant "a" text "Hello VIP" → "Welcome back"']],
      [1, false, ["first version"]],
    ]);
    expect(counts).toEqual({ segments: [{ segment: "vip", members: 1 }], customers: 1, pending: 0, lastImport: null });
    expect(push).toEqual({ sync: "push-1", startedAt: 1000, finishedAt: null, nextLine: null });
    expect(actor).toEqual({ name: "ana", role: "editor" });
  });

  it("is upgraded from the very first schema (versions and meta only)", async () => {
    const schema = await runInDurableObject(freshSiteAdmin("first"), (_instance: unknown, state: DurableObjectState) => {
      const { sql } = state.storage;
      dropAllTables(sql);
      sql.exec("CREATE TABLE versions (version INTEGER PRIMARY KEY, created_at TEXT NOT NULL, note TEXT NOT NULL, author TEXT NOT NULL, config TEXT NOT NULL)");
      sql.exec("CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      new SiteAdmin(state, env);
      return schemaOf(sql);
    });
    expect(schema).toEqual(SCHEMA);
  });
});

describe("migrate", () => {
  /** Steps that create tables t1, t2, ... and count how often each ran. */
  function countedSteps(n: number, runs: number[]): Migration[] {
    return Array.from({ length: n }, (_, i) => ({
      version: i + 1,
      adds: `t${i + 1}`,
      apply: (sql: SqlStorage) => {
        runs[i] = (runs[i] ?? 0) + 1;
        sql.exec(`CREATE TABLE IF NOT EXISTS t${i + 1} (id INTEGER)`);
      },
    }));
  }

  it("runs only the steps the object has not had, and a second run costs none", async () => {
    const runs: number[] = [];
    const result = await withSiteStorage((storage) => {
      dropAllTables(storage.sql);
      const first = migrate(storage, countedSteps(2, runs));
      const again = migrate(storage, countedSteps(2, runs));
      const later = migrate(storage, countedSteps(3, runs));
      return { first, again, later, tables: ["t1", "t2", "t3"].map((t) => columnsOf(storage.sql, t).length > 0) };
    });
    expect(result).toEqual({ first: 2, again: 2, later: 3, tables: [true, true, true] });
    expect(runs).toEqual([1, 1, 1]);
  });

  it("applies a run in one transaction: a failing step leaves none of that run's steps, nor a new version", async () => {
    const result = await withSiteStorage((storage) => {
      dropAllTables(storage.sql);
      const runs: number[] = [];
      migrate(storage, countedSteps(1, runs));
      const failing: Migration = { version: 3, adds: "nothing", apply: () => storage.sql.exec("CREATE TABLE broken (") };
      let error: unknown;
      try {
        migrate(storage, [...countedSteps(2, runs), failing]);
      } catch (e) {
        error = e;
      }
      return { error: error instanceof Error, version: schemaVersion(storage.sql), t2: columnsOf(storage.sql, "t2") };
    });
    expect(result).toEqual({ error: true, version: 1, t2: [] });
  });

  it("refuses steps that are not numbered 1, 2, 3, ... in order", async () => {
    const message = await withSiteStorage((storage) => {
      try {
        migrate(storage, [{ version: 2, adds: "out of order", apply: () => {} }]);
        return null;
      } catch (error) {
        return error instanceof RangeError ? error.message : String(error);
      }
    });
    expect(message).toMatch(/migration 1 is numbered 2/);
  });

  it("refuses a recorded version that is no step number, naming the row", async () => {
    const message = await withSiteStorage((storage) => {
      storage.sql.exec("UPDATE meta SET value = 'seven' WHERE key = 'schema_version'");
      try {
        migrate(storage, SITE_ADMIN_MIGRATIONS);
        return null;
      } catch (error) {
        return error instanceof TypeError ? error.message : String(error);
      }
    });
    expect(message).toBe('corrupt row: meta.schema_version is "seven", not a step number');
  });
});
