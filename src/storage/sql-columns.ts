/**
 * @module Columns a newer version of a Durable Object's table has and an older object's table lacks: SQLite's
 * `CREATE TABLE IF NOT EXISTS` leaves an existing table as it is, so each column added later is added here.
 */

/** Adds to `table` those of `columns` (name: SQL type and default) it lacks. */
export function addMissingColumns(sql: SqlStorage, table: string, columns: Record<string, string>): void {
  const present = new Set(sql.exec<{ name: string }>(`PRAGMA table_info(${table})`).toArray().map((c) => c.name));
  for (const [name, type] of Object.entries(columns)) {
    if (!present.has(name)) sql.exec(`ALTER TABLE ${table} ADD COLUMN ${name} ${type}`);
  }
}
