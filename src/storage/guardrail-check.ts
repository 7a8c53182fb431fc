/**
 * @module The guardrail check, one part of SiteAdmin's alarm: while the live config has an experiment whose guardrails
 * watch a running variant, every GUARDRAIL_CHECK_MS it adds up the experiment's shards, computes its results and,
 * for a variant the sequential test finds worse on a guardrail (src/core/guardrails.ts), publishes a new version
 * with that variant stopped, authored by the guardrail (GUARDRAIL_ACTOR), with a note naming the metric, p-value and
 * interval, through the same publishing as a marketer's (config-publishing.ts): the version and its audit line in
 * one transaction, then the KV copy, owed to the alarm when KV fails.
 *
 * It runs inside the object's exclusive section, against the live version it read: no publish comes in between.
 * Faults: a shard that fails or does not answer in time changes nothing, and the check runs again after
 * GUARDRAIL_RETRY_MS; it never throws (an exception leaving `blockConcurrencyWhile` resets the object).
 *
 * Why 15 minutes: the sequential verdicts are valid at every look, so checking often raises no false alarm and
 * only costs the shards' sums (16 calls, each a grouped scan of that shard's units); 15 minutes keeps a losing
 * variant's extra exposure to a quarter of an hour after the evidence is in, at 96 checks a day per running site.
 */
import { GUARDRAIL_ACTOR } from "../core/access";
import type { Config, VariantStop } from "../core/config-schema";
import { experimentKey } from "../core/experiment";
import { experimentResults } from "../core/experiment-results";
import type { GuardrailBreach } from "../core/guardrails";
import { breachKey, guardrailDecision, guardrailNote, guardrailStop, hasActiveGuardrails, withVariantsStopped } from "../core/guardrails";
import { withTimeout } from "../core/timeout";
import { alarmWithin } from "./alarm";
import type { ConfigPublishing } from "./config-publishing";
import type { ConfigVersions } from "./config-versions";
import type { ExperimentBindings } from "./experiments";
import { experimentAggregates } from "./experiments";
import { readRow, readRows } from "./sql-rows";

/** How often the guardrails of a running experiment are checked (see the module's comment for why). */
export const GUARDRAIL_CHECK_MS = 15 * 60_000;
/** When a check that could not add up the shards runs again. */
export const GUARDRAIL_RETRY_MS = 60_000;
/** How long a check waits for the shards' sums: well inside `blockConcurrencyWhile`'s 30 s. */
const AGGREGATES_TIMEOUT_MS = 10_000;

/** The meta row `guardrail`: the site (for the shards' names and the KV key) and when the next check is due. */
interface GuardrailSchedule {
  site: string;
  due: number;
}

const isSchedule = (value: unknown): value is GuardrailSchedule => {
  if (typeof value !== "object" || value === null) return false;
  const { site, due } = value as Record<string, unknown>;
  return typeof site === "string" && typeof due === "number" && Number.isFinite(due);
};

export class GuardrailCheck {
  constructor(
    private readonly storage: DurableObjectStorage,
    private readonly versions: ConfigVersions,
    private readonly publishing: ConfigPublishing,
  ) {}

  /**
   * After a publish: schedules the check when the live config has guardrails watching a running variant (keeping a
   * check already due sooner), and drops the schedule when it has none.
   */
  async schedule(site: string): Promise<void> {
    const current = this.scheduled();
    const due = current?.site === site ? current.due : Date.now() + GUARDRAIL_CHECK_MS;
    await this.reschedule(site, due);
  }

  /** The alarm's part: checks when due, and asks for the alarm again for the next check. Never throws on a shard failure. */
  async run(kv: KVNamespace, env: Pick<ExperimentBindings, "EXPERIMENTS">): Promise<void> {
    const schedule = this.scheduled();
    if (!schedule) return;
    const now = Date.now();
    if (now < schedule.due) {
      await this.reschedule(schedule.site, schedule.due);
      return;
    }
    const checked = await this.check(kv, env, schedule.site);
    await this.reschedule(schedule.site, Date.now() + (checked ? GUARDRAIL_CHECK_MS : GUARDRAIL_RETRY_MS));
  }

  /** One check of every watched experiment of the live version; false when a shard failed (nothing changed then). */
  private async check(kv: KVNamespace, env: Pick<ExperimentBindings, "EXPERIMENTS">, site: string): Promise<boolean> {
    const live = this.versions.live();
    if (!live) return true;
    const watched = live.config.campaigns.filter(hasActiveGuardrails);
    const stops = new Map<string, Map<string, VariantStop>>();
    const breaches: { campaign: (typeof watched)[number]; breach: GuardrailBreach }[] = [];
    const remember: { experiment: string; key: string }[] = [];
    const forget: { experiment: string; key: string }[] = [];
    const at = new Date().toISOString();
    for (const campaign of watched) {
      const experiment = experimentKey(campaign);
      let counts;
      try {
        counts = await withTimeout(experimentAggregates(env, site, experiment), AGGREGATES_TIMEOUT_MS);
      } catch (error) {
        console.error(`valuebar: guardrail check of ${site}/${experiment} failed; retrying`, error);
        return false;
      }
      const decision = guardrailDecision(campaign, experimentResults(campaign, counts), this.remembered(experiment));
      for (const key of decision.cleared) forget.push({ experiment, key });
      for (const { breach, all } of decision.stops) {
        const byVariant = stops.get(campaign.id) ?? new Map<string, VariantStop>();
        byVariant.set(breach.variant, guardrailStop(breach, at));
        stops.set(campaign.id, byVariant);
        breaches.push({ campaign, breach });
        // Every metric it is worse on now: a marketer who switches it back on has seen them all.
        for (const b of all) remember.push({ experiment, key: breachKey(b) });
      }
    }
    const writeMemory = () => {
      for (const { experiment, key } of forget) this.storage.sql.exec("DELETE FROM guardrail_stops WHERE experiment = ? AND breach = ?", experiment, key);
      for (const { experiment, key } of remember) {
        this.storage.sql.exec("INSERT OR IGNORE INTO guardrail_stops (experiment, breach) VALUES (?, ?)", experiment, key);
      }
    };
    if (breaches.length === 0) {
      if (forget.length > 0) this.storage.transactionSync(writeMemory);
      return true;
    }
    let config: Config = live.config;
    for (const [campaignId, byVariant] of stops) config = withVariantsStopped(config, campaignId, byVariant);
    const note = breaches.map(({ campaign, breach }) => guardrailNote(campaign, breach)).join("; ");
    // The version, its audit line and what the guardrail remembers are one transaction; KV follows, owed to the alarm on failure.
    await this.publishing.publish(kv, site, config, note, GUARDRAIL_ACTOR, "guardrail.stop", writeMemory);
    return true;
  }

  /** The breach keys the guardrail stopped variants of this experiment run for. */
  private remembered(experiment: string): Set<string> {
    return new Set(readRows(this.storage.sql.exec("SELECT breach FROM guardrail_stops WHERE experiment = ?", experiment), "guardrail_stops").map((row) => row.text("breach")));
  }

  private scheduled(): GuardrailSchedule | null {
    const row = this.storage.sql.exec("SELECT value FROM meta WHERE key = 'guardrail'").toArray()[0];
    return readRow(row, "meta guardrail")?.json("value", isSchedule, "{site, due}") ?? null;
  }

  /** Keeps the check due at `due` while the live config has guardrails to watch (and asks for the alarm), else drops it. */
  private async reschedule(site: string, due: number): Promise<void> {
    const watching = this.versions.live()?.config.campaigns.some(hasActiveGuardrails) ?? false;
    if (!watching) {
      this.storage.sql.exec("DELETE FROM meta WHERE key = 'guardrail'");
      return;
    }
    this.storage.sql.exec("INSERT OR REPLACE INTO meta (key, value) VALUES ('guardrail', ?)", JSON.stringify({ site, due } satisfies GuardrailSchedule));
    await alarmWithin(this.storage, Math.max(0, due - Date.now()));
  }
}
