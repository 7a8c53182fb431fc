/**
 * @module Covariates in membership imports (issue 14), through the admin route into KV: stored with the membership the
 * hot path reads, a change of covariates alone written again (not "unchanged"), a row without covariates stored
 * exactly as before, and a bad value refused with the line and field, nothing of the batch written.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, errorOf, importMemberships, membershipKvKey, newSite, postNdjson, publishConfig } from "../helpers";

const CONFIG = { segments: ["vip"], campaigns: [] };

describe("covariates in imports", () => {
  it("stores them in the customer's KV membership, and reads them back", async () => {
    const site = newSite("cov");
    await publishConfig(site, CONFIG);
    await importMemberships(site, [
      { customer_id: "c1", segments: ["vip"], covariates: { net_revenue_365d: 412.5 } },
      { customer_id: "c2", segments: ["vip"] },
    ]);
    expect(await env.KV.get(await membershipKvKey(site, "c1"), "json")).toEqual({ segments: ["vip"], covariates: { net_revenue_365d: 412.5 } });
    // Without covariates: the membership exactly as before issue 14.
    expect(await env.KV.get(await membershipKvKey(site, "c2"), "text")).toBe('{"segments":["vip"]}');
    const member = await admin(`/admin/sites/${site}/segments/c1`);
    expect(await member.json()).toEqual({ customer_id: "c1", segments: ["vip"], covariates: { net_revenue_365d: 412.5 } });
  });

  it("counts the same row again as unchanged, and writes a change of covariates alone", async () => {
    const site = newSite("cov");
    await publishConfig(site, CONFIG);
    const row = { customer_id: "c1", segments: ["vip"], covariates: { net_revenue_365d: 10 } };
    await importMemberships(site, [row]);
    expect((await importMemberships(site, [row])).unchanged).toBe(1);
    const changed = await importMemberships(site, [{ ...row, covariates: { net_revenue_365d: 11 } }]);
    expect(changed.unchanged).toBe(0);
    expect(await env.KV.get(await membershipKvKey(site, "c1"), "json")).toEqual({ segments: ["vip"], covariates: { net_revenue_365d: 11 } });
    const dropped = await importMemberships(site, [{ customer_id: "c1", segments: ["vip"] }]);
    expect(dropped.unchanged).toBe(0);
    expect(await env.KV.get(await membershipKvKey(site, "c1"), "json")).toEqual({ segments: ["vip"] });
  });

  it("refuses a bad covariate with its line and field, and writes nothing of the batch", async () => {
    const site = newSite("cov");
    await publishConfig(site, CONFIG);
    const res = await postNdjson(
      site,
      [JSON.stringify({ customer_id: "ok", segments: ["vip"], covariates: { net_revenue_365d: 5 } }), JSON.stringify({ customer_id: "bad", segments: ["vip"], covariates: { net_revenue_365d: "5k" } })].join("\n"),
    );
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.issues).toEqual([{ line: 2, path: "covariates.net_revenue_365d", message: expect.stringContaining("is not a finite number") }]);
    expect(await env.KV.get(await membershipKvKey(site, "ok"))).toBeNull();
  });
});
