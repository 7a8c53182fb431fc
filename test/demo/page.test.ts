/**
 * @module The demo store (src/demo/page.ts): a store page with the snippet loader, signing the persona's customer
 * id as a store would, reflecting nothing it is given, and only when the deployment turns DEMO_STORE on.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { fetchWithEnv } from "../faults";
import type { DecisionBody } from "../helpers";
import { call, hmacSha256Hex, importMemberships, ORIGIN, publishConfig, snippetPayload } from "../helpers";

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
