/**
 * @module Real SQLite for the storage modules' tests: the storage of a fresh SiteAdmin object (its constructor has
 * brought the schema up to date), handed to the test inside the object, where `state.storage.sql` is usable.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";

export function freshSiteAdmin(prefix = "store") {
  return env.SITE_ADMIN.get(env.SITE_ADMIN.idFromName(`${prefix}-${crypto.randomUUID().slice(0, 8)}`));
}

/** Runs `work` on the storage of a fresh SiteAdmin object. */
export function withSiteStorage<T>(work: (storage: DurableObjectStorage) => T | Promise<T>): Promise<T> {
  return runInDurableObject(freshSiteAdmin(), (_instance: unknown, state: DurableObjectState) => work(state.storage));
}

/** Drops every table of ours (not SQLite's or the runtime's own), leaving the storage as a new object's. */
export function dropAllTables(sql: SqlStorage): void {
  const tables = sql
    .exec<{ name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' AND name NOT LIKE '\\_cf\\_%' ESCAPE '\\'")
    .toArray();
  for (const { name } of tables) sql.exec(`DROP TABLE ${name}`);
}

/** The columns of `table`, in order. */
export function columnsOf(sql: SqlStorage, table: string): string[] {
  return sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray().map((c) => c.name);
}
