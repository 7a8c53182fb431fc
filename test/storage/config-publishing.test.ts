/**
 * @module How a site's config changes (src/storage/config-publishing.ts), on real SQLite and real KV: a publish
 * records the version, makes it live and copies it to KV; when KV fails the answer says the stores are pending and
 * the mark stays until a later sync lands; drafts publish only as saved; a rollback is a new version.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { OWNER } from "../../src/core/access";
import type { Config } from "../../src/core/config-schema";
import { parseConfig } from "../../src/core/config-schema";
import { AuditLog } from "../../src/storage/audit-log";
import { ConfigPublishing } from "../../src/storage/config-publishing";
import { ConfigVersions } from "../../src/storage/config-versions";
import { always, faultyKv } from "../faults";
import { newSite } from "../helpers";
import { withSiteStorage } from "./objects";

function config(text: string): Config {
  const parsed = parseConfig({ campaigns: [{ id: "sale", placement: "topbar", variants: [{ id: "a", weight: 1, message: { text } }] }] });
  if (!parsed.ok) throw new Error("test config invalid");
  return parsed.config;
}

function modules(storage: DurableObjectStorage) {
  const versions = new ConfigVersions(storage.sql);
  const audit = new AuditLog(storage.sql);
  return { versions, audit, publishing: new ConfigPublishing(storage, versions, audit) };
}

const kvVersion = async (site: string) => (await env.KV.get<{ version: number }>(`config:${site}`, { type: "json" }))?.version ?? null;

describe("ConfigPublishing", () => {
  it("publishes versions live and copies the live one to KV, with what changed and an audit line", async () => {
    const site = newSite("pub");
    const result = await withSiteStorage(async (storage) => {
      const { publishing, audit } = modules(storage);
      const first = await publishing.publish(env.KV, site, config("One"), "", OWNER);
      const second = await publishing.publish(env.KV, site, config("Two"), "new text", OWNER);
      return { first, second, status: publishing.liveStatus(), log: audit.latest(5).map((e) => e.summary) };
    });
    expect([result.first.version, result.first.changes, result.first.storefront]).toEqual([1, ["first version"], undefined]);
    expect([result.second.version, result.second.live, result.second.changes]).toEqual([2, true, ['campaign "sale": variant "a" text "One" → "Two"']]);
    expect(result.status?.storefrontPending).toBe(false);
    expect(result.log).toEqual(["version 2 is live: new text", "version 1 is live"]);
    expect(await kvVersion(site)).toBe(2);
  });

  it("answers 'pending' when KV does not take the version, keeps the mark and the alarm, and a later sync converges", async () => {
    const site = newSite("pub");
    const failing = faultyKv(env.KV, always((call) => call.op === "put", "fail"));
    const result = await withSiteStorage(async (storage) => {
      const { publishing, versions } = modules(storage);
      const published = await publishing.publish(failing, site, config("One"), "", OWNER);
      const marked = versions.kvSync();
      const alarm = await storage.getAlarm();
      const pending = publishing.liveStatus()?.storefrontPending;
      const synced = await publishing.syncKv(env.KV);
      return { storefront: published.storefront, live: versions.liveVersion(), marked, alarm, pending, synced, after: versions.kvSync() };
    });
    expect(result.storefront).toBe("pending");
    expect(result.live).toBe(1);
    expect(result.marked).toEqual({ site, failures: 1 });
    expect(result.alarm).not.toBeNull();
    expect(result.pending).toBe(true);
    expect(result.synced).toBe(true);
    expect(result.after).toBeNull();
    expect(await kvVersion(site)).toBe(1);
  });

  it("publishes a draft only as it was saved, clearing it with the publish; rolls back as a new version", async () => {
    const site = newSite("pub");
    const result = await withSiteStorage(async (storage) => {
      const { publishing, versions } = modules(storage);
      const none = await publishing.publishDraft(env.KV, site, "", OWNER);
      const draft = publishing.saveDraft(config("Draft"), OWNER);
      if (draft === "changed") throw new Error("a save without a base is never refused");
      const changed = await publishing.publishDraft(env.KV, site, "", OWNER, "2000-01-01T00:00:00.000Z");
      const published = await publishing.publishDraft(env.KV, site, "from the draft", OWNER, draft.savedAt);
      await publishing.publish(env.KV, site, config("Later"), "", OWNER);
      const missing = await publishing.rollback(env.KV, site, 9, "", OWNER);
      const rolledBack = await publishing.rollback(env.KV, site, 1, "", OWNER);
      return { none, changed, published: published !== null && published !== "changed" ? published.version : published, draftAfter: versions.draft(), missing, rolledBack, live: versions.live()?.config };
    });
    expect(result.none).toBeNull();
    expect(result.changed).toBe("changed");
    expect(result.published).toBe(1);
    expect(result.draftAfter).toBeNull();
    expect(result.missing).toBeNull();
    expect([result.rolledBack?.version, result.rolledBack?.note]).toEqual([3, "Rollback to version 1"]);
    expect(result.live).toEqual(config("Draft"));
    expect(await kvVersion(site)).toBe(3);
  });
});
