/**
 * @module A site's config history in its SiteAdmin's SQLite: the versions (table `versions`, numbered without gaps,
 * each with its config and what changed since the one before), and in `meta` the draft (`draft`), the live version
 * (`live`) and the mark that KV, which the hot path reads, still owes the live version (`kv_sync`). Reads and
 * writes only; config-publishing.ts decides what is written when. Every row is checked as it is read (sql-rows.ts).
 */
import { describeChanges } from "../core/config-diff";
import type { Draft, VersionPage } from "../core/config-history";
import type { Config } from "../core/config-schema";
import type { LiveConfig } from "./live-config";
import { corruptRow, isStringArray, readRow, readRows } from "./sql-rows";
import { isStoredConfig } from "./stored-config";

/** The meta row `kv_sync`, present while KV may hold another version than the live one. */
export interface KvSync {
  site: string;
  /** Failed writes so far, for the backoff. */
  failures: number;
}

/** A version as it is written. */
export interface NewVersion {
  version: number;
  createdAt: string;
  note: string;
  author: string;
  config: Config;
  changes: string[];
}

const isDraft = (value: unknown): value is Draft => {
  if (typeof value !== "object" || value === null) return false;
  const { config, savedAt, savedBy } = value as Record<string, unknown>;
  return isStoredConfig(config) && typeof savedAt === "string" && typeof savedBy === "string";
};

const isKvSync = (value: unknown): value is KvSync => {
  if (typeof value !== "object" || value === null) return false;
  const { site, failures } = value as Record<string, unknown>;
  return typeof site === "string" && typeof failures === "number" && Number.isSafeInteger(failures) && failures >= 0;
};

export class ConfigVersions {
  constructor(private readonly sql: SqlStorage) {}

  /** The saved draft, or null. */
  draft(): Draft | null {
    return readRow(this.meta("draft"), "meta draft")?.json("value", isDraft, "a draft (config, savedAt, savedBy)") ?? null;
  }

  writeDraft(draft: Draft): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('draft', ?)", JSON.stringify(draft));
  }

  /** Deletes the draft; false when there was none. */
  deleteDraft(): boolean {
    return this.sql.exec("DELETE FROM meta WHERE key = 'draft'").rowsWritten > 0;
  }

  /** The number of the live version, or null for a site that has none yet. */
  liveVersion(): number | null {
    const value = readRow(this.meta("live"), "meta live")?.text("value");
    if (value === undefined) return null;
    const version = /^[1-9]\d{0,14}$/.test(value) ? Number(value) : NaN;
    if (!Number.isSafeInteger(version)) throw corruptRow("meta live", "value", "a version number", value);
    return version;
  }

  /** The live config, or null for a site that has none yet. */
  live(): LiveConfig | null {
    const live = this.liveVersion();
    return live === null ? null : this.load(live);
  }

  /** One version's config, or null when there is no such version. */
  load(version: number): LiveConfig | null {
    const row = readRow(this.sql.exec("SELECT created_at, config FROM versions WHERE version = ?", version).toArray()[0], `versions ${version}`);
    return row ? { version, publishedAt: row.text("created_at"), config: row.json("config", isStoredConfig, "a config") } : null;
  }

  /** The newest version's number, or null before the first publish. */
  latestVersion(): number | null {
    return this.sql.exec<{ v: number | null }>("SELECT MAX(version) AS v FROM versions").one().v;
  }

  /** Records a version and makes it live. Call inside a transaction with what goes with it. */
  insertLive(version: NewVersion): void {
    this.sql.exec(
      "INSERT INTO versions (version, created_at, note, author, config, changes) VALUES (?, ?, ?, ?, ?, ?)",
      version.version,
      version.createdAt,
      version.note,
      version.author,
      JSON.stringify(version.config),
      JSON.stringify(version.changes),
    );
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('live', ?)", String(version.version));
  }

  /** The mark "KV owes the live version", or null when KV has it. */
  kvSync(): KvSync | null {
    return readRow(this.meta("kv_sync"), "meta kv_sync")?.json("value", isKvSync, "a KV sync mark (site, failures)") ?? null;
  }

  /** Sets the mark (a publish: KV owes the new live version). */
  oweKv(owed: KvSync): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('kv_sync', ?)", JSON.stringify(owed));
  }

  /** Counts a failed KV write on the mark, if it is still there. */
  kvFailed(owed: KvSync): void {
    this.sql.exec("UPDATE meta SET value = ? WHERE key = 'kv_sync'", JSON.stringify(owed));
  }

  /** Clears the mark: KV has the live version. */
  kvSynced(): void {
    this.sql.exec("DELETE FROM meta WHERE key = 'kv_sync'");
  }

  /**
   * A page of the history, newest first: up to `limit` versions older than `before` (all when absent), each with
   * what changed since the one before it, as stored at publish. Reads no config, except once for rows of an
   * older object that have no summary yet.
   */
  page(limit: number, before?: number): VersionPage {
    const live = this.liveVersion();
    const rows = readRows(
      this.sql.exec(
        "SELECT version, created_at, note, author, changes FROM versions WHERE version < ? ORDER BY version DESC LIMIT ?",
        before ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      ),
      "versions",
    );
    const versions = rows.slice(0, limit).map((row) => {
      const version = row.integer("version");
      return {
        version,
        createdAt: row.text("created_at"),
        note: row.text("note"),
        author: row.text("author"),
        live: version === live,
        changes: row.textOrNull("changes") === null ? this.storeChanges(version) : row.json("changes", isStringArray, "a list of changes"),
      };
    });
    const last = versions[versions.length - 1];
    return { versions, next: rows.length > limit && last ? last.version : null };
  }

  /** Computes and keeps the change summary of a version written before summaries were stored. */
  private storeChanges(version: number): string[] {
    const [current, previous] = readRows(this.sql.exec("SELECT config FROM versions WHERE version <= ? ORDER BY version DESC LIMIT 2", version), "versions");
    if (!current) return [];
    const config = (row: typeof current) => row.json("config", isStoredConfig, "a config");
    const changes = describeChanges(previous ? config(previous) : null, config(current));
    this.sql.exec("UPDATE versions SET changes = ? WHERE version = ?", JSON.stringify(changes), version);
    return changes;
  }

  private meta(key: string): Record<string, SqlStorageValue> | undefined {
    return this.sql.exec("SELECT value FROM meta WHERE key = ?", key).toArray()[0];
  }
}
