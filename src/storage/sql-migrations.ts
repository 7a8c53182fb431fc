/**
 * @module Schema migrations of a Durable Object's SQLite: a numbered list of steps, applied in order, the number of
 * the last one applied kept in the object's `meta` table (`schema_version`). `migrate` runs the steps the object has
 * not had, all in one transaction: an object is at one version or the next, never between.
 *
 * Objects made before the steps were numbered have tables but no recorded version: for them every step runs. So
 * each step is written to leave alone what an object already has: `CREATE TABLE IF NOT EXISTS` (which leaves an
 * existing table as it is) and `addMissingColumns` for each column added later.
 *
 * @example
 * migrate(ctx.storage, [
 *   { version: 1, adds: "the orders table", apply: (sql) => sql.exec("CREATE TABLE IF NOT EXISTS orders (id TEXT PRIMARY KEY)") },
 *   { version: 2, adds: "orders.capped", apply: (sql) => addMissingColumns(sql, "orders", { capped: "INTEGER NOT NULL DEFAULT 0" }) },
 * ]);
 */

export interface Migration {
  /** 1, 2, 3, ...: a step keeps its number forever; a new step takes the next one. */
  version: number;
  /** What the step adds, for the reader. */
  adds: string;
  apply: (sql: SqlStorage) => void;
}

/**
 * Brings the object's schema to the last step of `migrations` (numbered 1 to n, in order); returns the version it
 * is at. Nothing to do (the usual case, on every wake of the object) costs one read.
 */
export function migrate(storage: DurableObjectStorage, migrations: readonly Migration[]): number {
  migrations.forEach((step, i) => {
    if (step.version !== i + 1) throw new RangeError(`migration ${i + 1} is numbered ${step.version}: steps are numbered 1, 2, 3, ... in order`);
  });
  const { sql } = storage;
  // The bookkeeping's own table: created before any step reads the version (the oldest objects have it already).
  sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  const current = schemaVersion(sql);
  const pending = migrations.slice(current);
  if (pending.length === 0) return current;
  storage.transactionSync(() => {
    for (const step of pending) step.apply(sql);
    sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", String(migrations.length));
  });
  return migrations.length;
}

/** The last step applied; 0 for a new object or one made before the steps were numbered. */
export function schemaVersion(sql: SqlStorage): number {
  const value = sql.exec("SELECT value FROM meta WHERE key = 'schema_version'").toArray()[0]?.value;
  if (value === undefined) return 0;
  const version = typeof value === "string" && /^\d{1,6}$/.test(value) ? Number(value) : NaN;
  // Running every step again would do no harm, but a version that is no number says the storage is not what this
  // code wrote: refuse to guess.
  if (!Number.isSafeInteger(version)) throw new TypeError(`corrupt row: meta.schema_version is ${JSON.stringify(value)}, not a step number`);
  return version;
}

/** Adds to `table` those of `columns` (name: SQL type and default) it lacks. */
export function addMissingColumns(sql: SqlStorage, table: string, columns: Record<string, string>): void {
  const present = new Set(sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray().map((c) => c.name));
  for (const [name, type] of Object.entries(columns)) {
    if (!present.has(name)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
  }
}
