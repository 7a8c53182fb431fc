/**
 * @module A site's member index (SQLite tables `members` and `syncs` of its SiteAdmin object): who is in which
 * segment, keyed like KV (no raw ids), for the counts per segment, for skipping rows that did not change, and
 * for `--replace` sweeps; and how far each push got.
 *
 * KV and the index never disagree unseen. Every change is written ahead: in one SQL transaction, before any KV
 * write, each changed row gets its intended value and `pending = 1`. Each KV write is then settled on its own,
 * and only a confirmed one clears its mark (a confirmed removal deletes its row). So whatever fails (one KV
 * write, all of them, or the object itself between the KV writes and the index update), a row whose KV value is
 * not confirmed stays marked, and a marked row is never "unchanged": the next import of that customer writes KV
 * again, and the object's alarm retries marked rows on its own (`pendingWrites`).
 *
 * Counts show the index's intended state (the latest word of the imports) and say how many rows are pending:
 * for those, KV may still hold the value from before.
 *
 * Rows: `segments` (JSON list; `[]` with `pending = 1` is a removal not yet confirmed), `expires_at` (ms), `covariates` (JSON or NULL),
 * `sync` (the push that last wrote the row), `updated_at` (when any write last did), `pending`. Stored values are
 * checked as they are read (sql-rows.ts). Also the `meta` row `last_import`.
 */
import type { Membership } from "../core/decide";
import type { MembershipWrite } from "./memberships";
import { isStringArray, readRow, readRows } from "./sql-rows";

/** How long a push (its id and position) is remembered. */
const SYNC_KEPT_MS = 30 * 86_400_000;
/** A row not yet confirmed in KV whose intended value is "in no segment". */
const REMOVAL = "[]";
/** Rows neither written by the push (`sync`, first parameter) nor updated since it started (second parameter). */
const STALE = "(sync IS NULL OR sync <> ?) AND (updated_at IS NULL OR updated_at < ?)";

/** A membership's covariates as the index stores them: JSON, or null without any. */
function covariatesText(membership: Membership): string | null {
  return membership.covariates ? JSON.stringify(membership.covariates) : null;
}

function isCovariates(value: unknown): value is Record<string, number> {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.values(value).every((v) => typeof v === "number" && Number.isFinite(v));
}

/** What the site's object knows of one push (`segments push`, or any import sent with `?sync=`). */
export interface PushRecord {
  sync: string;
  startedAt: number;
  finishedAt: number | null;
  /** The first file line the push has not had acknowledged (from the `next` of its acknowledged batches), or null. */
  nextLine: number | null;
}

/** Why a push may not go on; `standsAt` when the batch starts before the line the push already reached. */
export interface PushConflict {
  conflict: string;
  standsAt?: number;
}

export interface SegmentCounts {
  segments: { segment: string; members: number }[];
  /** Customers in at least one segment, memberships still current. */
  customers: number;
  /** Rows whose KV value is not confirmed yet (written again by the next import of that customer or the repair alarm). */
  pending: number;
  lastImport: string | null;
}

export class MemberIndex {
  constructor(
    private readonly sql: SqlStorage,
    private readonly storage: DurableObjectStorage,
  ) {}

  /**
   * Positions (in `writes`) of the writes KV needs: every removal (KV may hold a key the index lacks), and every
   * membership the index does not hold, confirmed, exactly as it is.
   */
  changed(writes: readonly MembershipWrite[]): number[] {
    return writes.flatMap((write, i) => (write.membership === null || !this.holds(write.key, write.membership) ? [i] : []));
  }

  private holds(key: string, membership: Membership): boolean {
    const row = readRow(this.sql.exec("SELECT segments, expires_at, covariates FROM members WHERE key = ? AND (pending IS NULL OR pending = 0)", key).toArray()[0], "members");
    return (
      row !== undefined &&
      row.text("segments") === JSON.stringify(membership.segments) &&
      row.integerOrNull("expires_at") === (membership.expiresAt ?? null) &&
      row.textOrNull("covariates") === covariatesText(membership)
    );
  }

  /**
   * The write-ahead step, one transaction: the push (if any) is recorded, the `changed` rows get their intended
   * value marked pending, the others are marked as touched by this write (for `--replace`).
   */
  writeAhead(writes: readonly MembershipWrite[], changed: readonly number[], sync: string | null, now: number): void {
    const isChanged = new Set(changed);
    this.storage.transactionSync(() => {
      if (sync && this.sql.exec("INSERT OR IGNORE INTO syncs (id, started_at) VALUES (?, ?)", sync, now).rowsWritten > 0) {
        this.sql.exec("DELETE FROM syncs WHERE started_at < ?", now - SYNC_KEPT_MS);
      }
      writes.forEach(({ key, membership }, i) => {
        if (isChanged.has(i)) {
          this.sql.exec(
            "INSERT OR REPLACE INTO members (key, segments, expires_at, covariates, sync, updated_at, pending) VALUES (?, ?, ?, ?, ?, ?, 1)",
            key,
            membership === null ? REMOVAL : JSON.stringify(membership.segments),
            membership?.expiresAt ?? null,
            membership === null ? null : covariatesText(membership),
            sync,
            now,
          );
        } else {
          this.sql.exec("UPDATE members SET sync = ?, updated_at = ? WHERE key = ?", sync, now, key);
        }
      });
    });
  }

  /** Marks rows for removal (a `--replace` sweep), keeping who wrote them last, so they stay "not this push's". */
  markRemovals(keys: readonly string[]): void {
    this.storage.transactionSync(() => {
      for (const key of keys) this.sql.exec("UPDATE members SET segments = ?, expires_at = NULL, pending = 1 WHERE key = ?", REMOVAL, key);
    });
  }

  /**
   * After the KV writes, one transaction: each confirmed write clears its row's mark (a confirmed removal deletes
   * the row); unconfirmed rows stay pending. `also` runs in the same transaction (a push's position, the audit line).
   */
  settle(applied: readonly MembershipWrite[], landed: readonly boolean[], also?: () => void): void {
    this.storage.transactionSync(() => {
      applied.forEach(({ key, membership }, i) => {
        if (!landed[i]) return;
        if (membership === null) this.sql.exec("DELETE FROM members WHERE key = ? AND pending = 1 AND segments = ?", key, REMOVAL);
        else this.sql.exec("UPDATE members SET pending = 0 WHERE key = ?", key);
      });
      also?.();
    });
  }

  /** Up to `limit` rows whose KV value is not confirmed, as the writes that would confirm them. */
  pendingWrites(limit: number): MembershipWrite[] {
    return readRows(this.sql.exec("SELECT key, segments, expires_at, covariates FROM members WHERE pending = 1 LIMIT ?", limit), "members").map((row) => {
      const key = row.text("key");
      const segments = row.json("segments", isStringArray, "a list of segments");
      if (segments.length === 0) return { key, membership: null };
      const expiresAt = row.integerOrNull("expires_at");
      const covariates = row.textOrNull("covariates") === null ? null : row.json("covariates", isCovariates, "an object of covariates");
      return { key, membership: { segments, ...(expiresAt === null ? {} : { expiresAt }), ...(covariates ? { covariates } : {}) } };
    });
  }

  pendingCount(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM members WHERE pending = 1").one().n;
  }

  /** Members per segment (memberships still current at `now`), customers in any, pending rows, the last import. */
  counts(now: number): SegmentCounts {
    const current = `segments <> '${REMOVAL}' AND (expires_at IS NULL OR expires_at > ?)`;
    // The segment ids come out of the stored JSON lists: checked like any stored value.
    const segments = readRows(
      this.sql.exec(`SELECT j.value AS segment, COUNT(*) AS members FROM members, json_each(members.segments) AS j WHERE ${current} GROUP BY j.value ORDER BY j.value`, now),
      "members",
    ).map((row) => ({ segment: row.text("segment"), members: row.integer("members") }));
    const customers = this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM members WHERE ${current}`, now).one().n;
    const lastImport = readRow(this.sql.exec("SELECT value FROM meta WHERE key = 'last_import'").toArray()[0], "meta last_import")?.text("value") ?? null;
    return { segments, customers, pending: this.pendingCount(), lastImport };
  }

  /** Members the push `sync` did not write and that no other write touched since it started. */
  staleKeys(sync: string, startedAt: number, limit: number): string[] {
    return readRows(this.sql.exec(`SELECT key FROM members WHERE ${STALE} LIMIT ?`, sync, startedAt, limit), "members").map((row) => row.text("key"));
  }

  /**
   * Of `keys`, how many the index holds a row for (a member, or a removal not yet confirmed): a dry run's `existing`,
   * the customers of a file that a `--replace` push would keep.
   */
  heldCount(keys: readonly string[]): number {
    let held = 0;
    for (const key of keys) held += this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM members WHERE key = ?", key).one().n;
    return held;
  }

  /** Every row of the index: what a `--replace` sweep compares with (expired and pending rows included, as it removes them too). */
  rowCount(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM members").one().n;
  }

  staleCount(sync: string, startedAt: number): number {
    return this.sql.exec<{ n: number }>(`SELECT COUNT(*) AS n FROM members WHERE ${STALE}`, sync, startedAt).one().n;
  }

  push(sync: string): PushRecord | null {
    const row = readRow(this.sql.exec("SELECT started_at, finished_at, next_line FROM syncs WHERE id = ?", sync).toArray()[0], "syncs");
    return row ? { sync, startedAt: row.integer("started_at"), finishedAt: row.integerOrNull("finished_at"), nextLine: row.integerOrNull("next_line") } : null;
  }

  /** Records when the site last had an import (shown with the counts). */
  noteImport(now: number): void {
    this.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('last_import', ?)", new Date(now).toISOString());
  }

  /**
   * Why a batch (`step` "write", starting at file line `from` when the client says) or a sweep of the push `sync`
   * may not go on, or null: the push finished already (a new push needs a new id); a newer push started since
   * (resuming the old one would write its older rows over the newer push's); or the batch starts before the line
   * the push already reached (a stale checkpoint, or a second copy of the push, would do the same).
   */
  pushConflict(sync: string, step: "write" | "sweep", from: number | null): PushConflict | null {
    const push = this.push(sync);
    if (!push) return null;
    if (push.finishedAt !== null && step === "write") return { conflict: `the push ${sync} finished already: a new push needs a new sync id` };
    const newer = this.sql.exec("SELECT 1 FROM syncs WHERE started_at > ? AND id <> ? LIMIT 1", push.startedAt, sync).toArray()[0];
    if (newer) return { conflict: `a newer push started after ${sync}: start this one over (segments push --restart)` };
    if (step === "write" && from !== null && push.nextLine !== null && from < push.nextLine) {
      return {
        conflict: `the push ${sync} stands at line ${push.nextLine}: this batch starts at line ${from}, which was acknowledged already`,
        standsAt: push.nextLine,
      };
    }
    return null;
  }

  /** Records that the push `sync` had every line before `nextLine` acknowledged (it never moves back). */
  acknowledge(sync: string, nextLine: number): void {
    this.sql.exec("UPDATE syncs SET next_line = MAX(COALESCE(next_line, 0), ?) WHERE id = ?", nextLine, sync);
  }

  finish(sync: string, now: number): void {
    this.sql.exec("UPDATE syncs SET finished_at = ? WHERE id = ? AND finished_at IS NULL", now, sync);
  }
}
