/**
 * @module How a site's config changes: drafts saved and discarded, versions published and rolled back, and the copy
 * of the live version in KV (what the hot path serves) brought in line with SQLite (the truth), now or from the
 * alarm. Runs inside the SiteAdmin object, which serializes publishes (`exclusive`), so KV's last write is always
 * the live version's. Never throws on a KV failure: it answers `storefront: "pending"` and leaves it to the alarm.
 */
import type { Actor } from "../core/access";
import { describeChanges } from "../core/config-diff";
import type { Draft, Published } from "../core/config-history";
import type { Config } from "../core/config-schema";
import { withTimeout } from "../core/timeout";
import { alarmWithin } from "./alarm";
import type { AuditLog } from "./audit-log";
import type { ConfigVersions, KvSync } from "./config-versions";
import { configKey } from "./keys";
import type { LiveConfig } from "./live-config";

/** The live version and whether KV (what the hot path serves) may still hold an older one. */
export interface LiveStatus {
  live: LiveConfig;
  storefrontPending: boolean;
}

/** How long a publish waits for KV to take the live config before leaving it to the alarm. */
const KV_PUT_TIMEOUT_MS = 10_000;
/** The first retry of a KV write of the live config, doubled after each failure up to KV_RETRY_MAX_MS. */
const KV_RETRY_MS = 5_000;
const KV_RETRY_MAX_MS = 5 * 60_000;

export class ConfigPublishing {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly versions: ConfigVersions,
    private readonly audit: AuditLog,
  ) {}

  /**
   * Saves a validated config as the draft (replacing any), without touching the live config. With `base` (the
   * `savedAt` of the draft this one replaces, or null for none), "changed" when the saved draft is another one:
   * an editor saving as they type must not write over a colleague's draft saved meanwhile.
   */
  saveDraft(config: Config, by: Actor, base?: string | null): Draft | "changed" {
    const current = this.versions.draft();
    if (base !== undefined && (current?.savedAt ?? null) !== base) return "changed";
    const draft: Draft = { config, savedAt: new Date().toISOString(), savedBy: by.name };
    // Two saves within a millisecond would share a savedAt, which a later `base` could not tell apart.
    if (draft.savedAt === current?.savedAt) draft.savedAt = new Date(Date.parse(draft.savedAt) + 1).toISOString();
    const before = current?.config ?? this.versions.live()?.config ?? null;
    this.storage.transactionSync(() => {
      this.versions.writeDraft(draft);
      this.audit.record(by, "draft.save", describeChanges(before, config).join("; ").slice(0, 1000));
    });
    return draft;
  }

  discardDraft(by?: Actor): boolean {
    const deleted = this.versions.deleteDraft();
    if (deleted && by) this.audit.record(by, "draft.discard", "discarded the draft");
    return deleted;
  }

  /** The live config and whether the hot path may still serve an older one (a KV write is being retried). */
  liveStatus(): LiveStatus | null {
    const live = this.versions.live();
    return live ? { live, storefrontPending: this.versions.kvSync() !== null } : null;
  }

  /** Publishes the draft as the next version and clears it; null when there is no draft. */
  async publishDraft(kv: KVNamespace, site: string, note: string, by: Actor, savedAt?: string): Promise<Published | "changed" | null> {
    const draft = this.versions.draft();
    if (!draft) return null;
    // Someone saved over the draft since this editor saved it: publish nothing rather than their work.
    if (savedAt !== undefined && draft.savedAt !== savedAt) return "changed";
    // The draft goes in the same transaction as the version: published and cleared, or neither.
    return this.publish(kv, site, draft.config, note, by, "config.publish", () => this.versions.deleteDraft());
  }

  /** Makes an old version live again, as a new version (history stays linear); null if there is no such version. */
  async rollback(kv: KVNamespace, site: string, version: number, note: string, by: Actor): Promise<Published | null> {
    const old = this.versions.load(version);
    if (!old) return null;
    return this.publish(kv, site, old.config, note || `Rollback to version ${version}`, by, "config.rollback");
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
   */
  async publish(kv: KVNamespace, site: string, config: Config, note: string, by: Actor, action = "config.publish", alsoInTransaction?: () => void): Promise<Published> {
    const author = by.name;
    const previous = this.versions.latestVersion();
    const before = previous === null ? null : this.versions.load(previous);
    const version = (previous ?? 0) + 1;
    const createdAt = new Date().toISOString();
    const changes = describeChanges(before?.config ?? null, config);
    this.storage.transactionSync(() => {
      this.versions.insertLive({ version, createdAt, note, author, config, changes });
      this.versions.oweKv({ site, failures: 0 });
      alsoInTransaction?.();
      this.audit.record(by, action, `version ${version} is live${note ? `: ${note}` : ""}`);
    });
    await alarmWithin(this.storage, KV_RETRY_MS);
    const synced = await this.syncKv(kv);
    return { version, createdAt, note, author, live: true, changes, ...(synced ? {} : { storefront: "pending" as const }) };
  }

  /**
   * Writes the live config to KV when the `kv_sync` mark says KV owes it; true when KV has it. On a failure the
   * mark stays and the alarm is set to try again (5 s, doubling up to 5 min). Never throws for a KV failure:
   * an exception escaping `blockConcurrencyWhile` would reset the object.
   */
  async syncKv(kv: KVNamespace): Promise<boolean> {
    const owed = this.versions.kvSync();
    if (!owed) return true;
    const live = this.versions.live();
    if (live) {
      try {
        await withTimeout(kv.put(configKey(owed.site), JSON.stringify(live)), KV_PUT_TIMEOUT_MS);
      } catch (error) {
        console.error(`valuebar: KV did not take version ${live.version} of ${owed.site}; retrying from the alarm`, error);
        const failures = owed.failures + 1;
        this.versions.kvFailed({ ...owed, failures } satisfies KvSync);
        await alarmWithin(this.storage, Math.min(KV_RETRY_MAX_MS, KV_RETRY_MS * 2 ** (failures - 1)));
        return false;
      }
    }
    this.versions.kvSynced();
    return true;
  }
}
