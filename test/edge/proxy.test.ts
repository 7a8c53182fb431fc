/**
 * Edge-rendered mode's proxy against a real origin: test/fixtures/edge-origin.mjs, an auxiliary Worker that the
 * Worker's own fetch() reaches (vitest.config.ts `outboundService`). Every answer that is not the rewrite's must be
 * the origin's, byte for byte: each case fetches the origin straight (`env.EDGE_ORIGIN`) and through the proxy.
 */
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { isRewritable } from "../../src/edge/proxy";
import { fetchWithEnv } from "../faults";
import { publishConfig } from "../helpers";

const STORE = "https://shop.test";
const ORIGIN = "https://origin.test";

interface Answer {
  status: number;
  headers: [string, string][];
  body: number[];
}

/** The store hostname's site (vitest.config.ts EDGE_SITES) has a config with a top bar for everyone. */
const EDGE_SHOP_BAR = "Winter sale: free gift wrapping";
beforeAll(async () => {
  await publishConfig("edge-shop", { segments: [], campaigns: [], defaults: { topbar: { text: EDGE_SHOP_BAR } } });
});

async function answer(response: Response): Promise<Answer> {
  return { status: response.status, headers: [...response.headers].sort(([a], [b]) => a.localeCompare(b)), body: [...new Uint8Array(await response.arrayBuffer())] };
}

/** The same request, straight to the origin and through the Worker on the store's hostname. */
async function bothWays(path: string, init: RequestInit = {}): Promise<{ origin: Answer; proxied: Answer }> {
  const origin = await answer(await env.EDGE_ORIGIN.fetch(`${ORIGIN}${path}`, { redirect: "manual", ...init }));
  const proxied = await answer(await exports.default.fetch(`${STORE}${path}`, { redirect: "manual", ...init }));
  return { origin, proxied };
}

describe("edge proxy: what is not the rewrite's passes through untouched", () => {
  it.each([
    ["a script", "/app.js"],
    ["a stylesheet", "/style.css"],
    ["an image (every byte value)", "/logo.png"],
    ["a redirect, not followed", "/moved"],
    ["a 404 page", "/missing"],
    ["a 500 page", "/broken"],
  ])("GET %s (%s): same status, headers and bytes as the origin's", async (_, path) => {
    const { origin, proxied } = await bothWays(path);
    expect(proxied).toEqual(origin);
    expect(proxied.body.length + proxied.status).toBeGreaterThan(0);
  });

  it("a redirect keeps its Location and Set-Cookie: the browser follows it, not the Worker", async () => {
    const response = await exports.default.fetch(`${STORE}/moved`, { redirect: "manual" });
    expect(response.status).toBe(301);
    expect(response.headers.get("location")).toBe("/page");
    expect(response.headers.get("set-cookie")).toBe("moved=1; Path=/");
  });

  it("the 500 keeps the origin's status, page and Retry-After (an origin that fails is passed on as it failed)", async () => {
    const response = await exports.default.fetch(`${STORE}/broken`);
    expect(response.status).toBe(500);
    expect(response.headers.get("retry-after")).toBe("30");
    expect(await response.text()).toContain("Origin error");
  });

  it("HEAD of a page: the origin's status and headers, no body", async () => {
    const { origin, proxied } = await bothWays("/page", { method: "HEAD" });
    expect(proxied).toEqual(origin);
    expect(proxied.status).toBe(200);
    expect(proxied.body).toEqual([]);
  });

  it("POST to the store's API: method, body and cookie reach the origin, with the store's host in X-Forwarded-Host", async () => {
    const init = { method: "POST", body: '{"sku":"coat-1","qty":2}', headers: { "content-type": "application/json", cookie: "session=abc" } };
    const response = await exports.default.fetch(`${STORE}/echo?cart=1`, init);
    expect(response.status).toBe(200);
    expect(response.headers.get("x-origin")).toBe("store");
    // Host is the origin's own, set by fetch from the URL (over the tests' service binding it is absent), never the store's.
    const seen = await response.json<Record<string, unknown>>();
    expect(seen.host).not.toBe("shop.test");
    delete seen.host;
    expect(seen).toEqual({
      method: "POST",
      url: `${ORIGIN}/echo?cart=1`,
      forwardedHost: "shop.test",
      cookie: "session=abc",
      contentType: "application/json",
      body: '{"sku":"coat-1","qty":2}',
    });
  });

  it("a gzip-encoded script keeps its Content-Encoding and its bytes", async () => {
    const { origin, proxied } = await bothWays("/app.js.gz", { headers: { "accept-encoding": "gzip" } });
    expect(proxied).toEqual(origin);
    expect(proxied.headers).toContainEqual(["content-encoding", "gzip"]);
    expect(new TextDecoder().decode(Uint8Array.from(proxied.body))).toContain("console.log('store, compressed');");
  });

  // These two pages are GET 200 text/html, so the rewrite's: workerd's fetch decodes them, the rewrite keeps the
  // Content-Encoding and workerd encodes the rewritten page again.
  it.each([
    ["gzip", "/page.gz"],
    ["brotli", "/page.br"],
  ])("a %s-encoded page keeps its Content-Encoding and decodes to the rewritten page", async (encoding, path) => {
    const { origin, proxied } = await bothWays(path, { headers: { "accept-encoding": "gzip, br" } });
    expect(proxied.headers).toContainEqual(["content-encoding", encoding === "gzip" ? "gzip" : "br"]);
    const page = await (await env.EDGE_ORIGIN.fetch(`${ORIGIN}/page`)).text();
    const html = new TextDecoder().decode(Uint8Array.from(proxied.body));
    expect(html).not.toBe(page);
    expect(html).toContain(`<span>${EDGE_SHOP_BAR}</span>`);
    expect(html).toContain("<h1>Winter sale</h1>");
    expect(origin.status).toBe(proxied.status);
  });

  // fetch() asks the origin for compressed bytes whatever the visitor sent: the rewritten page is encoded again only
  // in a coding the visitor takes.
  it.each([
    ["takes none (identity)", "/page.br", "identity"],
    ["takes gzip only, the origin sent brotli", "/page.br", "gzip"],
    ["refuses gzip (q=0)", "/page.gz", "gzip;q=0, identity"],
  ])("a visitor who %s gets the rewritten page without that Content-Encoding", async (_, path, acceptEncoding) => {
    const response = await exports.default.fetch(`${STORE}${path}`, { headers: { "accept-encoding": acceptEncoding } });
    expect(response.headers.get("content-encoding")).toBeNull();
    const html = await response.text();
    expect(html).toContain(`<span>${EDGE_SHOP_BAR}</span>`);
    expect(html).toContain("<h1>Winter sale</h1>");
  });

  it("a websocket upgrade reaches the origin and the socket works through the Worker", async () => {
    const response = await exports.default.fetch(`${STORE}/ws`, { headers: { upgrade: "websocket" } });
    expect(response.status).toBe(101);
    const socket = response.webSocket;
    expect(socket).not.toBeNull();
    if (!socket) return;
    socket.accept();
    const reply = new Promise<string>((resolve) => socket.addEventListener("message", (event) => resolve(String(event.data))));
    socket.send("hello");
    expect(await reply).toBe("echo:hello");
    socket.close();
  });
});

describe("edge proxy: the page the rewrite gets", () => {
  it("GET of an HTML page answered 200 is rewritten: the bar in the page, private, the visitor id cookie, the origin's cookie kept", async () => {
    const { origin, proxied } = await bothWays("/page");
    expect(proxied.status).toBe(200);
    const html = new TextDecoder().decode(Uint8Array.from(proxied.body));
    expect(html).not.toBe(new TextDecoder().decode(Uint8Array.from(origin.body)));
    expect(html).toMatch(/<header data-valuebar="topbar"><div data-valuebar-placement="topbar"><template shadowrootmode="open">/);
    expect(html).toContain(`<span>${EDGE_SHOP_BAR}</span>`);
    expect(proxied.headers).toContainEqual(["cache-control", "private, no-cache"]);
    expect(proxied.headers).toContainEqual(["set-cookie", "session=abc; Path=/; HttpOnly"]);
    expect(proxied.headers.some(([name, value]) => name === "set-cookie" && /^valuebar_vid=[\w-]{8,64}; Path=\/; Max-Age=31536000; Secure; HttpOnly; SameSite=Lax$/.test(value))).toBe(true);
    // The origin's validators describe the origin's bytes, not these.
    expect(proxied.headers.map(([name]) => name)).not.toContain("etag");
  });

  it.each<[string, string, number, string | null, boolean]>([
    ["GET 200 text/html is rewritten", "GET", 200, "text/html; charset=utf-8", true],
    ["GET 200 TEXT/HTML is rewritten", "GET", 200, "TEXT/HTML", true],
    ["HEAD 200 text/html passes", "HEAD", 200, "text/html", false],
    ["POST 200 text/html passes", "POST", 200, "text/html", false],
    ["GET 404 text/html passes", "GET", 404, "text/html", false],
    ["GET 304 passes", "GET", 304, null, false],
    ["GET 200 application/xhtml+xml passes", "GET", 200, "application/xhtml+xml", false],
    ["GET 200 text/plain passes", "GET", 200, "text/plain", false],
    ["GET 200 without a type passes", "GET", 200, null, false],
  ])("%s", (_, method, status, type, rewritten) => {
    const headers = new Headers(type === null ? [] : [["content-type", type]]);
    const body = status === 304 ? null : "x";
    expect(isRewritable(new Request(`${STORE}/`, { method }), new Response(body, { status, headers }))).toBe(rewritten);
  });
});

describe("edge proxy: a pass-through site (rewrite = false)", () => {
  // plain.test is the same site and origin as shop.test (vitest.config.ts), whose pages are rewritten with a bar.
  it("an HTML page comes back byte-identical to the origin's, headers included: no bar, no cookie of ours, no Server-Timing", async () => {
    const init = { headers: { cookie: "valuebar_vid=0123456789abcdef0123456789abcdef; session=abc" } };
    const origin = await answer(await env.EDGE_ORIGIN.fetch(`${ORIGIN}/page`, init));
    const proxied = await answer(await exports.default.fetch("https://plain.test/page", init));
    expect(proxied).toEqual(origin);
    const setCookies = proxied.headers.filter(([name]) => name === "set-cookie").map(([, value]) => value);
    expect(setCookies).toEqual(["session=abc; Path=/; HttpOnly"]);
    expect(proxied.headers.map(([name]) => name)).not.toContain("server-timing");
    expect(new TextDecoder().decode(Uint8Array.from(proxied.body))).not.toContain(EDGE_SHOP_BAR);
  });

  it("the same page on the rewriting hostname of the same site has the bar: the flag is what differs", async () => {
    const html = await (await exports.default.fetch(`${STORE}/page`)).text();
    expect(html).toContain(`<span>${EDGE_SHOP_BAR}</span>`);
  });

  it("valuebar's own routes stay valuebar's on a pass-through hostname", async () => {
    expect(await (await exports.default.fetch("https://plain.test/v1/health")).text()).toBe("ok");
  });
});

describe("edge proxy: routing", () => {
  it("valuebar's own routes stay valuebar's on a store hostname", async () => {
    const health = await exports.default.fetch(`${STORE}/v1/health`);
    expect(await health.text()).toBe("ok");
    const admin = await exports.default.fetch(`${STORE}/admin/sites/edge-shop/config`);
    expect(admin.status).toBe(401);
  });

  it("a hostname that is not in EDGE_SITES is valuebar's, as before", async () => {
    const response = await exports.default.fetch("https://valuebar.test/");
    expect(await response.json()).toEqual({ name: "valuebar", schema: "/v1/schema/config.json" });
  });

  it("an origin that cannot be reached: 502 ORIGIN_UNREACHABLE, never cached, its cause not echoed", async () => {
    const response = await exports.default.fetch("https://down.test/page");
    expect(response.status).toBe(502);
    expect(response.headers.get("cache-control")).toBe("no-store");
    const body = await response.json<{ error: { code: string; message: string } }>();
    expect(body.error.code).toBe("ORIGIN_UNREACHABLE");
    expect(body.error.message).not.toContain("unreachable.test");
  });

  it("a bad EDGE_SITES: every store page answers 500 BAD_ENVIRONMENT naming the field; valuebar's routes still work", async () => {
    const bad = { EDGE_SITES: { "valuebar.test": { site: "Edge Shop", origin: "https://origin.test/shop" } } };
    const page = await fetchWithEnv(bad, "/page");
    expect(page.status).toBe(500);
    const body = await page.json<{ error: { code: string; issues: { path: string }[] } }>();
    expect(body.error.code).toBe("BAD_ENVIRONMENT");
    expect(body.error.issues.map((issue) => issue.path)).toEqual(['EDGE_SITES["valuebar.test"].site', 'EDGE_SITES["valuebar.test"].origin']);
    const health = await fetchWithEnv(bad, "/v1/health");
    expect(await health.text()).toBe("ok");
  });
});
