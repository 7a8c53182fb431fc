/**
 * @module SiteAdmin: one Durable Object per site, the single writer of that site's admin state.
 * - Config versions live in its SQLite storage (strongly consistent, numbered without gaps), each with its change
 *   summary, written once at publish. The object's SQLite is the truth of which version is live; KV holds a copy
 *   for the hot path and converges to it (config-publishing.ts, and the alarm).
 * - Imports are written to KV through it in chunks: each RPC call is its own invocation, so a 10,000-row import
 *   stays inside the per-invocation limit of KV operations. Its member index is written ahead of KV and settled
 *   write by write, so a failure anywhere leaves rows marked pending, which the next import of that customer or the
 *   object's alarm writes again (member-writes.ts).
 * - Guardrails: while the live config has an experiment with guardrails, the alarm checks its results and publishes a
 *   version with a losing variant stopped, authored by the guardrail (guardrail-check.ts).
 * Publishes and rollbacks of one site are serialized (`exclusive`), so versions never interleave. Imports are
 * validated whole before their first chunk; chunks of two concurrent imports may interleave, and as each row
 * replaces one customer's whole value, the later write of a customer wins, as with any two updates.
 *
 * The class is the RPC surface: it brings the schema up to date when it starts (site-admin-migrations.ts), decides
 * which calls run alone and owns the alarm; the work is in modules that take its storage, one per concern:
 * config-versions.ts (versions, draft, live pointer, KV sync mark) with config-publishing.ts, site-tokens.ts,
 * audit-log.ts, member-index.ts (members and pushes) with member-writes.ts. KV is passed to them on each call
 * (`this.env.KV`), as the binding is read when used.
 */
import { DurableObject } from "cloudflare:workers";
import type { Draft, Published, VersionPage } from "../core/config-history";
import type { Actor, IssuedRole } from "../core/access";
import type { Config } from "../core/config-schema";
import type { AuditEntry } from "./audit-log";
import { AuditLog } from "./audit-log";
import type { LiveStatus } from "./config-publishing";
import { ConfigPublishing } from "./config-publishing";
import { ConfigVersions } from "./config-versions";
import type { ExperimentShard } from "./experiment-shard";
import { GuardrailCheck } from "./guardrail-check";
import type { LiveConfig } from "./live-config";
import type { PushConflict, PushRecord, SegmentCounts } from "./member-index";
import { MemberIndex } from "./member-index";
import type { ImportCheck, ImportChunkOptions, ImportChunkResult, SweepPreview, SweepResult } from "./member-writes";
import { IMPORT_CHUNK, MemberWrites } from "./member-writes";
import type { MembershipWrite } from "./memberships";
import { SITE_ADMIN_MIGRATIONS } from "./site-admin-migrations";
import type { TokenSummary } from "./site-tokens";
import { SiteTokens } from "./site-tokens";
import { migrate } from "./sql-migrations";

// The types of the object's answers, exported with it so its callers (routes, the editor, tests) import them from here.
export type { AuditEntry } from "./audit-log";
export type { LiveStatus } from "./config-publishing";
export type { ImportAudit, ImportCheck, ImportChunkOptions, ImportChunkResult, SweepPreview } from "./member-writes";
export { IMPORT_CHUNK } from "./member-writes";
export type { TokenSummary } from "./site-tokens";

/**
 * What the object reads of the Worker's bindings (env.ts's Env): KV, for the live config and the memberships, and
 * the experiment shards, whose sums the guardrail check reads.
 */
export interface SiteAdminBindings {
  KV: KVNamespace;
  EXPERIMENTS: DurableObjectNamespace<ExperimentShard>;
}

export class SiteAdmin extends DurableObject<SiteAdminBindings> {
  // Named apart from the RPC methods (`versions`, `tokens`, `auditLog`): a field would hide the method of its name.
  private readonly history: ConfigVersions;
  private readonly publishing: ConfigPublishing;
  private readonly issuedTokens: SiteTokens;
  private readonly auditTrail: AuditLog;
  private readonly members: MemberIndex;
  private readonly memberWrites: MemberWrites;
  private readonly guardrails: GuardrailCheck;

  constructor(ctx: DurableObjectState, env: SiteAdminBindings) {
    super(ctx, env);
    migrate(ctx.storage, SITE_ADMIN_MIGRATIONS);
    const { sql } = ctx.storage;
    this.auditTrail = new AuditLog(sql);
    this.history = new ConfigVersions(sql);
    this.publishing = new ConfigPublishing(ctx.storage, this.history, this.auditTrail);
    this.issuedTokens = new SiteTokens(ctx.storage, this.auditTrail);
    this.members = new MemberIndex(sql, ctx.storage);
    this.memberWrites = new MemberWrites(ctx.storage, this.members, this.auditTrail);
    this.guardrails = new GuardrailCheck(ctx.storage, this.history, this.publishing);
  }

  // The config: draft, live version, history, publish and rollback (config-versions.ts, config-publishing.ts).

  /** The saved draft, or null. */
  draft(): Draft | null {
    return this.history.draft();
  }

  /** Saves a validated config as the draft (replacing any); "changed" when `base` is given and names another draft than the saved one. */
  saveDraft(config: Config, by: Actor, base?: string | null): Draft | "changed" {
    return this.publishing.saveDraft(config, by, base);
  }

  discardDraft(by?: Actor): boolean {
    return this.publishing.discardDraft(by);
  }

  /** Publishes the draft as the next version and clears it; null when there is no draft, "changed" when someone saved over it since `savedAt`. */
  async publishDraft(site: string, note: string, by: Actor, savedAt?: string): Promise<Published | "changed" | null> {
    return this.exclusive(() => this.scheduling(site, this.publishing.publishDraft(this.env.KV, site, note, by, savedAt)));
  }

  /** The live config, or null for a site that has none yet. */
  live(): LiveConfig | null {
    return this.history.live();
  }

  /** The live config and whether the hot path may still serve an older one (a KV write is being retried). */
  liveStatus(): LiveStatus | null {
    return this.publishing.liveStatus();
  }

  /** Publishes a validated config as the next version and makes it live. */
  async publish(site: string, config: Config, note: string, by: Actor): Promise<Published> {
    return this.exclusive(() => this.scheduling(site, this.publishing.publish(this.env.KV, site, config, note, by)));
  }

  /** Makes an old version live again, as a new version (history stays linear); null if there is no such version. */
  async rollback(site: string, version: number, note: string, by: Actor): Promise<Published | null> {
    return this.exclusive(() => this.scheduling(site, this.publishing.rollback(this.env.KV, site, version, note, by)));
  }

  /** One version's config, or null when there is no such version. */
  version(version: number): LiveConfig | null {
    return this.history.load(version);
  }

  /** A page of the history, newest first: up to `limit` versions older than `before` (all when absent). */
  versions(limit: number, before?: number): VersionPage {
    return this.history.page(limit, before);
  }

  /** A publish's answer, once the guardrail check is scheduled for the version now live (or dropped when it has no guardrails). */
  private async scheduling<T>(site: string, publishing: Promise<T>): Promise<T> {
    const answer = await publishing;
    await this.guardrails.schedule(site);
    return answer;
  }

  // Tokens and the audit log (site-tokens.ts, audit-log.ts).

  /** The holder of the token with this SHA-256, or null. */
  tokenActor(hash: string): Actor | null {
    return this.issuedTokens.actor(hash);
  }

  /** Issues a token (stored as its hash); false when the name is taken. */
  createToken(name: string, role: IssuedRole, hash: string, by: Actor): boolean {
    return this.issuedTokens.create(name, role, hash, by);
  }

  tokens(): TokenSummary[] {
    return this.issuedTokens.list();
  }

  /** Revokes a token at once; its hash (to drop from the KV index), or null when there is none by that name. */
  deleteToken(name: string, by: Actor): string | null {
    return this.issuedTokens.revoke(name, by);
  }

  /** Adds a line to the audit log. */
  audit(by: Actor, action: string, summary: string): void {
    this.auditTrail.record(by, action, summary);
  }

  /** The latest audit lines, newest first. */
  auditLog(limit: number): AuditEntry[] {
    return this.auditTrail.latest(limit);
  }

  // Memberships: import chunks, --replace sweeps, removals and counts (member-writes.ts, member-index.ts).

  /** Writes one chunk of a validated import (at most IMPORT_CHUNK rows); chunks of one site run one at a time. */
  async writeMemberships(writes: MembershipWrite[], options: ImportChunkOptions = {}): Promise<ImportChunkResult> {
    if (writes.length > IMPORT_CHUNK) throw new RangeError(`at most ${IMPORT_CHUNK} rows per chunk`);
    return this.exclusive(() => this.memberWrites.write(this.env.KV, writes, options));
  }

  /** A dry run of one import chunk (at most IMPORT_CHUNK rows): rows a write would skip, rows of customers the index holds. */
  checkMemberships(writes: MembershipWrite[]): ImportCheck {
    if (writes.length > IMPORT_CHUNK) throw new RangeError(`at most ${IMPORT_CHUNK} rows per chunk`);
    return this.memberWrites.check(writes);
  }

  /** Rows of the member index: the members a `--replace` push compares with (a dry run's `members`). */
  memberRows(): number {
    return this.members.rowCount();
  }

  /** What the sweep of the push `sync` would remove now, and of how many members; null for a sync this site never saw. */
  sweepPreview(sync: string): SweepPreview | PushConflict | null {
    const push = this.members.push(sync);
    return push ? this.memberWrites.sweepPreview(push) : null;
  }

  /**
   * The end of a `--replace` push: removes up to `limit` members that the push `sync` did not write and that no
   * other write touched since it started. Null for a sync this site never saw. `by`: who asked, for the audit.
   */
  async sweep(sync: string, by: Actor | null = null, limit: number = IMPORT_CHUNK): Promise<SweepResult | PushConflict | null> {
    const push = this.members.push(sync);
    if (!push) return null;
    return this.exclusive(() => this.memberWrites.sweep(this.env.KV, push, by, limit));
  }

  /** What the site knows of a push: its start, its sweep's end, and the first line not yet acknowledged. */
  pushState(sync: string): PushRecord | null {
    return this.members.push(sync);
  }

  /** Removes one customer's membership (DELETE of one customer); `landed: false` leaves it to the alarm. */
  async removeMember(key: string, audit: Actor | null): Promise<{ landed: boolean }> {
    return this.exclusive(() => this.memberWrites.remove(this.env.KV, key, audit));
  }

  /** Members per segment (memberships still current at `now`), the customers in any, pending rows, the last import. */
  segmentCounts(now: number): SegmentCounts {
    return this.members.counts(now);
  }

  /**
   * The alarm, the object's one timer: writes the live config to KV while a publish's write is still owed,
   * retries the membership writes KV has not confirmed yet, and checks the guardrails when due. Each part backs off
   * on its own failures and asks for the alarm again (the earliest request wins: alarm.ts).
   */
  override async alarm(): Promise<void> {
    await this.exclusive(async () => {
      await this.publishing.syncKv(this.env.KV);
      await this.memberWrites.repair(this.env.KV);
      await this.guardrails.run(this.env.KV, this.env);
    });
  }

  /**
   * Runs `work` with no other request or alarm of this object in between. An exception thrown inside
   * `blockConcurrencyWhile` resets the object, so it is caught there and rethrown outside, to the caller.
   * Nothing inside may throw on a storage failure for the same reason: the modules answer KV failures instead.
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
}
