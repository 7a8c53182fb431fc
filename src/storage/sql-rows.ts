/**
 * @module Rows read back from a Durable Object's SQLite, checked rather than cast: `exec<T>()` only names the type
 * the caller hopes for, and `JSON.parse(...) as Config` trusts whatever text a column holds. A value that is not
 * what its table holds (storage changed by other code, or corrupted) is refused where it is read, with a TypeError
 * naming the table, the row and the column, instead of failing later somewhere deep inside (a config diff, a
 * decision) or being passed on.
 *
 * Why a TypeError: it is not the store failing (retrying will not help), so it must not answer 503 "try again";
 * RPC keeps a TypeError's type, and the admin routes answer it as a logged 500 (see http/errors.ts).
 *
 * Figures SQLite computes (COUNT, MAX) keep their `exec<T>()` type: they are not stored data.
 *
 * @example
 * const row = readRow(sql.exec("SELECT name, role FROM tokens WHERE hash = ?", hash).toArray()[0], "tokens");
 * row && { name: row.text("name"), role: row.check("role", isIssuedRole, "a role") };
 */

type Row = Record<string, SqlStorageValue>;

/** The error of a value that is not what its column holds. */
export function corruptRow(where: string, column: string, expected: string, value: unknown): TypeError {
  const shown = typeof value === "string" ? JSON.stringify(value.slice(0, 80)) : value instanceof ArrayBuffer ? "a blob" : String(value);
  return new TypeError(`corrupt row: ${where}.${column} is ${shown}, not ${expected}`);
}

/** One row's columns, each read as the type it must have. */
export class CheckedRow {
  constructor(
    private readonly row: Row,
    /** The table and, where it helps, the row ("versions 3"), for the error. */
    private readonly where: string,
  ) {}

  text(column: string): string {
    const value = this.row[column];
    if (typeof value !== "string") throw corruptRow(this.where, column, "text", value);
    return value;
  }

  textOrNull(column: string): string | null {
    return this.row[column] === null ? null : this.text(column);
  }

  integer(column: string): number {
    const value = this.row[column];
    if (typeof value !== "number" || !Number.isSafeInteger(value)) throw corruptRow(this.where, column, "an integer", value);
    return value;
  }

  integerOrNull(column: string): number | null {
    return this.row[column] === null ? null : this.integer(column);
  }

  /** A text column holding JSON of the shape `is` accepts (`expected` names it in the error). */
  json<T>(column: string, is: (value: unknown) => value is T, expected: string): T {
    const text = this.text(column);
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw corruptRow(this.where, column, "JSON", text);
    }
    if (!is(value)) throw corruptRow(this.where, column, expected, text);
    return value;
  }

  /** A column whose value `is` accepts (an enum kept as text, such as a role). */
  check<T extends SqlStorageValue>(column: string, is: (value: unknown) => value is T, expected: string): T {
    const value = this.row[column];
    if (!is(value)) throw corruptRow(this.where, column, expected, value);
    return value;
  }
}

/** The row, checked column by column as it is read; undefined stays undefined (no such row). */
export function readRow(row: Row | undefined, where: string): CheckedRow | undefined {
  return row === undefined ? undefined : new CheckedRow(row, where);
}

/** Every row of a query, each checked as it is read. */
export function readRows(cursor: Iterable<Row>, where: string): CheckedRow[] {
  return Array.from(cursor, (row) => new CheckedRow(row, where));
}

export function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((item) => typeof item === "string");
}
