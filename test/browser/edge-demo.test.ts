/**
 * @module The demo store in edge mode end to end, as `npm start` serves it: the Worker under `wrangler dev` with
 * EDGE_SITES mapping edge.localhost to the demo site, its origin being the same Worker's plain /store page (no tag of
 * ours, no slot for the bar), and Debian's Chromium at http://edge.localhost:<port>/store (Chromium resolves
 * *.localhost to the loopback itself, and treats it as a secure context). The shopper signs in and declines analytics
 * with the store's own links (/store/sign-in, /store/consent), as on a real store.
 */
import type { Browser, BrowserContext, Page, Request } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningWorker } from "../../scripts/dev-server.mjs";
import { freePort } from "../../scripts/dev-server.mjs";
import { skipBrowserTests } from "./chromium";
import { type EditorHarness, startEditorHarness } from "./editor-harness";

let worker: RunningWorker;
let browser: Browser;
let adminToken: string;
/** The store's hostname in edge mode, e.g. http://edge.localhost:41234. */
let store: string;

const VIP_TEXTS = ["Free express shipping on every order, thank you for being a VIP", "VIP early access: the winter sale starts today for you"];
/** The bar the rewrite writes: the host element and its declarative shadow root, in the HTML as it arrives. */
const BAR_IN_HTML = '<div data-valuebar-placement="topbar"><template shadowrootmode="open">';

interface Shopper {
  context: BrowserContext;
  page: Page;
  problems: string[];
  /** The requests the page sent to valuebar's events route, with the status each got. */
  beacons: { url: string; body: Record<string, unknown>; status: Promise<number | undefined> }[];
}

/**
 * A fresh browser profile on the edge-mode store, signed in as `persona` (or not), analytics declined when `consent`
 * is false, every layout shift recorded from the first paint on; the store page is open when it resolves.
 */
async function shopper(persona: string | null, { consent = true, viewport = { width: 1100, height: 700 } } = {}): Promise<Shopper> {
  const context = await browser.newContext({ viewport });
  await context.addInitScript(() => {
    const shifts: number[] = [];
    (window as unknown as { __shifts: number[] }).__shifts = shifts;
    new PerformanceObserver((list) => list.getEntries().forEach((e) => shifts.push((e as unknown as { value: number }).value))).observe({ type: "layout-shift", buffered: true });
  });
  const page = await context.newPage();
  const problems: string[] = [];
  const beacons: Shopper["beacons"] = [];
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  page.on("request", (request: Request) => {
    if (!request.url().includes("/v1/events/")) return;
    beacons.push({ url: request.url(), body: JSON.parse(request.postData() ?? "{}") as Record<string, unknown>, status: request.response().then((r) => r?.status(), () => undefined) });
  });
  // The store's consent banner and its sign-in, as the shopper would click them: each answers 303 to /store.
  if (!consent) await page.goto(`${store}/store/consent?analytics=0`);
  await page.goto(`${store}/store/sign-in?as=${persona ?? "anonymous"}`);
  expect(new URL(page.url()).pathname).toBe("/store");
  return { context, page, problems, beacons };
}

/** The top bar as a shopper sees it: its text and box, and where the store's header starts; null when there is none. */
const readBar = (page: Page) =>
  page.evaluate(() => {
    const hosts = document.querySelectorAll("[data-valuebar-placement=topbar]");
    const host = hosts[0];
    if (!host?.shadowRoot) return null;
    const box = host.getBoundingClientRect();
    // The bar's box: the shadow root's last element (before it, the bar's <style>).
    return { bars: hosts.length, text: host.shadowRoot.lastElementChild?.textContent ?? null, top: box.top, height: box.height, header: document.querySelector("header.store")?.getBoundingClientRect().top };
  });

const shifts = (page: Page) => page.evaluate(() => (window as unknown as { __shifts: number[] }).__shifts);
const shippingText = (page: Page) => page.locator('[data-valuebar="shipping"]').innerText();

/** The HTML of the store page as the shopper's browser gets it now (their cookies), as it comes from the Worker. */
function pageSource(page: Page): Promise<{ html: string; timing: string }> {
  // From the page itself: Node cannot resolve edge.localhost, Chromium resolves it to the loopback.
  return page.evaluate(async () => {
    const res = await fetch("/store");
    return { html: await res.text(), timing: res.headers.get("server-timing") ?? "" };
  });
}

/** Admin API of the test's Worker. */
async function admin<T>(path: string): Promise<T> {
  const res = await fetch(`${worker.url}${path}`, { headers: { authorization: `Bearer ${adminToken}` } });
  expect(res.status).toBe(200);
  return (await res.json()) as T;
}

describe.skipIf(skipBrowserTests)("the demo store in edge mode, through the proxy, in Chromium", () => {
  let harness: EditorHarness | undefined;
  beforeAll(async () => {
    const port = await freePort();
    // As `npm start` configures it (scripts/start.mjs): edge.localhost's origin is this Worker's own /store page.
    const edgeSites = { "edge.localhost": { site: "demo", origin: `http://127.0.0.1:${port}` } };
    harness = await startEditorHarness({ port, vars: { EDGE_SITES: JSON.stringify(edgeSites) } });
    ({ worker, browser, token: adminToken } = harness);
    store = `http://edge.localhost:${port}`;
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
  });

  it("the origin's page has no tag of ours and no slot; through the proxy the VIP's bar is in the HTML, and drawn with scripts off", async () => {
    const origin = await (await fetch(`${worker.url}/store`)).text();
    expect(origin).not.toContain("data-valuebar-placement");
    expect(origin).not.toContain("<script>(function(){");
    expect(origin).not.toContain('<div data-valuebar="topbar"');

    const { context, page, problems } = await shopper("vip");
    const { html, timing } = await pageSource(page);
    expect(timing).toContain('edge;desc="rewritten"');
    expect(html).toContain(`<body>\n\n${BAR_IN_HTML}`);
    const text = (await readBar(page))?.text ?? "";
    expect(VIP_TEXTS.some((vip) => text.startsWith(vip))).toBe(true);
    expect(html).toContain(`<span>${text.replace(/ Details ×$| Shop early ×$/, "")}</span>`);
    // The shipping message is written in too: the VIP's free express shipping, not the store's fallback text.
    expect(html).toContain('data-valuebar-placement="shipping"><span>As a VIP, every order ships free by express</span>');

    // The first paint is the HTML: with JavaScript off in the browser, the bar is there, styled, above the header.
    const still = await browser.newContext({ javaScriptEnabled: false, viewport: { width: 1100, height: 700 } });
    await still.addCookies(await context.cookies());
    const plain = await still.newPage();
    await plain.goto(`${store}/store`);
    const drawn = await plain.locator("[data-valuebar-placement=topbar] span").first().boundingBox();
    expect(await plain.locator("[data-valuebar-placement=topbar] span").first().textContent()).toBe(text.replace(/ Details ×$| Shop early ×$/, ""));
    expect(drawn?.height).toBeGreaterThan(10);
    const header = await plain.locator("header.store").boundingBox();
    expect(header?.y).toBeGreaterThan(drawn?.y ?? Infinity);
    // Once the runtime has run (it takes the bar over, drawing nothing), the store's header is exactly where it was painted.
    expect((await readBar(page))?.header).toBe(header?.y);
    await still.close();
    expect(problems).toEqual([]);
    await context.close();
  });

  it("nothing shifts on the store page with no reserved slot: the VIP's bar and an anonymous US visitor's, at 1100 and 390 px", async () => {
    const figures: Record<string, number[]> = {};
    for (const viewport of [
      { width: 1100, height: 700 },
      { width: 390, height: 844 },
    ]) {
      for (const persona of ["vip", null]) {
        const { context, page, problems } = await shopper(persona, { viewport });
        await page.waitForFunction(() => document.readyState === "complete");
        const bar = await readBar(page);
        // Both have a bar (wrangler dev's request.cf says US: the anonymous visitor gets the US offer), at the top.
        expect(bar).toMatchObject({ bars: 1, top: 0 });
        expect(bar?.header).toBe(bar?.height);
        // Layout-shift entries come with the frames after load: two frames later every shift is reported.
        await page.evaluate(() => new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve))));
        figures[`${persona ?? "anonymous"}${viewport.width}`] = await shifts(page);
        expect(problems).toEqual([]);
        await context.close();
      }
    }
    expect(figures).toEqual({ vip1100: [], anonymous1100: [], vip390: [], anonymous390: [] });
  });

  it("dismissal: the bar goes, the dismissal is counted at the store's hostname, and on the next page the bar is not in the HTML", async () => {
    const { context, page, problems, beacons } = await shopper("vip");
    expect(await readBar(page)).not.toBeNull();
    await page.locator("[data-valuebar-placement=topbar] button").click();
    expect(await readBar(page)).toBeNull();
    const cookie = (await context.cookies()).find((c) => c.name === "valuebar_dismissed");
    expect(cookie).toMatchObject({ value: "topbar:vip-express", domain: "edge.localhost", path: "/", httpOnly: false });
    await expect.poll(() => beacons.map((b) => b.body.type)).toEqual(["dismiss"]);
    expect(new URL(beacons[0]?.url ?? "").origin).toBe(store);
    expect(await beacons[0]?.status).toBe(202);

    // The next page: the Worker read the cookie, so there is no bar to draw and take away (no flash, no shift).
    const { html } = await pageSource(page);
    expect(html).not.toContain(BAR_IN_HTML);
    const navigation = await page.reload();
    expect(await navigation?.text()).not.toContain(BAR_IN_HTML);
    expect(await readBar(page)).toBeNull();
    expect(await page.locator("header.store").boundingBox()).toMatchObject({ y: 0 });
    // The Worker's visitor id cookie (Secure) is kept and sent back on http://edge.localhost, a secure context.
    const vid = (await context.cookies()).find((c) => c.name === "valuebar_vid");
    expect(vid).toMatchObject({ secure: true, httpOnly: true });
    const visitor = await page.evaluate(() => (window as unknown as { valuebar: { decision: { visitor: { id: string; returning: boolean } } } }).valuebar.decision.visitor);
    expect(visitor).toMatchObject({ id: vid?.value, returning: true });
    expect(await shifts(page)).toEqual([]);
    // The VIP's shipping message was not dismissed: it stays.
    expect(await shippingText(page)).toBe("As a VIP, every order ships free by express");
    expect(problems).toEqual([]);
    await context.close();
  });

  it("cart progress: the bargain hunter's shipping message follows the cart", async () => {
    // In dollars: wrangler dev's request.cf says US, and the store prices for US visitors in USD.
    const { context, page, problems } = await shopper("bargain_hunter");
    await expect.poll(() => shippingText(page)).toBe("You're $45.00 away from free shipping");
    await page.locator("[data-add='1450']").click();
    await expect.poll(() => shippingText(page)).toBe("You're $30.50 away from free shipping");
    await page.locator("[data-add='3900']").click();
    await expect.poll(() => shippingText(page)).toBe("You've unlocked free shipping!");
    expect(problems).toEqual([]);
    await context.close();
  });

  it("beacons: the exposure is counted, and click, add_to_cart, purchase and dismiss reach /v1/events/demo on the store's hostname, accepted", async () => {
    interface Results {
      units: { counted: number };
    }
    // An anonymous visitor in the US experiment: a new profile is a new unit (a customer is one unit however many).
    const results = () => admin<Results>("/admin/sites/demo/experiments/us-free-shipping/results");
    const before = await results();
    const { context, page, problems, beacons } = await shopper(null);
    // The exposure is counted by the Worker when it decides (no beacon): one more unit in the experiment.
    await expect.poll(async () => (await results()).units.counted, { timeout: 10_000 }).toBe(before.units.counted + 1);

    // The bar's link is counted before the browser would leave; the test stays on the page.
    await page.evaluate(() => document.addEventListener("click", (e) => e.preventDefault(), true));
    await page.locator("[data-valuebar-placement=topbar] a").click();
    await page.locator("[data-add='3900']").click();
    await page.locator("#checkout").click();
    await expect(page.locator("#order-status").textContent()).resolves.toMatch(/^Order demo-/);
    await page.locator("[data-valuebar-placement=topbar] button").click();
    await expect.poll(() => beacons.map((b) => b.body.type)).toEqual(["click", "add_to_cart", "purchase", "dismiss"]);
    for (const beacon of beacons) {
      expect(beacon.url).toBe(`${store}/v1/events/demo`);
      expect(await beacon.status).toBe(202);
    }
    // Each names the experiment the visitor is in, and their visitor id; the purchase its value.
    const vid = (await context.cookies()).find((c) => c.name === "valuebar_vid")?.value;
    expect(beacons.map((b) => [b.body.experiments, b.body.vid])).toEqual(Array(4).fill([["us-free-shipping"], vid]));
    expect(beacons[2]?.body).toMatchObject({ value: 39, currency: "USD" });
    expect(problems).toEqual([]);
    await context.close();
  });

  it("with analytics declined (valuebar_consent=0): no cookie and no localStorage entry of ours, no beacon, the experiment's baseline", async () => {
    const { context, page, problems, beacons } = await shopper("vip", { consent: false });
    const text = (await readBar(page))?.text ?? "";
    expect(text.startsWith(VIP_TEXTS[0] ?? "")).toBe(true);
    await page.locator("[data-add='3900']").click();
    await page.locator("#checkout").click();
    await expect(page.locator("#order-status").textContent()).resolves.toMatch(/^Order demo-/);
    await page.locator("[data-valuebar-placement=topbar] button").click();
    expect(await readBar(page)).toBeNull();
    // A navigation after the clicks: a beacon queued by any of them would have gone out by now.
    await page.reload();
    expect(await readBar(page)).not.toBeNull();
    // Only the store's own cookies: its consent switch and its sign-in.
    expect((await context.cookies()).map((c) => c.name).sort()).toEqual(["valuebar_cid", "valuebar_consent"]);
    expect(await page.evaluate(() => Object.keys(localStorage))).toEqual([]);
    expect(beacons).toEqual([]);
    expect(problems).toEqual([]);
    await context.close();
  });
});
