/**
 * @module SiteAdmin: one Durable Object per site, the single writer of that site's admin state.
 * - Config versions live in its SQLite storage (strongly consistent, numbered without gaps), each with its change
 *   summary, written once at publish. The object's SQLite is the truth of which version is live; KV holds a copy
 *   for the hot path and converges to it (see `publishNow` and `alarm`).
 * - Imports are written to KV through it in chunks: each RPC call is its own invocation, so a
 *   10,000-row import stays inside the per-invocation limit of KV operations. Its member index (member-index.ts)
 *   is written ahead of KV and settled write by write, so a failure anywhere leaves rows marked pending, which
 *   the next import of that customer or the object's alarm writes again.
 * Publishes and rollbacks of one site are serialized (`blockConcurrencyWhile`), so versions never interleave.
 * Imports are validated whole before their first chunk; chunks of two concurrent imports may interleave, and as
 * each row replaces one customer's whole value, the later write of a customer wins, as with any two updates.
 * Nothing inside `blockConcurrencyWhile` may throw on a storage failure: an exception there resets the object.
 */
import { DurableObject } from "cloudflare:workers";
import { describeChanges } from "../core/config-diff";
import type { Config } from "../core/config-schema";
import type { Actor, Role } from "../core/access";
import { withTimeout } from "../core/timeout";
import { configKey } from "./keys";
import type { LiveConfig } from "./live-config";
import type { PushConflict, PushRecord, SegmentCounts } from "./member-index";
import { MemberIndex } from "./member-index";
import type { MembershipWrite } from "./memberships";
import { applyWrites } from "./memberships";
import { addMissingColumns } from "./sql-columns";

export interface VersionSummary {
  version: number;
  createdAt: string;
  note: string;
  author: string;
  live: boolean;
  /** What changed since the version before, in words (see core/config-diff.ts). */
  changes: string[];
}

/** A publish's answer: `storefront: "pending"` when KV did not take the new version yet (the alarm retries it). */
export interface Published extends VersionSummary {
  storefront?: "pending";
}

/** A page of the history, newest first; `next` is the `before` of the following page, null on the last one. */
export interface VersionPage {
  versions: VersionSummary[];
  next: number | null;
}

/** The live version and whether KV (what the hot path serves) may still hold an older one. */
export interface LiveStatus {
  live: LiveConfig;
  storefrontPending: boolean;
}

export interface Draft {
  config: Config;
  savedAt: string;
  savedBy: string;
}

export interface TokenSummary {
  name: string;
  role: Role;
  createdAt: string;
  createdBy: string;
}

export interface AuditEntry {
  at: string;
  /** "name (role)" of the token that did it. */
  actor: string;
  action: string;
  summary: string;
}

/** Rows per RPC call of an import: with one KV operation per row, well inside 1,000 per invocation. */
export const IMPORT_CHUNK = 500;
/** How long a publish waits for KV to take the live config before leaving it to the alarm. */
const KV_PUT_TIMEOUT_MS = 10_000;
/** The first retry of a KV write of the live config, doubled after each failure up to KV_RETRY_MAX_MS. */
const KV_RETRY_MS = 5_000;
const KV_RETRY_MAX_MS = 5 * 60_000;

/** The meta row `kv_sync`, present while KV may hold another version than the live one. */
interface KvSync {
  site: string;
  /** Failed writes so far, for the backoff. */
  failures: number;
}
/** When the alarm first retries rows an import left pending (leaving time for the client's own retry, which usually comes first). */
const REPAIR_DELAY_MS = 60_000;
/** And again while KV keeps failing. */
const REPAIR_RETRY_MS = 5 * 60_000;

/** What goes with one chunk of an import. */
export interface ImportChunkOptions {
  /** The push the chunk belongs to (`?sync=`): its rows are marked as this push's, for `--replace`. */
  sync?: string | null;
  /** The batch's first line in the client's file: refused when the push already stands past it. */
  from?: number | null;
  /** On the batch's last chunk: the line after the batch, recorded as the push's position if every row landed. */
  acknowledge?: number | null;
  /**
   * What the audit line needs, on every chunk: the import's line is recorded with the last chunk's index update
   * if every row landed, and a line saying how far it got with any chunk whose rows did not all land.
   */
  audit?: ImportAudit | null;
}

export interface ImportAudit {
  by: Actor;
  rows: number;
  removed: number;
  expired: number;
  /** Rows of the earlier chunks (all in place: the import stops at the first chunk that is not). */
  before: number;
  /** Of those, the rows that were unchanged (this chunk's are added). */
  unchanged: number;
  /** This is the import's last chunk. */
  last: boolean;
}

export type ImportChunkResult = { unchanged: number; failed: number[] } | PushConflict;

/** What the object reads of the Worker's bindings (env.ts's Env): KV, for the live config and the memberships. */
export interface SiteAdminBindings {
  KV: KVNamespace;
}

export class SiteAdmin extends DurableObject<SiteAdminBindings> {
  private readonly sql: SqlStorage;
  private readonly members: MemberIndex;

  constructor(ctx: DurableObjectState, env: SiteAdminBindings) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.members = new MemberIndex(this.sql, ctx.storage);
    this.sql.exec(`CREATE TABLE IF NOT EXISTS versions (
      version INTEGER PRIMARY KEY,
      created_at TEXT NOT NULL,
      note TEXT NOT NULL,
      author TEXT NOT NULL,
      config TEXT NOT NULL,
      changes TEXT
    )`);
    // `changes`: the JSON list of what changed since the version before; NULL in rows of older objects, filled in
    // when a page of the history first shows them.
    addMissingColumns(this.sql, "versions", { changes: "TEXT" });
    this.sql.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
    this.sql.exec(`CREATE TABLE IF NOT EXISTS tokens (
      name TEXT PRIMARY KEY,
      role TEXT NOT NULL,
      hash TEXT NOT NULL UNIQUE,
      created_at TEXT NOT NULL,
      created_by TEXT NOT NULL
    )`);
    // `sync`: the push that last wrote the row; `updated_at`: when any write last did; `pending`: KV not confirmed (member-index.ts).
    this.sql.exec("CREATE TABLE IF NOT EXISTS members (key TEXT PRIMARY KEY, segments TEXT NOT NULL, expires_at INTEGER, sync TEXT, updated_at INTEGER, pending INTEGER)");
    addMissingColumns(this.sql, "members", { sync: "TEXT", updated_at: "INTEGER", pending: "INTEGER" });
    // One row per push: when its first batch came, when its `--replace` sweep finished, the first line not yet acknowledged.
    this.sql.exec("CREATE TABLE IF NOT EXISTS syncs (id TEXT PRIMARY KEY, started_at INTEGER NOT NULL, finished_at INTEGER, next_line INTEGER)");
    addMissingColumns(this.sql, "syncs", { finished_at: "INTEGER", next_line: "INTEGER" });
    this.sql.exec(`CREATE TABLE IF NOT EXISTS audit (
      id INTEGER PRIMARY KEY AUTOINCREMENT,
      at TEXT NOT NULL,
      actor TEXT NOT NULL,
      action TEXT NOT NULL,
      summary TEXT NOT NULL
    )`);
  }

  /** The saved draft, or null. */
  draft(): Draft | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'draft'").toArray()[0];
    return row ? (JSON.parse(row.value) as Draft) : null;
  }

  /** Saves a validated config as the draft (replacing any), without touching the live config. */
  saveDraft(config: Config, by: Actor): Draft {
    const draft: Draft = { config, savedAt: new Date().toISOString(), savedBy: by.name };
    const before = this.draft()?.config ?? this.live()?.config ?? null;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('draft', ?)", JSON.stringify(draft));
      this.record(by, "draft.save", describeChanges(before, config).join("; ").slice(0, 1000));
    });
    return draft;
  }

  discardDraft(by?: Actor): boolean {
    const deleted = this.sql.exec("DELETE FROM meta WHERE key = 'draft'").rowsWritten > 0;
    if (deleted && by) this.record(by, "draft.discard", "discarded the draft");
    return deleted;
  }

  /** Publishes the draft as the next version and clears it; null when there is no draft. */
  async publishDraft(site: string, note: string, by: Actor, savedAt?: string): Promise<Published | "changed" | null> {
    return this.exclusive(async () => {
      const draft = this.draft();
      if (!draft) return null;
      // Someone saved over the draft since this editor saved it: publish nothing rather than their work.
      if (savedAt !== undefined && draft.savedAt !== savedAt) return "changed";
      // The draft goes in the same transaction as the version: published and cleared, or neither.
      return this.publishNow(site, draft.config, note, by, "config.publish", () => this.sql.exec("DELETE FROM meta WHERE key = 'draft'"));
    });
  }

  /** The holder of the token with this SHA-256, or null. */
  tokenActor(hash: string): Actor | null {
    const row = this.sql.exec<{ name: string; role: string }>("SELECT name, role FROM tokens WHERE hash = ?", hash).toArray()[0];
    return row ? { name: row.name, role: row.role as Role } : null;
  }

  /** Issues a token (stored as its hash); false when the name is taken. */
  createToken(name: string, role: Role, hash: string, by: Actor): boolean {
    if (this.sql.exec("SELECT 1 FROM tokens WHERE name = ?", name).toArray().length > 0) return false;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("INSERT INTO tokens (name, role, hash, created_at, created_by) VALUES (?, ?, ?, ?, ?)", name, role, hash, new Date().toISOString(), by.name);
      this.record(by, "token.create", `issued token "${name}" with the ${role} role`);
    });
    return true;
  }

  tokens(): TokenSummary[] {
    return this.sql
      .exec<{ name: string; role: string; created_at: string; created_by: string }>("SELECT name, role, created_at, created_by FROM tokens ORDER BY name")
      .toArray()
      .map((r) => ({ name: r.name, role: r.role as Role, createdAt: r.created_at, createdBy: r.created_by }));
  }

  /** Revokes a token at once; false when there is none by that name. */
  /** Revokes a token at once; its hash (to drop from the KV index), or null when there is none by that name. */
  deleteToken(name: string, by: Actor): string | null {
    const row = this.sql.exec<{ hash: string }>("SELECT hash FROM tokens WHERE name = ?", name).toArray()[0];
    if (!row) return null;
    this.ctx.storage.transactionSync(() => {
      this.sql.exec("DELETE FROM tokens WHERE name = ?", name);
      this.record(by, "token.delete", `revoked token "${name}"`);
    });
    return row.hash;
  }

  /** Adds a line to the audit log. */
  audit(by: Actor, action: string, summary: string): void {
    this.record(by, action, summary);
  }

  /** The latest audit lines, newest first. */
  auditLog(limit: number): AuditEntry[] {
    return this.sql
      .exec<{ at: string; actor: string; action: string; summary: string }>("SELECT at, actor, action, summary FROM audit ORDER BY id DESC LIMIT ?", limit)
      .toArray()
      .map((r) => ({ at: r.at, actor: r.actor, action: r.action, summary: r.summary }));
  }

  private record(by: Actor, action: string, summary: string): void {
    this.sql.exec("INSERT INTO audit (at, actor, action, summary) VALUES (?, ?, ?, ?)", new Date().toISOString(), `${by.name} (${by.role})`, action, summary);
  }

  /** The live config, or null for a site that has none yet. */
  live(): LiveConfig | null {
    const live = this.liveVersion();
    return live === null ? null : this.load(live);
  }

  /** The live config and whether the hot path may still serve an older one (a KV write is being retried). */
  liveStatus(): LiveStatus | null {
    const live = this.live();
    return live ? { live, storefrontPending: this.kvSync() !== null } : null;
  }

  /** Publishes a validated config as the next version and makes it live. */
  async publish(site: string, config: Config, note: string, by: Actor): Promise<Published> {
    return this.exclusive(() => this.publishNow(site, config, note, by, "config.publish"));
  }

  /** Makes an old version live again, as a new version (history stays linear); null if there is no such version. */
  async rollback(site: string, version: number, note: string, by: Actor): Promise<Published | null> {
    return this.exclusive(async () => {
      const old = this.load(version);
      if (!old) return null;
      return this.publishNow(site, old.config, note || `Rollback to version ${version}`, by, "config.rollback");
    });
  }

  /**
   * A page of the history, newest first: up to `limit` versions older than `before` (all when absent), each with
   * what changed since the one before it, as stored at publish. Reads no config, except once for rows of an
   * older object that have no summary yet.
   */
  versions(limit: number, before?: number): VersionPage {
    const live = this.liveVersion();
    const rows = this.sql
      .exec<{ version: number; created_at: string; note: string; author: string; changes: string | null }>(
        "SELECT version, created_at, note, author, changes FROM versions WHERE version < ? ORDER BY version DESC LIMIT ?",
        before ?? Number.MAX_SAFE_INTEGER,
        limit + 1,
      )
      .toArray();
    const page = rows.slice(0, limit);
    const versions = page.map((row) => ({
      version: row.version,
      createdAt: row.created_at,
      note: row.note,
      author: row.author,
      live: row.version === live,
      changes: row.changes === null ? this.storeChanges(row.version) : (JSON.parse(row.changes) as string[]),
    }));
    const last = page[page.length - 1];
    return { versions, next: rows.length > limit && last ? last.version : null };
  }

  /** Computes and keeps the change summary of a version written before summaries were stored. */
  private storeChanges(version: number): string[] {
    const [current, previous] = this.sql
      .exec<{ config: string }>("SELECT config FROM versions WHERE version <= ? ORDER BY version DESC LIMIT 2", version)
      .toArray();
    if (!current) return [];
    const changes = describeChanges(previous ? (JSON.parse(previous.config) as Config) : null, JSON.parse(current.config) as Config);
    this.sql.exec("UPDATE versions SET changes = ? WHERE version = ?", JSON.stringify(changes), version);
    return changes;
  }

  /**
   * Writes one chunk of a validated import (at most IMPORT_CHUNK rows). A row the index holds, confirmed and
   * identical, is not written to KV again (re-sent batches and daily re-pushes cost no KV writes).
   * On failure: the changed rows are written ahead in the index (pending), then each KV write is settled on its
   * own; `failed` lists the positions of writes KV did not confirm (their rows stay pending: a re-send writes
   * them, and so does the alarm). Should the object die midway, its rows stay pending the same way. A KV failure
   * never throws out of here. Chunks of one site run one at a time.
   */
  async writeMemberships(writes: MembershipWrite[], options: ImportChunkOptions = {}): Promise<ImportChunkResult> {
    if (writes.length > IMPORT_CHUNK) throw new RangeError(`at most ${IMPORT_CHUNK} rows per chunk`);
    const sync = options.sync ?? null;
    return this.exclusive(async () => {
      const now = Date.now();
      const conflict = sync ? this.members.pushConflict(sync, "write", options.from ?? null) : null;
      if (conflict) return conflict;
      const changed = this.members.changed(writes);
      this.members.writeAhead(writes, changed, sync, now);
      this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_import', ?)", new Date(now).toISOString());
      const applied = changed.flatMap((i) => writes.slice(i, i + 1));
      if (applied.length) await this.scheduleAlarm(REPAIR_DELAY_MS);
      const landed = await applyWrites(this.env.KV, applied, now);
      const failed = changed.filter((_, j) => !landed[j]);
      const unchanged = writes.length - changed.length;
      this.members.settle(applied, landed, () => {
        const audit = options.audit;
        if (failed.length > 0) {
          if (audit) this.record(audit.by, "segments.import", importStopped(audit, writes.length - failed.length, sync));
          return;
        }
        if (sync && options.acknowledge) this.members.acknowledge(sync, options.acknowledge);
        if (audit?.last) this.record(audit.by, "segments.import", importSummary(audit, unchanged, sync));
      });
      return { unchanged, failed };
    });
  }

  /**
   * The end of a `--replace` push: removes (from KV and the index) up to `limit` members that the push `sync`
   * did not write and that no other write touched since it started. Null for a sync this site never saw.
   * On failure: rows are marked for removal ahead of the KV deletes; those KV did not confirm stay marked (and
   * still count as `remaining`): calling again, or the alarm, deletes them. `by`: who asked, for the audit line
   * recorded with the removals.
   */
  async sweep(sync: string, by: Actor | null = null, limit: number = IMPORT_CHUNK): Promise<{ removed: number; failed: number; remaining: number } | PushConflict | null> {
    const push = this.members.push(sync);
    if (!push) return null;
    return this.exclusive(async () => {
      const conflict = this.members.pushConflict(sync, "sweep", null);
      if (conflict) return conflict;
      const keys = this.members.staleKeys(sync, push.startedAt, limit);
      this.members.markRemovals(keys);
      if (keys.length) await this.scheduleAlarm(REPAIR_DELAY_MS);
      const removals = keys.map((key) => ({ key, membership: null }));
      const landed = await applyWrites(this.env.KV, removals);
      const failed = landed.filter((ok) => !ok).length;
      this.members.settle(removals, landed, () => {
        if (by && keys.length > failed) this.record(by, "segments.replace", `removed ${keys.length - failed} customer(s) not in the pushed file (push ${sync})`);
      });
      const remaining = this.members.staleCount(sync, push.startedAt);
      if (remaining === 0) this.members.finish(sync, Date.now());
      return { removed: keys.length - failed, failed, remaining };
    });
  }

  /** What the site knows of a push: its start, its sweep's end, and the first line not yet acknowledged. */
  pushState(sync: string): PushRecord | null {
    return this.members.push(sync);
  }

  /**
   * Removes one customer's membership (DELETE of one customer), written ahead like an import: the index marks the
   * removal before the KV delete and forgets the row only once KV confirmed it. `landed: false`: the removal stays
   * marked, and the alarm (or the same DELETE again) completes it. `audit`: who asked, recorded with the removal.
   */
  async removeMember(key: string, audit: Actor | null): Promise<{ landed: boolean }> {
    return this.exclusive(async () => {
      const removal: MembershipWrite[] = [{ key, membership: null }];
      this.members.writeAhead(removal, [0], null, Date.now());
      await this.scheduleAlarm(REPAIR_DELAY_MS);
      const landed = await applyWrites(this.env.KV, removal);
      this.members.settle(removal, landed, () => {
        if (audit && landed[0]) this.record(audit, "segments.delete", "removed one customer's segments");
      });
      return { landed: landed[0] === true };
    });
  }

  /** Members per segment (memberships still current at `now`), the customers in any, pending rows, the last import. */
  segmentCounts(now: number): SegmentCounts {
    return this.members.counts(now);
  }

  /**
   * The alarm, the object's one timer: writes the live config to KV while a publish's write is still owed, and
   * retries the membership writes KV has not confirmed yet. Each part backs off on its own failures and asks for
   * the alarm again (the earliest request wins).
   */
  override async alarm(): Promise<void> {
    await this.exclusive(async () => {
      await this.syncKv();
      await this.repairMemberships();
    });
  }

  /**
   * Retries the KV writes that imports, sweeps or removals left unconfirmed (pending rows), a chunk at a time,
   * and schedules the alarm again while some remain. Never throws on a KV failure.
   */
  private async repairMemberships(): Promise<void> {
    const writes = this.members.pendingWrites(IMPORT_CHUNK);
    if (writes.length === 0) return;
    const landed = await applyWrites(this.env.KV, writes);
    this.members.settle(writes, landed);
    if (this.members.pendingCount() > 0) await this.scheduleAlarm(landed.every(Boolean) ? 0 : REPAIR_RETRY_MS);
  }

  /**
   * Makes sure the alarm fires within `delayMs` (an earlier one stays, so no part of the alarm's work is put off by
   * another's backoff). Set before KV writes, so it survives the object dying midway.
   */
  private async scheduleAlarm(delayMs: number): Promise<void> {
    const at = Date.now() + delayMs;
    const current = await this.ctx.storage.getAlarm();
    if (current === null || current > at) await this.ctx.storage.setAlarm(at);
  }

  /**
   * Records a validated config as the next version and makes it live, then copies it to KV for the hot path.
   * SQLite is the truth and goes first: the version row, the live pointer and the mark "KV owes this version" are
   * one transaction (with `alsoInTransaction`), and an alarm is set before the KV write. Then:
   * - KV takes it: the mark goes, and the answer says the version is live;
   * - KV fails, lands then fails, or times out: the mark stays, the answer says `storefront: "pending"`, and the
   *   alarm writes the live version again (backing off) until KV takes it; the hot path serves the old version
   *   meanwhile, never a mix;
   * - the object dies between the two: the alarm, set before the write, does the same when it wakes.
   * Runs inside `exclusive`: publishes of a site never interleave, so KV's last write is the live version's.
   */
  private async publishNow(site: string, config: Config, note: string, by: Actor, action: string, alsoInTransaction?: () => void): Promise<Published> {
    const author = by.name;
    const previous = this.sql.exec<{ v: number | null }>("SELECT MAX(version) AS v FROM versions").one().v;
    const before = previous === null ? null : this.load(previous);
    const version = (previous ?? 0) + 1;
    const createdAt = new Date().toISOString();
    const changes = describeChanges(before?.config ?? null, config);
    const owed: KvSync = { site, failures: 0 };
    this.ctx.storage.transactionSync(() => {
      this.sql.exec(
        "INSERT INTO versions (version, created_at, note, author, config, changes) VALUES (?, ?, ?, ?, ?, ?)",
        version,
        createdAt,
        note,
        author,
        JSON.stringify(config),
        JSON.stringify(changes),
      );
      this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('live', ?)", String(version));
      this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('kv_sync', ?)", JSON.stringify(owed));
      alsoInTransaction?.();
      this.record(by, action, `version ${version} is live${note ? `: ${note}` : ""}`);
    });
    await this.scheduleAlarm(KV_RETRY_MS);
    const synced = await this.syncKv();
    return { version, createdAt, note, author, live: true, changes, ...(synced ? {} : { storefront: "pending" as const }) };
  }

  /**
   * Writes the live config to KV when the `kv_sync` mark says KV owes it; true when KV has it. On a failure the
   * mark stays and the alarm is set to try again (5 s, doubling up to 5 min). Never throws for a KV failure:
   * an exception escaping `blockConcurrencyWhile` would reset the object.
   */
  private async syncKv(): Promise<boolean> {
    const owed = this.kvSync();
    if (!owed) return true;
    const live = this.live();
    if (live) {
      try {
        await withTimeout(this.env.KV.put(configKey(owed.site), JSON.stringify(live)), KV_PUT_TIMEOUT_MS);
      } catch (error) {
        console.error(`valuebar: KV did not take version ${live.version} of ${owed.site}; retrying from the alarm`, error);
        const failures = owed.failures + 1;
        this.sql.exec("UPDATE meta SET value = ? WHERE key = 'kv_sync'", JSON.stringify({ ...owed, failures } satisfies KvSync));
        await this.scheduleAlarm(Math.min(KV_RETRY_MAX_MS, KV_RETRY_MS * 2 ** (failures - 1)));
        return false;
      }
    }
    this.sql.exec("DELETE FROM meta WHERE key = 'kv_sync'");
    return true;
  }

  private kvSync(): KvSync | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'kv_sync'").toArray()[0];
    return row ? (JSON.parse(row.value) as KvSync) : null;
  }

  /**
   * Runs `work` with no other request or alarm of this object in between. An exception thrown inside
   * `blockConcurrencyWhile` resets the object, so it is caught there and rethrown outside, to the caller.
   */
  private async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const outcome = await this.ctx.blockConcurrencyWhile(async () => {
      try {
        return { ok: true as const, value: await work() };
      } catch (error) {
        return { ok: false as const, error };
      }
    });
    if (!outcome.ok) throw outcome.error;
    return outcome.value;
  }

  private liveVersion(): number | null {
    const row = this.sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'live'").toArray()[0];
    return row ? Number(row.value) : null;
  }

  private load(version: number): LiveConfig | null {
    const row = this.sql
      .exec<{ created_at: string; config: string }>("SELECT created_at, config FROM versions WHERE version = ?", version)
      .toArray()[0];
    return row ? { version, publishedAt: row.created_at, config: JSON.parse(row.config) as Config } : null;
  }
}

/** The audit line of an import that stopped at a chunk KV did not take whole: how many rows are in place. */
function importStopped(audit: ImportAudit, inPlaceHere: number, sync: string | null): string {
  const inPlace = audit.before + inPlaceHere;
  return `import stopped (KV failed): ${inPlace} of ${audit.rows} row(s) in place, the rest not confirmed${sync ? ` (push ${sync})` : ""}`;
}

/** The audit line of a whole import (no customer named). */
function importSummary(audit: ImportAudit, unchangedHere: number, sync: string | null): string {
  const unchanged = audit.unchanged + unchangedHere;
  const expired = audit.expired ? ` (${audit.expired} expired)` : "";
  return `imported ${audit.rows} row(s): ${audit.rows - audit.removed} customer(s) set (${unchanged} unchanged), ${audit.removed} removed${expired}${sync ? ` (push ${sync})` : ""}`;
}
