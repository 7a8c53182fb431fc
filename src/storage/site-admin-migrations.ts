/**
 * @module The schema of a site's SiteAdmin object, as the numbered steps that built it (sql-migrations.ts applies
 * them). A change to the schema is a new step at the end, never an edit of an old one: objects already past a step
 * never run it again. Each step leaves alone what an object made before the numbering may already have.
 *
 * Tables: `versions` and `meta` (config-versions.ts; `meta` also holds `schema_version` and `last_import`),
 * `tokens` (site-tokens.ts), `audit` (audit-log.ts), `members` and `syncs` (member-index.ts), `guardrail_stops`
 * (guardrail-check.ts; `meta` also holds its schedule, `guardrail`).
 */
import type { Migration } from "./sql-migrations";
import { addMissingColumns } from "./sql-migrations";

export const SITE_ADMIN_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    adds: "config versions and the meta rows (draft, live version, KV sync mark)",
    apply: (sql) => {
      sql.exec(`CREATE TABLE IF NOT EXISTS versions (
        version INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        note TEXT NOT NULL,
        author TEXT NOT NULL,
        config TEXT NOT NULL
      )`);
      sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    },
  },
  {
    version: 2,
    adds: "issued tokens and the audit log",
    apply: (sql) => {
      sql.exec(`CREATE TABLE IF NOT EXISTS tokens (
        name TEXT PRIMARY KEY,
        role TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
      )`);
      sql.exec(`CREATE TABLE IF NOT EXISTS audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        summary TEXT NOT NULL
      )`);
    },
  },
  {
    version: 3,
    adds: "the member index",
    apply: (sql) => sql.exec("CREATE TABLE IF NOT EXISTS members (key TEXT PRIMARY KEY, segments TEXT NOT NULL, expires_at INTEGER)"),
  },
  {
    version: 4,
    adds: "pushes: members.sync (the push that last wrote the row), members.updated_at, and the syncs table",
    apply: (sql) => {
      addMissingColumns(sql, "members", { sync: "TEXT", updated_at: "INTEGER" });
      sql.exec("CREATE TABLE IF NOT EXISTS syncs (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL)");
    },
  },
  {
    version: 5,
    adds: "syncs.finished_at (when a push's --replace sweep finished)",
    apply: (sql) => addMissingColumns(sql, "syncs", { finished_at: "INTEGER" }),
  },
  {
    version: 6,
    // NULL in the rows of earlier versions: filled in when a page of the history first shows them.
    adds: "versions.changes (what changed since the version before, as JSON)",
    apply: (sql) => addMissingColumns(sql, "versions", { changes: "TEXT" }),
  },
  {
    version: 7,
    adds: "members.pending (KV not confirmed: written ahead) and syncs.next_line (the first line not yet acknowledged)",
    apply: (sql) => {
      addMissingColumns(sql, "members", { pending: "INTEGER" });
      addMissingColumns(sql, "syncs", { next_line: "INTEGER" });
    },
  },
  {
    version: 8,
    adds: "guardrail_stops (what the guardrail stopped variants for)",
    apply: (sql) =>
      sql.exec("CREATE TABLE IF NOT EXISTS guardrail_stops (experiment TEXT NOT NULL, breach TEXT NOT NULL, PRIMARY KEY (experiment, breach))"),
  },
  {
    version: 9,
    // NULL for a member without covariates, as every row before this step.
    adds: "members.covariates (the member's covariates as JSON, so a change of them alone is written to KV)",
    apply: (sql) => addMissingColumns(sql, "members", { covariates: "TEXT" }),
  },
];
