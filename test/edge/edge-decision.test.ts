/**
 * Edge-rendered mode end to end: a store page through the Worker (src/edge/proxy.ts) gets the same decision the
 * snippet route would give (serveDecision), the visitor known by cookies (src/edge/identity.ts), written into the
 * page by the rewrite. Against the real origin of test/fixtures/edge-origin.mjs; each test has its own site, the
 * store's hostname mapped to it in the env the Worker gets.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, inject, it } from "vitest";
import { MAX_DISMISSED_COOKIE_KEYS } from "../../src/core/dismissal";
import { COOKIE_PREFIX, edgeVisitorQuery, valuebarCookies } from "../../src/edge/identity";
import { isNavigation } from "../../src/edge/proxy";
import worker from "../../src/index";
import { always, faultyKv } from "../faults";
import { admin, CUSTOMER, importMemberships, membershipKvKey, newSite, publishConfig, signCustomer, STORE_CONFIG_TEXT, TEXT } from "../helpers";

const STORE = "https://shop.test";
const ORIGIN = "https://origin.test";
/** The reference config with a default top bar, so that every visitor (a crawler too) has a bar to see. */
const EDGE_CONFIG = (() => {
  const config = JSON.parse(STORE_CONFIG_TEXT) as { defaults: Record<string, unknown> };
  config.defaults.topbar = { text: "Winter sale: free gift wrapping" };
  return config;
})();
const DEFAULT_BAR = "Winter sale: free gift wrapping";
const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";

/** A site of its own with the edge config and the seeded customers. */
async function edgeStore(): Promise<string> {
  const site = newSite("edge");
  await publishConfig(site, EDGE_CONFIG);
  await importMemberships(site, [{ customer_id: CUSTOMER.vip, segments: ["vip"] }]);
  return site;
}

/** A page of the store, through the Worker, `site` being the store hostname's site; waits for the counting. */
async function storePage(site: string, init: RequestInit = {}, overrides: Partial<Cloudflare.Env> = {}, path = "/page", origin = ORIGIN): Promise<{ res: Response; html: string }> {
  const ctx = createExecutionContext();
  const request = new Request(`${STORE}${path}`, init);
  const res = await worker.fetch(request, { ...env, EDGE_SITES: { "shop.test": { site, origin } }, ...overrides }, ctx);
  const html = await res.text();
  await waitOnExecutionContext(ctx);
  return { res, html };
}

function inlinedPayload(html: string): Record<string, unknown> | undefined {
  const call = /__vbr\.run\((.*)\)\}\)\(\);<\/script>/.exec(html)?.[1];
  return call === undefined ? undefined : (JSON.parse(call) as Record<string, unknown>);
}

function topbarText(html: string): string | undefined {
  const decision = inlinedPayload(html)?.decision as { placements: { topbar: { message: { text: string } } | null } } | undefined;
  return decision?.placements.topbar?.message.text;
}

/** The experiment's counted units (STORE_CONFIG_TEXT's vip-express runs for VIPs). */
async function counted(site: string): Promise<number> {
  const res = await admin(`/admin/sites/${site}/experiments/vip-express/results`);
  return (await res.json<{ units: { counted: number } }>()).units.counted;
}

async function customerCookie(id: string, sig?: string): Promise<string> {
  return `valuebar_cid=${encodeURIComponent(id)}.${sig ?? (await signCustomer(id))}`;
}

describe("edge decision: who the visitor is, from cookies", () => {
  it("an anonymous visitor: the default bar in the page, private, and a first-party visitor id cookie for a year", async () => {
    const site = await edgeStore();
    const { res, html } = await storePage(site);
    expect(res.status).toBe(200);
    expect(html).toContain(`<span>${DEFAULT_BAR}</span>`);
    expect(html).toMatch(/<header data-valuebar="topbar"><div data-valuebar-placement="topbar"><template shadowrootmode="open">/);
    expect(res.headers.get("cache-control")).toBe("private, no-cache");
    expect(res.headers.get("vary")).toContain("Cookie");
    const cookies = res.headers.getSetCookie();
    // The origin's own cookie stays.
    expect(cookies).toContain("session=abc; Path=/; HttpOnly");
    const visitor = cookies.find((cookie) => cookie.startsWith("valuebar_vid="));
    const payload = inlinedPayload(html);
    expect(visitor).toBe(`valuebar_vid=${String(payload?.newVisitorId)}; Path=/; Max-Age=31536000; Secure; HttpOnly; SameSite=Lax`);
    expect(res.headers.get("server-timing")).toContain('edge;desc="rewritten"');
  });

  it("a returning visitor (the id cookie) keeps their id and gets no new cookie", async () => {
    const site = await edgeStore();
    const { html } = await storePage(site, { headers: { cookie: "theme=dark; valuebar_vid=abcdef0123456789" } });
    const payload = inlinedPayload(html);
    expect(payload?.newVisitorId).toBeUndefined();
    expect((payload?.decision as { visitor: { id: string; returning: boolean } }).visitor).toMatchObject({ id: "abcdef0123456789", returning: true });
  });

  it("a signed customer cookie: a seeded VIP gets the VIP bar and an events token", async () => {
    const site = await edgeStore();
    const { res, html } = await storePage(site, { headers: { cookie: await customerCookie(CUSTOMER.vip) } });
    const text = topbarText(html);
    expect([TEXT.vipExpress, TEXT.vipEarly]).toContain(text);
    expect(html).toContain(`<span>${text}</span>`);
    expect(inlinedPayload(html)?.token).toMatch(/^[\w-]{43}\.\d{10}\.[\w-]{22}$/);
    expect(res.headers.get("server-timing")).toContain('kv;desc="reads=');
  });

  it("a customer cookie with a bad signature is anonymous: the default bar, no token", async () => {
    const site = await edgeStore();
    const forged = await customerCookie(CUSTOMER.vip, (await signCustomer(CUSTOMER.vip)).replace(/^./, (c) => (c === "0" ? "1" : "0")));
    const { html } = await storePage(site, { headers: { cookie: forged } });
    expect(topbarText(html)).toBe(DEFAULT_BAR);
    expect(html).not.toContain(TEXT.vipExpress);
    expect(inlinedPayload(html)?.token).toBeUndefined();
    expect((inlinedPayload(html)?.decision as { visitor: { identified: boolean } }).visitor.identified).toBe(false);
  });

  it("consent off (valuebar_consent=0): no cookie, not enrolled, the baseline", async () => {
    const site = await edgeStore();
    const { res, html } = await storePage(site, { headers: { cookie: `valuebar_consent=0; ${await customerCookie(CUSTOMER.vip)}` } });
    expect(res.headers.getSetCookie().filter((cookie) => cookie.startsWith("valuebar_"))).toEqual([]);
    const payload = inlinedPayload(html);
    expect(payload?.consent).toBe(false);
    expect(payload?.newVisitorId).toBeUndefined();
    expect(payload?.token).toBeUndefined();
    const decision = payload?.decision as { exposures: unknown[]; placements: { topbar: { variant: string } | null } };
    // The VIP experiment's baseline (its first variant), with no exposure to count.
    expect(decision.exposures).toEqual([]);
    expect(decision.placements.topbar?.variant).toBe("express");
    expect(html).toContain(`<span>${TEXT.vipExpress}</span>`);
  });

  it("consent withdrawn with the id cookie from before: the cookie is deleted and the id not used", async () => {
    const site = await edgeStore();
    const { res, html } = await storePage(site, { headers: { cookie: "valuebar_vid=abcdef0123456789; valuebar_consent=0" } });
    expect(res.headers.getSetCookie()).toContain("valuebar_vid=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Lax");
    expect((inlinedPayload(html)?.decision as { visitor: { id: string } }).visitor.id).not.toBe("abcdef0123456789");
    expect(inlinedPayload(html)?.consent).toBe(false);
  });

  it.each([
    ["a crawler's User-Agent", { "user-agent": GOOGLEBOT }],
    ["a crawler's User-Agent, even with a VIP's cookie", { "user-agent": GOOGLEBOT, vip: "1" }],
  ])("%s: the defaults, never enrolled, no cookie", async (_, headers) => {
    const site = await edgeStore();
    const cookie = "vip" in headers ? await customerCookie(CUSTOMER.vip) : "valuebar_vid=abcdef0123456789";
    const { res, html } = await storePage(site, { headers: { "user-agent": headers["user-agent"], cookie } });
    expect(topbarText(html)).toBe(DEFAULT_BAR);
    expect(res.headers.getSetCookie().filter((c) => c.startsWith("valuebar_"))).toEqual([]);
    const payload = inlinedPayload(html);
    expect(payload?.consent).toBe(false);
    expect((payload?.decision as { exposures: unknown[]; visitor: { identified: boolean } }).exposures).toEqual([]);
    expect((payload?.decision as { visitor: { identified: boolean } }).visitor.identified).toBe(false);
  });

  it("a dismissal cookie (valuebar_dismissed): the dismissed bar is not in the page, nor in the runtime's decision", async () => {
    const site = await edgeStore();
    const shown = await storePage(site);
    expect(topbarText(shown.html)).toBe(DEFAULT_BAR);
    // The default bar's key is `topbar:`; the cookie as the runtime writes it, newest last.
    const { res, html } = await storePage(site, { headers: { cookie: "theme=dark; valuebar_dismissed=shipping:spring|topbar:; valuebar_vid=abcdef0123456789" } });
    expect(res.headers.get("server-timing")).toContain('edge;desc="rewritten"');
    expect(html).not.toContain(DEFAULT_BAR);
    expect(html).not.toContain("data-valuebar-placement=\"topbar\"");
    expect((inlinedPayload(html)?.decision as { placements: { topbar: unknown } }).placements.topbar).toBeNull();
    // A crawler's page ignores the visitor's cookies, this one too.
    const crawler = await storePage(site, { headers: { "user-agent": GOOGLEBOT, cookie: "valuebar_dismissed=topbar:" } });
    expect(topbarText(crawler.html)).toBe(DEFAULT_BAR);
  });

  it("a crawler Cloudflare verified (cf.botManagement.verifiedBot) with a browser's User-Agent: the defaults, no cookie", async () => {
    const site = await edgeStore();
    const init = { headers: { cookie: await customerCookie(CUSTOMER.vip) }, cf: { botManagement: { verifiedBot: true } } } as RequestInit;
    const { res, html } = await storePage(site, init);
    expect(topbarText(html)).toBe(DEFAULT_BAR);
    expect(res.headers.getSetCookie().filter((c) => c.startsWith("valuebar_"))).toEqual([]);
  });
});

describe("edge decision: fails open", () => {
  it("KV failing: the origin's page, byte for byte, with its own headers, and Server-Timing saying fail-open", async () => {
    const site = newSite("edge-kv-down");
    const kv = faultyKv(env.KV, always(() => true, "fail"));
    const { res, html } = await storePage(site, {}, { KV: kv });
    const origin = await env.EDGE_ORIGIN.fetch(`${ORIGIN}/page`);
    expect(html).toBe(await origin.text());
    expect(res.headers.get("cache-control")).toBe(origin.headers.get("cache-control"));
    expect(res.headers.get("etag")).toBe(origin.headers.get("etag"));
    expect(res.headers.getSetCookie()).toEqual(["session=abc; Path=/; HttpOnly"]);
    expect(res.headers.get("server-timing")).toContain('edge;desc="fail-open"');
    expect(kv.calls.length).toBeGreaterThan(0);
  });

  it("KV hanging: the decision gives up (CONFIG_TIMEOUT_MS) and the origin's page goes out unchanged", async () => {
    const kv = faultyKv(env.KV, always(() => true, "hang"));
    const { res, html } = await storePage(newSite("edge-kv-hangs"), {}, { KV: kv });
    expect(html).toBe(await (await env.EDGE_ORIGIN.fetch(`${ORIGIN}/page`)).text());
    expect(res.headers.get("server-timing")).toContain('edge;desc="fail-open"');
    expect(res.headers.getSetCookie()).toEqual(["session=abc; Path=/; HttpOnly"]);
  });

  it("a site with no published config: the origin's page unchanged, fail-open", async () => {
    const { res, html } = await storePage(newSite("edge-unpublished"));
    expect(html).toBe(await (await env.EDGE_ORIGIN.fetch(`${ORIGIN}/page`)).text());
    expect(res.headers.get("server-timing")).toContain('edge;desc="fail-open"');
  });
});

describe("edge decision: alongside the origin, counted only for a page written with it", () => {
  const NAVIGATION = { "sec-fetch-dest": "document", accept: "text/html,application/xhtml+xml" };

  // Order, not time: the held origin (test/compressed-origin.ts) sends its page only once the membership read has
  // begun. Read after the origin's answer, as before, the membership would be read only after 504.
  /** A VIP's request for a held page, released by the membership read's start; the KV calls made. */
  async function heldPage(site: string, key: string, headers: Record<string, string>) {
    const membership = await membershipKvKey(site, CUSTOMER.vip);
    const kv = faultyKv(env.KV, (call) => {
      if (call.op === "get" && call.key === membership) void fetch(`${inject("compressedOrigin")}/release/${key}`);
      return undefined;
    });
    const cookie = await customerCookie(CUSTOMER.vip);
    const page = await storePage(site, { headers: { ...headers, cookie } }, { KV: kv }, `/held/${key}`, inject("compressedOrigin"));
    return { ...page, membershipReads: kv.calls.filter((call) => call.key === membership).length };
  }

  it("a navigation's decision starts with the origin fetch: the origin answers after the membership read began", async () => {
    const site = await edgeStore();
    const key = `${site}-navigation`;
    const { res, html } = await heldPage(site, key, NAVIGATION);
    expect(res.status).toBe(200);
    expect(html).toContain(`Held ${key}`);
    expect([TEXT.vipExpress, TEXT.vipEarly]).toContain(topbarText(html));
    expect(res.headers.get("server-timing")).toContain('edge;desc="rewritten"');
  });

  it("any other request waits for the origin's answer: a script never costs a decision", async () => {
    const site = await edgeStore();
    const { res, membershipReads } = await heldPage(site, `${site}-script`, { "sec-fetch-dest": "script" });
    // Never released: no decision was started before the origin answered (its 504 passes through as it came).
    expect(res.status).toBe(504);
    expect(membershipReads).toBe(0);
  });

  it("exposures: none for a navigation the origin answers with a 404 page or a script, one for the page itself", async () => {
    const site = await edgeStore();
    const headers = { ...NAVIGATION, cookie: await customerCookie(CUSTOMER.vip) };
    expect((await storePage(site, { headers }, {}, "/missing")).res.status).toBe(404);
    expect((await storePage(site, { headers }, {}, "/app.js")).res.status).toBe(200);
    expect(await counted(site)).toBe(0);
    const { html } = await storePage(site, { headers });
    expect([TEXT.vipExpress, TEXT.vipEarly]).toContain(topbarText(html));
    expect(await counted(site)).toBe(1);
    await storePage(site, { headers });
    expect(await counted(site)).toBe(1);
  });

  it.each([
    ["a browser's navigation", { "sec-fetch-dest": "document" }, true],
    ["an iframe's page", { "sec-fetch-dest": "iframe", accept: "text/html" }, false],
    ["a fetch() from the page", { "sec-fetch-dest": "empty", accept: "text/html" }, false],
    ["a client without Sec-Fetch headers that asks for HTML", { accept: "text/html,*/*;q=0.8" }, true],
    ["a client without Sec-Fetch headers that asks for anything", { accept: "*/*" }, false],
  ])("isNavigation: %s", (_, headers, expected) => {
    expect(isNavigation(new Request(`${STORE}/page`, { headers }))).toBe(expected);
    expect(isNavigation(new Request(`${STORE}/page`, { method: "POST", headers }))).toBe(false);
  });
});

describe("edge decision: a marketer's preview link on the store's page", () => {
  it("?valuebar_preview=<token> shows the draft, counted nowhere; without it, or with a forged token, the live config", async () => {
    const site = await edgeStore();
    const draft = JSON.parse(JSON.stringify(EDGE_CONFIG)) as { campaigns: { id: string; variants: { message: { text: string } }[] }[] };
    for (const variant of draft.campaigns[0]?.variants ?? []) variant.message.text = "Draft only";
    const json = (body: unknown, method = "POST"): RequestInit => ({ method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
    expect((await admin(`/admin/sites/${site}/draft`, json(draft, "PUT"))).status).toBe(200);
    const link = await (await admin(`/admin/sites/${site}/draft/preview-link`, json({ minutes: 30 }))).json<{ param: string }>();
    const headers = { "sec-fetch-dest": "document", cookie: await customerCookie(CUSTOMER.vip) };

    const previewed = await storePage(site, { headers }, {}, `/page?${link.param}`);
    expect(topbarText(previewed.html)).toBe("Draft only");
    expect(previewed.html).toContain("<span>Draft only</span>");
    expect((inlinedPayload(previewed.html)?.decision as { exposures: unknown[] }).exposures).toEqual([]);
    expect(await counted(site)).toBe(0);

    const forged = await storePage(site, { headers }, {}, `/page?valuebar_preview=${link.param.split("=")[1]?.slice(0, -2)}xx`);
    expect([TEXT.vipExpress, TEXT.vipEarly]).toContain(topbarText(forged.html));
    const live = await storePage(site, { headers });
    expect([TEXT.vipExpress, TEXT.vipEarly]).toContain(topbarText(live.html));
    expect(await counted(site)).toBe(1);
  });
});

describe("edge identity: the Cookie header", () => {
  it("reads only valuebar's cookies, the first of each name, in a bounded prefix", () => {
    const cookies = valuebarCookies(`a=1; valuebar_vid=first; valuebar_vid=second;valuebar_consent=0; x${"y".repeat(10_000)}; valuebar_cid=late.sig`);
    expect([...cookies]).toEqual([
      ["valuebar_vid", "first"],
      ["valuebar_consent", "0"],
    ]);
  });

  it("reads at most the newest 16 dismissal keys, however long the cookie a client sends", () => {
    const keys = Array.from({ length: 300 }, (_, i) => `topbar:campaign-${i}-${"x".repeat(30)}`);
    const request = new Request(`${STORE}/page`, { headers: { cookie: `valuebar_dismissed=${keys.join("|")}` } });
    const { dismissed } = edgeVisitorQuery(request, false);
    expect([...dismissed]).toHaveLength(MAX_DISMISSED_COOKIE_KEYS);
    // Only the first 8 KB of the header is read: the newest keys within it.
    const read = `valuebar_dismissed=${keys.join("|")}`.slice(0, COOKIE_PREFIX).split("=")[1]?.split("|") ?? [];
    expect([...dismissed]).toEqual(read.slice(-MAX_DISMISSED_COOKIE_KEYS));
    expect(edgeVisitorQuery(new Request(`${STORE}/page`), false).dismissed.size).toBe(0);
  });
});
