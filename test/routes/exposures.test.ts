/**
 * @module Exposures logged where the decision is made: serving a snippet or a decision with an experiment's
 * variant records the unit in that experiment's shard, in the background, once per unit, never with a raw id.
 */
import { env } from "cloudflare:workers";
import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { experimentAggregates, experimentShard, shardOf, unitKey } from "../../src/storage/experiments";
import type { DecisionBody } from "../helpers";
import { call, CUSTOMER, importMemberships, newVisitorId, publishConfig, seedStore, visitorQuery } from "../helpers";

async function unitsIn(site: string, experiment: string): Promise<Record<string, number>> {
  const { variants } = await experimentAggregates(env, site, experiment);
  return Object.fromEntries(variants.map((v) => [v.variant, v.units]));
}

describe("exposures", () => {
  it("records a signed-in VIP once in the variant they were shown, from the snippet and the decide route", async () => {
    const site = await seedStore();
    const query = await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId() });
    const decided = await call(`/v1/decide/${site}?${query}`);
    const variant = (await decided.json<DecisionBody>()).placements.topbar?.variant ?? "";
    expect(["express", "early"]).toContain(variant);
    for (let i = 0; i < 3; i++) expect((await call(`/v1/s/${site}.js?${query}`)).status).toBe(200);
    await expect.poll(() => unitsIn(site, "vip-express")).toEqual({ [variant]: 1 });
  });

  it("counts each anonymous visitor of a 50/50 test once, in both variants", async () => {
    const site = await seedStore();
    await publishConfig(site, {
      campaigns: [
        {
          id: "ab",
          placement: "topbar",
          variants: [
            { id: "a", weight: 50, message: { text: "A" } },
            { id: "b", weight: 50, message: { text: "B" } },
          ],
        },
      ],
    });
    const visitors = Array.from({ length: 40 }, () => newVisitorId());
    for (const vid of visitors) {
      await call(`/v1/s/${site}.js?vid=${vid}`);
      await call(`/v1/s/${site}.js?vid=${vid}`);
    }
    await expect.poll(async () => Object.values(await unitsIn(site, "ab")).reduce((s, n) => s + n, 0)).toBe(40);
    const units = await unitsIn(site, "ab");
    expect(units.a).toBeGreaterThan(5);
    expect(units.b).toBeGreaterThan(5);
  });

  it("records nothing with consent=0, and nothing for a campaign that is not an experiment", async () => {
    const site = await seedStore();
    await importMemberships(site, [{ customer_id: "vip-2", segments: ["vip"] }]);
    const total = async (experiment: string) => Object.values(await unitsIn(site, experiment)).reduce((s, n) => s + n, 0);
    await call(`/v1/s/${site}.js?${await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId() })}&consent=0`);
    await call(`/v1/s/${site}.js?${await visitorQuery({ cid: CUSTOMER.highReturner, vid: newVisitorId(), country: "US" })}`);
    // Another VIP, recorded, after the others: once it shows up, the earlier requests had their chance.
    await call(`/v1/s/${site}.js?${await visitorQuery({ cid: "vip-2", vid: newVisitorId() })}`);
    await expect.poll(() => total("vip-express")).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await total("vip-express")).toBe(1);
    expect(await unitsIn(site, "us-free-shipping")).toEqual({});
    expect(await unitsIn(site, "returns-instore")).toEqual({});
  });

  it("stores a keyed hash of the unit, never the customer id", async () => {
    const site = await seedStore();
    await call(`/v1/s/${site}.js?${await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId() })}`);
    const unit = await unitKey(env.SIGNING_SECRET, { customerId: CUSTOMER.vip, visitorId: "ignored" });
    const stub = experimentShard(env, site, "vip-express", shardOf(unit));
    await expect.poll(() => runInDurableObject(stub, (_o, state) => state.storage.sql.exec("SELECT unit FROM units").toArray())).toEqual([{ unit }]);
    expect(unit).toMatch(/^[0-9a-f]{64}$/);
    expect(unit).not.toContain(CUSTOMER.vip);
  });
});
