/**
 * @module A site's member index (src/storage/member-index.ts) on real SQLite: writes ahead marked pending until
 * settled, unchanged rows recognised, counts of current memberships, pushes and their conflicts, and a stored row
 * that is not what the table holds refused when read.
 */
import { describe, expect, it } from "vitest";
import { MemberIndex } from "../../src/storage/member-index";
import type { MembershipWrite } from "../../src/storage/memberships";
import { withSiteStorage } from "./objects";

const vip = (key: string, expiresAt?: number): MembershipWrite => ({ key, membership: { segments: ["vip"], ...(expiresAt === undefined ? {} : { expiresAt }) } });

describe("MemberIndex", () => {
  it("marks written-ahead rows pending until KV confirms them, and then counts them unchanged", async () => {
    const result = await withSiteStorage((storage) => {
      const members = new MemberIndex(storage.sql, storage);
      const writes = [vip("k1"), vip("k2", 5_000), { key: "k3", membership: null }];
      const changed = members.changed(writes);
      members.writeAhead(writes, changed, null, 1_000);
      const pendingBefore = members.pendingWrites(10);
      members.settle(writes, [true, false, true]);
      return {
        changed,
        pendingBefore,
        pendingAfter: members.pendingWrites(10),
        again: members.changed(writes),
        counts: members.counts(2_000),
        expired: members.counts(6_000).customers,
      };
    });
    expect(result.changed).toEqual([0, 1, 2]);
    expect(result.pendingBefore).toEqual([vip("k1"), vip("k2", 5_000), { key: "k3", membership: null }]);
    // k2's write was not confirmed: still pending, so not "unchanged"; a removal always goes to KV.
    expect(result.pendingAfter).toEqual([vip("k2", 5_000)]);
    expect(result.again).toEqual([1, 2]);
    expect(result.counts).toEqual({ segments: [{ segment: "vip", members: 2 }], customers: 2, pending: 1, lastImport: null });
    expect(result.expired).toBe(1);
  });

  it("records pushes, their position and their end, and says why a push may not go on", async () => {
    const result = await withSiteStorage((storage) => {
      const members = new MemberIndex(storage.sql, storage);
      members.writeAhead([vip("k1")], [0], "push-1", 1_000);
      members.acknowledge("push-1", 11);
      members.acknowledge("push-1", 5);
      const behind = members.pushConflict("push-1", "write", 3);
      const ahead = members.pushConflict("push-1", "write", 11);
      members.writeAhead([vip("k2")], [0], "push-2", 2_000);
      const newer = members.pushConflict("push-1", "sweep", null);
      members.finish("push-2", 3_000);
      members.noteImport(Date.parse("2026-11-27T10:00:00.000Z"));
      return { push: members.push("push-1"), behind, ahead, newer, finished: members.pushConflict("push-2", "write", null), stale: members.staleKeys("push-2", 2_000, 10), lastImport: members.counts(0).lastImport };
    });
    expect(result.push).toEqual({ sync: "push-1", startedAt: 1_000, finishedAt: null, nextLine: 11 });
    expect(result.behind).toEqual({ conflict: "the push push-1 stands at line 11: this batch starts at line 3, which was acknowledged already", standsAt: 11 });
    expect(result.ahead).toBeNull();
    expect(result.newer?.conflict).toMatch(/a newer push started after push-1/);
    expect(result.finished?.conflict).toMatch(/finished already/);
    expect(result.stale).toEqual(["k1"]);
    expect(result.lastImport).toBe("2026-11-27T10:00:00.000Z");
  });

  it("refuses a pending row whose segments are not a list of segment ids, naming the row", async () => {
    const message = await withSiteStorage((storage) => {
      const members = new MemberIndex(storage.sql, storage);
      members.writeAhead([vip("k1")], [0], null, 1_000);
      storage.sql.exec("UPDATE members SET segments = '{\"vip\": true}'");
      try {
        members.pendingWrites(10);
        return null;
      } catch (error) {
        return error instanceof TypeError ? error.message : String(error);
      }
    });
    expect(message).toBe('corrupt row: members.segments is "{\\"vip\\": true}", not a list of segments');
  });
});
