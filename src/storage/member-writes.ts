/**
 * @module A site's membership writes, run inside its SiteAdmin object: an import's chunks, a `--replace` push's
 * sweep, one customer's removal, and the alarm's repair of writes KV did not confirm. Each writes the member index
 * (member-index.ts) ahead of KV, settles every KV write on its own, and records its audit line with the index update,
 * so a failure anywhere leaves rows marked pending, which the next import of that customer or the alarm writes
 * again. Never throws on a KV failure (the object is reset when an exception leaves `blockConcurrencyWhile`).
 */
import type { Actor } from "../core/access";
import { alarmWithin } from "./alarm";
import type { AuditLog } from "./audit-log";
import type { MemberIndex, PushConflict, PushRecord } from "./member-index";
import type { MembershipWrite } from "./memberships";
import { applyWrites } from "./memberships";

/** Rows per RPC call of an import: with one KV operation per row, well inside 1,000 per invocation. */
export const IMPORT_CHUNK = 500;
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

/** What one chunk of an import would do (a dry run): rows a write would skip, and rows of customers the index holds. */
export interface ImportCheck {
  unchanged: number;
  existing: number;
}

/** What a `--replace` sweep would remove (a dry run): members the push did not write, of all the index holds. */
export interface SweepPreview {
  wouldRemove: number;
  members: number;
}

export interface SweepResult {
  removed: number;
  failed: number;
  remaining: number;
}

export class MemberWrites {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly members: MemberIndex,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Writes one chunk of a validated import (at most IMPORT_CHUNK rows). A row the index holds, confirmed and
   * identical, is not written to KV again (re-sent batches and daily re-pushes cost no KV writes).
   * On failure: the changed rows are written ahead in the index (pending), then each KV write is settled on its
   * own; `failed` lists the positions of writes KV did not confirm (their rows stay pending: a re-send writes
   * them, and so does the alarm). Should the object die midway, its rows stay pending the same way.
   */
  async write(kv: KVNamespace, writes: MembershipWrite[], options: ImportChunkOptions = {}): Promise<ImportChunkResult> {
    const sync = options.sync ?? null;
    const now = Date.now();
    const conflict = sync ? this.members.pushConflict(sync, "write", options.from ?? null) : null;
    if (conflict) return conflict;
    const changed = this.members.changed(writes);
    this.members.writeAhead(writes, changed, sync, now);
    this.members.noteImport(now);
    const applied = changed.flatMap((i) => writes.slice(i, i + 1));
    if (applied.length) await alarmWithin(this.storage, REPAIR_DELAY_MS);
    const landed = await applyWrites(kv, applied, now);
    const failed = changed.filter((_, j) => !landed[j]);
    const unchanged = writes.length - changed.length;
    this.members.settle(applied, landed, () => {
      const audit = options.audit;
      if (failed.length > 0) {
        if (audit) this.audit.record(audit.by, "segments.import", importStopped(audit, writes.length - failed.length, sync));
        return;
      }
      if (sync && options.acknowledge) this.members.acknowledge(sync, options.acknowledge);
      if (audit?.last) this.audit.record(audit.by, "segments.import", importSummary(audit, unchanged, sync));
    });
    return { unchanged, failed };
  }

  /** A dry run of `write`: nothing is written, not even the push's record. */
  check(writes: MembershipWrite[]): ImportCheck {
    return { unchanged: writes.length - this.members.changed(writes).length, existing: this.members.heldCount(writes.map((w) => w.key)) };
  }

  /** A dry run of `sweep`: how many members it would remove, counted as it counts them; nothing is marked. */
  sweepPreview(push: PushRecord): SweepPreview | PushConflict {
    const conflict = this.members.pushConflict(push.sync, "sweep", null);
    if (conflict) return conflict;
    return { wouldRemove: this.members.staleCount(push.sync, push.startedAt), members: this.members.rowCount() };
  }

  /**
   * The end of a `--replace` push: removes (from KV and the index) up to `limit` members that the push did not
   * write and that no other write touched since it started. On failure: rows are marked for removal ahead of the
   * KV deletes; those KV did not confirm stay marked (and still count as `remaining`): calling again, or the
   * alarm, deletes them. `by`: who asked, for the audit line recorded with the removals.
   */
  async sweep(kv: KVNamespace, push: PushRecord, by: Actor | null, limit: number): Promise<SweepResult | PushConflict> {
    const { sync } = push;
    const conflict = this.members.pushConflict(sync, "sweep", null);
    if (conflict) return conflict;
    const keys = this.members.staleKeys(sync, push.startedAt, limit);
    this.members.markRemovals(keys);
    if (keys.length) await alarmWithin(this.storage, REPAIR_DELAY_MS);
    const removals = keys.map((key) => ({ key, membership: null }));
    const landed = await applyWrites(kv, removals);
    const failed = landed.filter((ok) => !ok).length;
    this.members.settle(removals, landed, () => {
      if (by && keys.length > failed) this.audit.record(by, "segments.replace", `removed ${keys.length - failed} customer(s) not in the pushed file (push ${sync})`);
    });
    const remaining = this.members.staleCount(sync, push.startedAt);
    if (remaining === 0) this.members.finish(sync, Date.now());
    return { removed: keys.length - failed, failed, remaining };
  }

  /**
   * Removes one customer's membership, written ahead like an import: the index marks the removal before the KV
   * delete and forgets the row only once KV confirmed it. `landed: false`: the removal stays marked, and the alarm
   * (or the same removal again) completes it. `by`: who asked, recorded with the removal.
   */
  async remove(kv: KVNamespace, key: string, by: Actor | null): Promise<{ landed: boolean }> {
    const removal: MembershipWrite[] = [{ key, membership: null }];
    this.members.writeAhead(removal, [0], null, Date.now());
    await alarmWithin(this.storage, REPAIR_DELAY_MS);
    const landed = await applyWrites(kv, removal);
    this.members.settle(removal, landed, () => {
      if (by && landed[0]) this.audit.record(by, "segments.delete", "removed one customer's segments");
    });
    return { landed: landed[0] === true };
  }

  /**
   * Retries the KV writes that imports, sweeps or removals left unconfirmed (pending rows), a chunk at a time,
   * and asks for the alarm again while some remain.
   */
  async repair(kv: KVNamespace): Promise<void> {
    const writes = this.members.pendingWrites(IMPORT_CHUNK);
    if (writes.length === 0) return;
    const landed = await applyWrites(kv, writes);
    this.members.settle(writes, landed);
    if (this.members.pendingCount() > 0) await alarmWithin(this.storage, landed.every(Boolean) ? 0 : REPAIR_RETRY_MS);
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
