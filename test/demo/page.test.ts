/**
 * @module The demo store (src/demo/page.ts): a store page with the snippet loader, signing the persona's customer
 * id as a store would, reflecting nothing it is given, and only when the deployment turns DEMO_STORE on.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fetchWithEnv } from "../faults";
import type { DecisionBody } from "../helpers";
import { call, hmacSha256Hex, importMemberships, ORIGIN, publishConfig, snippetPayload } from "../helpers";
import { edgeVisitorQuery } from "../../src/edge/identity";

describe("demo store", () => {
  /** The snippet URL in the demo page's loader. */
  function loaderUrl(html: string): URL {
    const match = /"(https?:\/\/[^"]+\/v1\/s\/demo\.js\?[^"]*)"/.exec(html);
    if (!match?.[1]) throw new Error("the demo page has no loader with a snippet URL");
    return new URL(match[1]);
  }

  it("serves a store page with the snippet loader for an anonymous visitor", async () => {
    const res = await call("/demo");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('localStorage.getItem(k)');
    expect(html).toContain("valuebar_vid");
    expect(html).toMatch(/data-valuebar="shipping"/);
    const url = loaderUrl(html);
    expect(url.origin).toBe(ORIGIN);
    expect(url.searchParams.has("cid")).toBe(false);
    expect(url.searchParams.has("sig")).toBe(false);
  });

  it("signs customer 1001 for /demo?as=vip, with a signature the Worker accepts", async () => {
    const html = await (await call("/demo?as=vip&country=US")).text();
    const url = loaderUrl(html);
    expect(url.searchParams.get("cid")).toBe("1001");
    expect(url.searchParams.get("sig")).toBe(await hmacSha256Hex(env.SIGNING_SECRET, "1001"));
    expect(url.searchParams.get("country")).toBe("US");
    expect(html).toContain('aria-current="page" data-persona="vip"');

    // The demo site, as a store would set it up: then the page's own URL identifies the VIP.
    await publishConfig("demo");
    await importMemberships("demo", [{ customer_id: "1001", segments: ["vip"] }]);
    const snippet = snippetPayload(await (await call(`${url.pathname}${url.search}&vid=demo-visitor-1`)).text());
    const decision: DecisionBody["placements"] | undefined = snippet?.decision.placements;
    expect(snippet?.decision.visitor.identified).toBe(true);
    expect(decision?.topbar?.campaign).toBe("vip-express");
  });

  it("does not reflect what it is given in ?as= or ?country=", async () => {
    const res = await call(`/demo?as=${encodeURIComponent('"><script>alert(1)</script>')}&country=${encodeURIComponent("<img src=x>")}`);
    const html = await res.text();
    expect(html).not.toContain("alert(1)");
    expect(html).not.toContain("<img src=x>");
    const url = loaderUrl(html);
    for (const name of ["cid", "sig", "country"]) expect(url.searchParams.has(name)).toBe(false);
  });

  it("is not served when DEMO_STORE is not on", async () => {
    const res = await fetchWithEnv({ DEMO_STORE: "off" }, "/demo?as=vip");
    expect(res.status).toBe(404);
    const body = await res.text();
    expect(body).not.toContain("sig=");
  });
});

describe("demo store, edge mode's origin (/store)", () => {
  it("is the same store as a plain page: no tag of ours, no slot, the marked shipping and returns elements, the cart's track calls", async () => {
    const res = await call("/store");
    expect(res.status).toBe(200);
    const html = await res.text();
    const demo = await (await call("/demo")).text();
    // The same template: the store's head, header, products and cart.
    expect(html.slice(0, html.indexOf("<body>"))).toBe(demo.slice(0, demo.indexOf("<body>")));
    for (const part of ['<p data-valuebar="shipping">Free shipping on orders over €60.00</p>', '<p data-valuebar="returns">', 'v.track(type, data)', 'data-add="1450"']) expect(html).toContain(part);
    expect(html).not.toContain('<div data-valuebar="topbar"');
    expect(html).not.toContain("/v1/s/");
    expect(html).not.toContain("localStorage");
    expect(html).toContain("You are browsing as <strong>an anonymous visitor</strong>");
  });

  it("answers a /demo page asked for through the edge proxy (X-Forwarded-Host) as the plain store: the demo config's links stay edge mode", async () => {
    const viaProxy = await (await call("/demo/pages/shipping", { headers: { "x-forwarded-host": "edge.localhost:8787" } })).text();
    expect(viaProxy).toBe(await (await call("/store")).text());
    expect(await (await call("/demo/pages/shipping")).text()).toContain("/v1/s/demo.js");
  });

  it("signs a demo customer in as a store does: 303 to /store with valuebar_cid=<id>.<sig>, which the edge reads as that customer", async () => {
    const res = await call("/store/sign-in?as=vip", { redirect: "manual" });
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/store");
    const sig = await hmacSha256Hex(env.SIGNING_SECRET, "1001");
    const cookie = res.headers.get("set-cookie") ?? "";
    expect(cookie).toBe(`valuebar_cid=1001.${sig}; Path=/; SameSite=Lax; HttpOnly`);
    const sent = cookie.split(";")[0] ?? "";
    const { query } = edgeVisitorQuery(new Request(`${ORIGIN}/store`, { headers: { cookie: sent } }), false);
    expect([query.get("cid"), query.get("sig")]).toEqual(["1001", sig]);

    const page = await (await call("/store", { headers: { cookie: sent } })).text();
    expect(page).toContain("You are browsing as <strong>VIP (top spender, loyal), customer 1001</strong>.");
    expect(page).toContain('aria-current="page" data-persona="vip"');

    const out = await call("/store/sign-in?as=anonymous", { redirect: "manual" });
    expect([out.status, out.headers.get("set-cookie")]).toEqual([303, "valuebar_cid=; Path=/; SameSite=Lax; HttpOnly; Max-Age=0"]);
    expect((await call(`/store/sign-in?as=${encodeURIComponent("<b>x")}`, { redirect: "manual" })).status).toBe(404);
  });

  it("has the store's consent switch: declining sets valuebar_consent=0 (the edge then stores and counts nothing), accepting clears it", async () => {
    const declined = await call("/store/consent?analytics=0", { redirect: "manual" });
    expect([declined.status, declined.headers.get("location")]).toEqual([303, "/store"]);
    const cookie = declined.headers.get("set-cookie") ?? "";
    expect(cookie).toBe("valuebar_consent=0; Path=/; SameSite=Lax; Max-Age=31536000");
    const sent = cookie.split(";")[0] ?? "";
    expect(edgeVisitorQuery(new Request(`${ORIGIN}/store`, { headers: { cookie: sent } }), false).query.get("consent")).toBe("0");
    const page = await (await call("/store", { headers: { cookie: sent } })).text();
    expect(page).toContain("analytics declined");
    expect(page).toContain('href="/store/consent?analytics=1"');

    const accepted = await call("/store/consent?analytics=1", { redirect: "manual" });
    expect(accepted.headers.get("set-cookie")).toBe("valuebar_consent=; Path=/; SameSite=Lax; Max-Age=0");
    expect((await call("/store/consent?analytics=maybe", { redirect: "manual" })).status).toBe(404);
  });

  it("reflects nothing of a cookie it cannot read, and is not served when DEMO_STORE is not on", async () => {
    const html = await (await call("/store", { headers: { cookie: `valuebar_cid=${encodeURIComponent("<script>alert(1)</script>")}.abc` } })).text();
    expect(html).not.toContain("alert(1)");
    expect(html).toContain("an anonymous visitor");
    for (const path of ["/store", "/store/sign-in?as=vip", "/store/consent?analytics=0"]) {
      const res = await fetchWithEnv({ DEMO_STORE: "off" }, path, { redirect: "manual" });
      expect({ path, status: res.status, cookie: res.headers.get("set-cookie") }).toEqual({ path, status: 404, cookie: null });
    }
  });
});
