/**
 * @module A site's config history (src/storage/config-versions.ts) on real SQLite: the draft, versions and the live
 * pointer, the KV sync mark, pages of the history, and rows checked when read (a config by its outline, so a
 * version a later schema would refuse still reads; a row that is not what its table holds is refused, named).
 */
import { describe, expect, it } from "vitest";
import type { Config } from "../../src/core/config-schema";
import { parseConfig } from "../../src/core/config-schema";
import { ConfigVersions } from "../../src/storage/config-versions";
import { withSiteStorage } from "./objects";

function config(text: string): Config {
  const parsed = parseConfig({ campaigns: [{ id: "sale", placement: "topbar", variants: [{ id: "a", weight: 1, message: { text } }] }] });
  if (!parsed.ok) throw new Error("test config invalid");
  return parsed.config;
}

const version = (n: number, text: string, changes: string[] = []) => ({ version: n, createdAt: `2026-11-2${n}T00:00:00.000Z`, note: `note ${n}`, author: "ana", config: config(text), changes });

/** The TypeError message `read` throws, or null when it does not. */
function corruption(read: () => unknown): string | null {
  try {
    read();
    return null;
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    return error.message;
  }
}

describe("ConfigVersions", () => {
  it("keeps a draft until it is deleted", async () => {
    const result = await withSiteStorage((storage) => {
      const versions = new ConfigVersions(storage.sql);
      const empty = versions.draft();
      const draft = { config: config("Draft"), savedAt: "2026-11-27T10:00:00.000Z", savedBy: "ana" };
      versions.writeDraft(draft);
      const saved = versions.draft();
      return { empty, same: JSON.stringify(saved) === JSON.stringify(draft), deleted: versions.deleteDraft(), again: versions.deleteDraft(), after: versions.draft() };
    });
    expect(result).toEqual({ empty: null, same: true, deleted: true, again: false, after: null });
  });

  it("records versions, the live one, and pages of the history newest first", async () => {
    const result = await withSiteStorage((storage) => {
      const versions = new ConfigVersions(storage.sql);
      const before = { live: versions.live(), latest: versions.latestVersion() };
      versions.insertLive(version(1, "One", ["first version"]));
      versions.insertLive(version(2, "Two", ["two"]));
      versions.insertLive(version(3, "Three", ["three"]));
      const first = versions.page(2);
      const second = versions.page(2, first.next ?? undefined);
      return { before, liveVersion: versions.liveVersion(), latest: versions.latestVersion(), live: versions.live(), old: versions.load(1), missing: versions.load(9), first, second };
    });
    expect(result.before).toEqual({ live: null, latest: null });
    expect(result.liveVersion).toBe(3);
    expect(result.latest).toBe(3);
    expect(result.live).toEqual({ version: 3, publishedAt: "2026-11-23T00:00:00.000Z", config: config("Three") });
    expect(result.old?.config).toEqual(config("One"));
    expect(result.missing).toBeNull();
    expect(result.first.versions.map((v) => [v.version, v.live, v.changes])).toEqual([
      [3, true, ["three"]],
      [2, false, ["two"]],
    ]);
    expect(result.first.next).toBe(2);
    expect(result.second).toEqual({ versions: [{ version: 1, createdAt: "2026-11-21T00:00:00.000Z", note: "note 1", author: "ana", live: false, changes: ["first version"] }], next: null });
  });

  it("fills in, once, the change summary of versions stored without one", async () => {
    const result = await withSiteStorage((storage) => {
      const versions = new ConfigVersions(storage.sql);
      versions.insertLive(version(1, "One"));
      versions.insertLive(version(2, "Two"));
      storage.sql.exec("UPDATE versions SET changes = NULL");
      const page = versions.page(10).versions.map((v) => v.changes);
      const stored = storage.sql.exec<{ changes: string | null }>("SELECT changes FROM versions ORDER BY version").toArray().map((r) => r.changes);
      return { page, stored };
    });
    expect(result.page).toEqual([['campaign "sale": variant "a" text "One" → "Two"'], ["first version"]]);
    expect(result.stored).toEqual([JSON.stringify(["first version"]), JSON.stringify(['campaign "sale": variant "a" text "One" → "Two"'])]);
  });

  it("keeps the mark that KV owes the live version until KV has it; a failure counted after that brings no mark back", async () => {
    const result = await withSiteStorage((storage) => {
      const versions = new ConfigVersions(storage.sql);
      const none = versions.kvSync();
      versions.oweKv({ site: "s", failures: 0 });
      versions.kvFailed({ site: "s", failures: 1 });
      const failed = versions.kvSync();
      versions.kvSynced();
      versions.kvFailed({ site: "s", failures: 2 });
      return { none, failed, after: versions.kvSync() };
    });
    expect(result).toEqual({ none: null, failed: { site: "s", failures: 1 }, after: null });
  });

  it("reads a stored config by its outline: a version a later, stricter schema refuses still reads", async () => {
    const live = await withSiteStorage((storage) => {
      const versions = new ConfigVersions(storage.sql);
      versions.insertLive(version(1, "One"));
      // A key today's strict schema does not know, as a config accepted by an older or newer release could hold.
      storage.sql.exec("UPDATE versions SET config = json_set(config, '$.retired', 1)");
      return versions.live();
    });
    expect(parseConfig(live?.config).ok).toBe(false);
    expect(live?.config.campaigns[0]?.id).toBe("sale");
  });

  it("refuses rows that are not what their table holds, naming the row and the column", async () => {
    const messages = await withSiteStorage((storage) => {
      const versions = new ConfigVersions(storage.sql);
      const { sql } = storage;
      versions.insertLive(version(1, "One", ["first version"]));
      const found: Record<string, string | null> = {};
      sql.exec("UPDATE versions SET config = '{\"campaigns\": \"none\"}'");
      found.config = corruption(() => versions.live());
      sql.exec("UPDATE versions SET config = 'not json'");
      found.notJson = corruption(() => versions.load(1));
      sql.exec("UPDATE versions SET changes = '{\"a\": 1}'");
      found.changes = corruption(() => versions.page(10));
      sql.exec("UPDATE meta SET value = 'latest' WHERE key = 'live'");
      found.live = corruption(() => versions.liveVersion());
      sql.exec("INSERT INTO meta (key, value) VALUES ('draft', '{\"config\": {}, \"savedAt\": 1}')");
      found.draft = corruption(() => versions.draft());
      sql.exec("INSERT INTO meta (key, value) VALUES ('kv_sync', '{\"site\": \"s\"}')");
      found.kvSync = corruption(() => versions.kvSync());
      return found;
    });
    expect(messages).toEqual({
      config: 'corrupt row: versions 1.config is "{\\"campaigns\\": \\"none\\"}", not a config',
      notJson: 'corrupt row: versions 1.config is "not json", not JSON',
      changes: 'corrupt row: versions.changes is "{\\"a\\": 1}", not a list of changes',
      live: 'corrupt row: meta live.value is "latest", not a version number',
      draft: 'corrupt row: meta draft.value is "{\\"config\\": {}, \\"savedAt\\": 1}", not a draft (config, savedAt, savedBy)',
      kvSync: 'corrupt row: meta kv_sync.value is "{\\"site\\": \\"s\\"}", not a KV sync mark (site, failures)',
    });
  });
});
