/**
 * @module A site's issued tokens (src/storage/site-tokens.ts) and its audit log (audit-log.ts) on real SQLite:
 * issuing, listing, looking up by hash and revoking, each with its audit line; and a stored role that is not one a
 * token can be issued with (a hand-edited "owner") is refused, not granted.
 */
import { describe, expect, it } from "vitest";
import type { Actor } from "../../src/core/access";
import { OWNER } from "../../src/core/access";
import { AuditLog } from "../../src/storage/audit-log";
import { SiteTokens } from "../../src/storage/site-tokens";
import { withSiteStorage } from "./objects";

const ANA: Actor = { name: "ana", role: "editor" };

describe("SiteTokens", () => {
  it("issues, lists, finds by hash and revokes tokens, each with its audit line", async () => {
    const result = await withSiteStorage((storage) => {
      const audit = new AuditLog(storage.sql);
      const tokens = new SiteTokens(storage, audit);
      const created = [tokens.create("ana", "editor", "hash-a", OWNER), tokens.create("bo", "importer", "hash-b", OWNER), tokens.create("ana", "analyst", "hash-c", OWNER)];
      const listed = tokens.list().map((t) => [t.name, t.role, t.createdBy]);
      const found = [tokens.actor("hash-a"), tokens.actor("hash-c")];
      const revoked = [tokens.revoke("ana", OWNER), tokens.revoke("ana", OWNER)];
      return { created, listed, found, revoked, after: tokens.actor("hash-a"), log: audit.latest(10).map((e) => [e.actor, e.action, e.summary]) };
    });
    expect(result.created).toEqual([true, true, false]);
    expect(result.listed).toEqual([
      ["ana", "editor", "admin"],
      ["bo", "importer", "admin"],
    ]);
    expect(result.found).toEqual([{ name: "ana", role: "editor" }, null]);
    expect(result.revoked).toEqual(["hash-a", null]);
    expect(result.after).toBeNull();
    expect(result.log).toEqual([
      ["admin (owner)", "token.delete", 'revoked token "ana"'],
      ["admin (owner)", "token.create", 'issued token "bo" with the importer role'],
      ["admin (owner)", "token.create", 'issued token "ana" with the editor role'],
    ]);
  });

  it("refuses a stored role no token can be issued with: a row edited to 'owner' grants nothing", async () => {
    const messages = await withSiteStorage((storage) => {
      const tokens = new SiteTokens(storage, new AuditLog(storage.sql));
      tokens.create("ana", "editor", "hash-a", OWNER);
      storage.sql.exec("UPDATE tokens SET role = 'owner'");
      const attempt = (read: () => unknown) => {
        try {
          return { value: read() };
        } catch (error) {
          return { error: error instanceof TypeError ? error.message : String(error) };
        }
      };
      return [attempt(() => tokens.actor("hash-a")), attempt(() => tokens.list())];
    });
    const refused = { error: 'corrupt row: tokens.role is "owner", not an issued role (editor, analyst, importer)' };
    expect(messages).toEqual([refused, refused]);
  });
});

describe("AuditLog", () => {
  it("answers the latest lines first, as many as asked, naming who by name and role", async () => {
    const lines = await withSiteStorage((storage) => {
      const audit = new AuditLog(storage.sql);
      for (let i = 1; i <= 3; i++) audit.record(ANA, "draft.save", `change ${i}`);
      return audit.latest(2);
    });
    expect(lines.map((l) => [l.actor, l.action, l.summary])).toEqual([
      ["ana (editor)", "draft.save", "change 3"],
      ["ana (editor)", "draft.save", "change 2"],
    ]);
    expect(lines.every((l) => !Number.isNaN(Date.parse(l.at)))).toBe(true);
  });
});
