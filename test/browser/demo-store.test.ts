/**
 * @module The demo storefront end to end, as a shopper sees it: the Worker under `wrangler dev` (local KV
 * and Durable Objects, seeded through the admin API), the store page on another site (127.0.0.1 vs
 * localhost, so the snippet is third-party), and Debian's Chromium.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Persona, RunningWorker } from "../../scripts/dev-server.mjs";
import { ensureDevVars, freePort, root, seedDemo, startWorker } from "../../scripts/dev-server.mjs";
import { bucketOf } from "../../src/core/bucket";
import { codeBlocks, README_SITE, README_WORKER, theBlock } from "../readme";
import { renderLiquid } from "./liquid";
import { launchChromium, skipBrowserTests } from "./chromium";
import type { FixtureServer } from "./server";
import { startFixtureServer } from "./server";

let worker: RunningWorker;
let store: FixtureServer;
let browser: Browser;
let stateDir: string;
let adminToken: string;
let personas: Persona[];
let signingSecret: string;
/** The Worker as the store's pages reach it: on another site (localhost) than the store (127.0.0.1). */
let workerOrigin: string;

const README = readFileSync(join(root, "README.md"), "utf8");

interface Visit {
  page: Page;
  problems: string[];
  context: BrowserContext;
}

/** Opens the demo store as `query` (e.g. "as=vip") in a fresh browser profile, collecting console errors. */
async function visit(query: string, init?: (context: BrowserContext) => Promise<unknown>): Promise<Visit> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 700 } });
  if (init) await init(context);
  const page = await context.newPage();
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error") problems.push(`console: ${message.text()}`);
  });
  await page.goto(`${store.origin}/demo?${query}`);
  await page.waitForFunction(() => document.querySelector("[data-valuebar-placement]") !== null);
  return { page, problems, context };
}

function topbarText(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const host = document.querySelector('[data-valuebar-placement="topbar"]');
    return host?.shadowRoot?.querySelector("span")?.textContent ?? null;
  });
}

function placementText(page: Page, placement: "shipping" | "returns"): Promise<string> {
  return page.locator(`[data-valuebar="${placement}"]`).innerText();
}

/** CSS without its whitespace, to compare the README's with the demo page's. */
const squash = (css: string) => css.replace(/\s+/g, "");

/** The figures `npm run test:browser` writes to test-artifacts/layout-shift.json (the README quotes them). */
const layoutShift: Record<string, unknown> = {};

/**
 * The cumulative layout shift of loading the store page at `path` in a fresh profile at `viewport`, the snippet held
 * back 300 ms: locally it can arrive before the first paint, where nothing counts as a shift; over a real network it
 * arrives after, so every run measures the real-world case.
 */
async function cumulativeShift(path: string, viewport: { width: number; height: number }): Promise<number> {
  const context = await browser.newContext({ viewport });
  const page = await context.newPage();
  await page.route("**/v1/s/**", async (route) => {
    await new Promise((resolve) => setTimeout(resolve, 300));
    await route.continue();
  });
  await page.addInitScript(() => {
    const w = window as unknown as { __shift: number };
    w.__shift = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries() as (PerformanceEntry & { value: number; hadRecentInput: boolean })[]) {
        if (!entry.hadRecentInput) w.__shift += entry.value;
      }
    }).observe({ type: "layout-shift", buffered: true });
  });
  await page.goto(`${store.origin}${path}`);
  await page.waitForFunction(() => document.querySelector("[data-valuebar-placement=shipping]") !== null);
  // Layout-shift entries arrive with the next frames.
  await page.waitForTimeout(500);
  const shift = await page.evaluate(() => (window as unknown as { __shift: number }).__shift);
  await context.close();
  return shift;
}

describe.skipIf(skipBrowserTests)("the demo store in Chromium", () => {
  beforeAll(async () => {
    const vars = ensureDevVars();
    const token = vars.ADMIN_TOKEN ?? "";
    adminToken = token;
    signingSecret = vars.SIGNING_SECRET ?? "";
    stateDir = mkdtempSync(join(tmpdir(), "valuebar-demo-"));
    worker = await startWorker({ port: await freePort(), persistTo: stateDir });
    ({ personas } = await seedDemo(worker.url, token));
    // The store lives on another site than the Worker: its pages come from 127.0.0.1, the snippet from localhost.
    workerOrigin = worker.url.replace("127.0.0.1", "localhost");
    store = await startFixtureServer();
    store.route("/demo", async (request) => {
      const query = new URL(request.url ?? "/", "http://store").search;
      const res = await fetch(`${workerOrigin}/demo${query}`);
      return { status: res.status, body: await res.text() };
    });
    // The same page from a store that reserves no room for the bar.
    store.route("/demo-no-slot", async (request) => {
      const query = new URL(request.url ?? "/", "http://store").search;
      const res = await fetch(`${workerOrigin}/demo${query}`);
      return { status: res.status, body: (await res.text()).replace(/<div data-valuebar="topbar"[^>]*><\/div>/, "") };
    });
    // The same page from a store that follows the advice before issue 11: a 40 px slot at every width.
    store.route("/demo-40px-slot", async (request) => {
      const query = new URL(request.url ?? "/", "http://store").search;
      const res = await fetch(`${workerOrigin}/demo${query}`);
      const forty = '<style>[data-valuebar="topbar"] { display: block !important; min-height: 40px !important; }</style></head>';
      return { status: res.status, body: (await res.text()).replace("</head>", forty) };
    });
    // Chromium with third-party cookies blocked, as Safari and Firefox do by default.
    browser = await launchChromium(["--test-third-party-cookie-phaseout"]);
  }, 120_000);

  afterAll(async () => {
    if (Object.keys(layoutShift).length) {
      mkdirSync(join(root, "test-artifacts"), { recursive: true });
      writeFileSync(join(root, "test-artifacts", "layout-shift.json"), `${JSON.stringify(layoutShift, null, 2)}\n`);
    }
    await browser?.close();
    await store?.close();
    await worker?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it("shows the VIP their top bar, their free express shipping (no minimum to reach), and the default returns message", async () => {
    const { page, problems, context } = await visit("as=vip");
    const text = await topbarText(page);
    expect(["Free express shipping on every order, thank you for being a VIP", "VIP early access: the winter sale starts today for you"]).toContain(text);
    expect(await placementText(page, "shipping")).toBe("As a VIP, every order ships free by express");
    expect(await placementText(page, "returns")).toBe("Free returns within 30 days");
    expect(problems).toEqual([]);
    await context.close();
  });

  it("shows the high returner free in-store returns where the store marked the returns message", async () => {
    const { page, problems, context } = await visit("as=high_returner");
    expect(await placementText(page, "returns")).toContain("Free returns in any of our stores");
    await expect(page.locator('[data-valuebar="returns"] a').getAttribute("href")).resolves.toBe("/demo/pages/stores");
    expect(await page.locator('[data-valuebar="returns"]').getAttribute("data-valuebar-placement")).toBe("returns");
    // Also occasional: that segment's top bar, since high_returner has no top bar campaign.
    expect(await topbarText(page)).toContain("Welcome back! See what is new this week");
    expect(problems).toEqual([]);
    await context.close();
  });

  it("shows the bargain hunter free-shipping progress that follows the cart", async () => {
    const { page, problems, context } = await visit("as=bargain_hunter");
    expect(await placementText(page, "shipping")).toBe("You're €40.00 away from free shipping");
    await page.locator("[data-add='1450']").click();
    await expect.poll(() => placementText(page, "shipping")).toBe("You're €25.50 away from free shipping");
    await page.locator("[data-add='3900']").click();
    await expect.poll(() => placementText(page, "shipping")).toBe("You've unlocked free shipping!");
    expect(problems).toEqual([]);
    await context.close();
  });

  it("shows an anonymous visitor no top bar and the defaults, and an anonymous US visitor the US offer", async () => {
    const anonymous = await visit("as=anonymous");
    expect(await anonymous.page.locator('[data-valuebar-placement="topbar"]').count()).toBe(0);
    expect(await placementText(anonymous.page, "shipping")).toBe("Add €60.00 more for free shipping");
    expect(anonymous.problems).toEqual([]);
    await anonymous.context.close();

    const us = await visit("as=anonymous&country=US");
    await us.page.waitForFunction(() => document.querySelector('[data-valuebar-placement="topbar"]') !== null);
    expect(await topbarText(us.page)).toMatch(/\$50\.00/);
    expect(await placementText(us.page, "shipping")).toBe("Add $75.00 more for free shipping");
    expect(us.problems).toEqual([]);
    await us.context.close();
  });

  it("keeps an anonymous visitor's variant across reloads, with third-party cookies blocked", async () => {
    // Two visitor ids whose buckets fall in different variants of the 50/50 US test.
    const ids = Array.from({ length: 64 }, (_, i) => `visitor${String(i).padStart(4, "0")}abcdef`);
    const inA = ids.find((id) => bucketOf("us-free-shipping", id) < 0.5) ?? "";
    const inB = ids.find((id) => bucketOf("us-free-shipping", id) >= 0.5) ?? "";
    for (const [vid, variant] of [
      [inA, "a"],
      [inB, "b"],
    ] as const) {
      const seen: string[] = [];
      const { page, problems, context } = await visit("as=anonymous&country=US", (ctx) =>
        ctx.addInitScript((id) => {
          if (!localStorage.getItem("valuebar_vid")) localStorage.setItem("valuebar_vid", id);
        }, vid),
      );
      for (let load = 0; load < 4; load++) {
        if (load > 0) await page.reload();
        await page.waitForFunction(() => document.querySelector('[data-valuebar-placement="topbar"]') !== null);
        seen.push(await page.evaluate(() => (window as unknown as { valuebar: { decision: { placements: { topbar: { variant: string } } } } }).valuebar.decision.placements.topbar.variant));
      }
      expect(seen).toEqual([variant, variant, variant, variant]);
      expect(await page.evaluate(() => localStorage.getItem("valuebar_vid"))).toBe(vid);
      expect(await context.cookies()).toEqual([]);
      expect(problems).toEqual([]);
      await context.close();
    }
  });

  it("with window.valuebar.consent = false stores nothing, asks with consent=0 and shows the US test's baseline", async () => {
    const requested: string[] = [];
    for (let load = 0; load < 3; load++) {
      const { page, problems, context } = await visit("as=anonymous&country=US", (ctx) =>
        ctx.addInitScript(() => {
          (window as unknown as { valuebar: { consent: boolean } }).valuebar = { consent: false };
        }),
      );
      page.on("request", (request) => requested.push(request.url()));
      await page.reload();
      await page.waitForFunction(() => document.querySelector('[data-valuebar-placement="topbar"]') !== null);
      expect(await page.evaluate(() => (window as unknown as { valuebar: { decision: { placements: { topbar: { variant: string } } } } }).valuebar.decision.placements.topbar.variant)).toBe("a");
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      expect(await context.cookies()).toEqual([]);
      expect(problems).toEqual([]);
      await context.close();
    }
    const snippetLoads = requested.filter((url) => url.includes("/v1/s/demo.js"));
    expect(snippetLoads).toHaveLength(3);
    for (const url of snippetLoads) {
      expect(new URL(url).searchParams.get("consent")).toBe("0");
      expect(new URL(url).searchParams.has("vid")).toBe(false);
    }
  });

  it("counts a shopper's exposure, click and purchase for the variant they saw, in the experiment's results", async () => {
    interface VariantCount {
      variant: string;
      units: number;
      conversions: number;
    }
    interface Results {
      units: { counted: number };
      metrics: { clickThrough: { variants: VariantCount[] }; purchase: { variants: VariantCount[] }; revenuePerVisitor: Record<string, { variants: (VariantCount & { value: number })[] }> };
    }
    const results = async (): Promise<Results> => {
      const res = await fetch(`${worker.url}/admin/sites/demo/experiments/us-free-shipping/results`, { headers: { authorization: `Bearer ${adminToken}` } });
      expect(res.status).toBe(200);
      return (await res.json()) as Results;
    };
    const before = await results();
    const { page, problems, context } = await visit("as=anonymous&country=US");
    await page.waitForFunction(() => document.querySelector('[data-valuebar-placement="topbar"]') !== null);
    const variant = await page.evaluate(() => (window as unknown as { valuebar: { decision: { placements: { topbar: { variant: string } } } } }).valuebar.decision.placements.topbar.variant);

    // The exposure is written in the background; a shopper takes longer to buy than this test does.
    await expect.poll(async () => (await results()).units.counted, { timeout: 10_000 }).toBe(before.units.counted + 1);

    // The US offer's link leads to the shipping page; the click is counted before the browser leaves.
    await page.evaluate(() => document.addEventListener("click", (e) => e.preventDefault(), true));
    await page.evaluate(() => (document.querySelector('[data-valuebar-placement="topbar"]')?.shadowRoot?.querySelector("a") as HTMLElement | null)?.click());
    await page.locator("[data-add='3900']").click();
    await page.locator("#checkout").click();
    await expect(page.locator("#order-status").textContent()).resolves.toMatch(/^Order demo-/);

    const count = (m: { variants: VariantCount[] }) => m.variants.find((v) => v.variant === variant);
    await expect
      .poll(async () => count((await results()).metrics.purchase)?.conversions, { timeout: 10_000 })
      .toBe((count(before.metrics.purchase)?.conversions ?? 0) + 1);
    const after = await results();
    expect(after.units.counted).toBe(before.units.counted + 1);
    expect(count(after.metrics.purchase)?.units).toBe((count(before.metrics.purchase)?.units ?? 0) + 1);
    expect(count(after.metrics.clickThrough)?.conversions).toBe((count(before.metrics.clickThrough)?.conversions ?? 0) + 1);
    expect(after.metrics.revenuePerVisitor.USD?.variants.find((v) => v.variant === variant)?.conversions).toBe(
      (before.metrics.revenuePerVisitor.USD?.variants.find((v) => v.variant === variant)?.conversions ?? 0) + 1,
    );
    expect(problems).toEqual([]);
    await context.close();
  });

  it("counts a purchase on a page without the experiment for the experiment the shopper was shown before", async () => {
    const purchases = async () => {
      const res = await fetch(`${worker.url}/admin/sites/demo/experiments/us-free-shipping/results`, { headers: { authorization: `Bearer ${adminToken}` } });
      const body = (await res.json()) as { metrics: { purchase: { variants: { conversions: number }[] } } };
      return body.metrics.purchase.variants.reduce((n, v) => n + v.conversions, 0);
    };
    const before = await purchases();
    // Shown the US test (an exposure), then browsing on as a visitor the test does not reach.
    const { page, problems, context } = await visit("as=anonymous&country=US");
    const vid = await page.evaluate(() => localStorage.getItem("valuebar_vid"));
    await page.goto(`${store.origin}/demo?as=anonymous`);
    await page.waitForFunction(() => document.querySelector("[data-valuebar-placement]") !== null);
    expect(await page.evaluate(() => (window as unknown as { valuebar: { decision: { exposures: unknown[] } } }).valuebar.decision.exposures)).toEqual([]);
    expect(await page.evaluate(() => Object.keys(JSON.parse(localStorage.getItem("valuebar_experiments") ?? "{}")))).toEqual(["us-free-shipping"]);
    // The exposure of the first page is written in the background; a shopper takes longer to buy than this test.
    await expect
      .poll(async () => {
        const res = await fetch(`${worker.url}/admin/sites/demo/experiments/us-free-shipping/results`, { headers: { authorization: `Bearer ${adminToken}` } });
        return ((await res.json()) as { units: { counted: number } }).units.counted > 0;
      })
      .toBe(true);
    await page.locator("[data-add='3900']").click();
    await page.locator("#checkout").click();
    await expect.poll(purchases, { timeout: 10_000 }).toBe(before + 1);
    expect(await page.evaluate(() => localStorage.getItem("valuebar_vid"))).toBe(vid);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("keeps a signed-in customer's events token in the store's storage, never their sig, and counts their purchase with it", async () => {
    const vipPurchases = async () => {
      const res = await fetch(`${worker.url}/admin/sites/demo/experiments/vip-express/results`, { headers: { authorization: `Bearer ${adminToken}` } });
      const body = (await res.json()) as { metrics: { purchase: { variants: { conversions: number }[] } } };
      return body.metrics.purchase.variants.reduce((n, v) => n + v.conversions, 0);
    };
    const before = await vipPurchases();
    const { page, problems, context } = await visit("as=vip");
    const sig = await page.evaluate(() => new URL((document.querySelector('script[src*="/v1/s/"]') as HTMLScriptElement).src).searchParams.get("sig"));
    expect(sig).toMatch(/^[0-9a-f]{64}$/);
    const stored = await page.evaluate(() => Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k) ?? ""])));
    expect(Object.keys(stored).sort()).toEqual(["valuebar_experiments", "valuebar_token", "valuebar_vid"]);
    expect(stored.valuebar_token).toMatch(/^[A-Za-z0-9_-]{43}\.\d{10}\.[A-Za-z0-9_-]{22}$/);
    expect(Object.values(stored).some((value) => value.includes(sig ?? "-"))).toBe(false);
    await expect
      .poll(async () => {
        const res = await fetch(`${worker.url}/admin/sites/demo/experiments/vip-express/results`, { headers: { authorization: `Bearer ${adminToken}` } });
        return ((await res.json()) as { units: { counted: number } }).units.counted > 0;
      })
      .toBe(true);
    await page.locator("[data-add='3900']").click();
    await page.locator("#checkout").click();
    await expect.poll(vipPurchases, { timeout: 10_000 }).toBe(before + 1);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("a new visitor gets a visitor id in the store's own storage and keeps it", async () => {
    const { page, context } = await visit("as=anonymous&country=US");
    const first = await page.evaluate(() => localStorage.getItem("valuebar_vid"));
    expect(first).toMatch(/^[A-Za-z0-9_-]{8,64}$/);
    const variant = await page.evaluate(() => (window as unknown as { valuebar: { decision: { placements: { topbar: { variant: string } } } } }).valuebar.decision.placements.topbar.variant);
    expect(variant).toBe(bucketOf("us-free-shipping", first ?? "") < 0.5 ? "a" : "b");
    await page.reload();
    await page.waitForFunction(() => document.querySelector('[data-valuebar-placement="topbar"]') !== null);
    expect(await page.evaluate(() => localStorage.getItem("valuebar_vid"))).toBe(first);
    await context.close();
  });

  it("issue 11: the README's Shopify snippet, rendered as Shopify renders it, signs the customer and keeps a consent banner's consent: false", async () => {
    // The README's theme snippet (before </head>) and slot (at the top of <body>), for this test's Worker and site.
    const [head = "", body = ""] = codeBlocks(README)
      .filter((b) => b.lang === "liquid")
      .map((b) => b.code.replaceAll(`${README_WORKER}/v1/s/${README_SITE}.js`, `${workerOrigin}/v1/s/demo.js`));
    // A signed-in customer whose shipping message is the default one, with its free-shipping progress.
    const customer = personas.find((p) => p.key === "occasional");
    // Shopify's objects as a theme sees them: a customer id is a number, a shop metafield an object whose text is .value.
    const shopify = {
      cart: { total_price: 4250, currency: { iso_code: "EUR" } },
      request: { locale: { iso_code: "en" } },
      customer: { id: Number(customer?.customerId) },
      shop: { metafields: { valuebar: { signing_secret: { value: signingSecret, type: "single_line_text_field" } } } },
    };
    const theme = (banner: string) =>
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Shopify theme</title>${banner}${renderLiquid(head, shopify)}</head>` +
      `<body>${renderLiquid(body, shopify)}<p data-valuebar="shipping">Free shipping on orders over €60</p></body></html>`;

    for (const banner of ["", "<script>window.valuebar = { consent: false };</script>"]) {
      store.route("/shopify-theme", theme(banner));
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const snippets: string[] = [];
      page.on("request", (request) => void (request.url().includes("/v1/s/demo.js") && snippets.push(request.url())));
      await page.goto(`${store.origin}/shopify-theme`);
      await page.waitForFunction(() => document.querySelector("[data-valuebar-placement=topbar]") !== null);
      const seen = await page.evaluate(() => {
        const api = (window as unknown as { valuebar: { consent?: unknown; decision: { visitor: { identified: boolean }; placements: { topbar: { campaign: string } } } } }).valuebar;
        return { consent: api.consent, identified: api.decision.visitor.identified, topbar: api.decision.placements.topbar.campaign, stored: Object.keys(localStorage) };
      });
      const asked = new URL(snippets[0] ?? "http://none");
      // The Worker took the store's signature: the customer sees their segment's bar, and the cart's progress.
      expect(seen).toMatchObject({ identified: true, topbar: "occasional-new-in" });
      expect(asked.searchParams.get("cid")).toBe(customer?.customerId);
      expect(await placementText(page, "shipping")).toBe("Add €17.50 more for free shipping");
      if (banner) {
        expect({ consent: seen.consent, stored: seen.stored, asked: asked.searchParams.get("consent") }).toEqual({ consent: false, stored: [], asked: "0" });
      } else {
        expect(seen.consent).toBeUndefined();
        expect(seen.stored).toContain("valuebar_vid");
      }
      await context.close();
    }
  });

  it("keeps the store from shifting when the top bar arrives in a reserved slot, and records the shift without one", async () => {
    const viewport = { width: 1100, height: 700 };
    const figures = {
      viewport: "1100x700",
      snippetDelayMs: 300,
      vipReservedSlot: await cumulativeShift("/demo?as=vip", viewport),
      vipNoSlot: await cumulativeShift("/demo-no-slot?as=vip", viewport),
      anonymous: await cumulativeShift("/demo?as=anonymous", viewport),
    };
    layoutShift.desktop = figures;
    console.log(`cumulative layout shift: ${JSON.stringify(figures)}`);
    // A reserved slot and fallback text in the marked elements: nothing moves.
    expect(figures.vipReservedSlot).toBeLessThan(0.01);
    expect(figures.anonymous).toBeLessThan(0.01);
    // Without a slot the bar pushes the page down once: the shift is real, and this proves the test sees it.
    expect(figures.vipNoSlot).toBeGreaterThan(0.01);
  });

  it(
    "issue 11: with the README's slot CSS nothing shifts at 390 and 1280 px for any signed-in customer, and a dismissed bar leaves no band",
    async () => {
      // The demo store reserves the slot exactly as the README says.
      const css = theBlock(README, "css", '[data-valuebar="topbar"]').code;
      const demo = await (await fetch(`${worker.url}/demo?as=vip`)).text();
      expect(squash(demo)).toContain(squash(css.replace(/\/\*[\s\S]*?\*\//g, "")));

      const phone = { width: 390, height: 844 };
      const desktop = { width: 1280, height: 800 };
      const figures: Record<string, number> = {};
      for (const persona of personas) {
        figures[`${persona.key}390`] = await cumulativeShift(`/demo?as=${persona.key}`, phone);
        figures[`${persona.key}1280`] = await cumulativeShift(`/demo?as=${persona.key}`, desktop);
      }
      // The advice before issue 11, a 40 px slot: at 390 px the bar takes two lines and pushes the page down.
      const fortyPixels = await cumulativeShift("/demo-40px-slot?as=vip", phone);
      layoutShift.readmeSlotCss = { snippetDelayMs: 300, ...figures, vip390With40pxSlot: fortyPixels };
      console.log(`cumulative layout shift with the README's slot CSS: ${JSON.stringify(layoutShift.readmeSlotCss)}`);
      for (const [visit, shift] of Object.entries(figures)) expect({ visit, shift }).toEqual({ visit, shift: expect.closeTo(0, 2) });
      expect(fortyPixels).toBeGreaterThan(0.01);

      // Dismissed, the bar takes its slot's height with it: the store's header moves to the top.
      const context = await browser.newContext({ viewport: phone });
      const page = await context.newPage();
      await page.goto(`${store.origin}/demo?as=vip`);
      await page.waitForFunction(() => document.querySelector("[data-valuebar-placement=topbar]") !== null);
      const header = () => page.evaluate(() => [document.querySelector('[data-valuebar="topbar"]')?.getBoundingClientRect().height, document.querySelector("header.store")?.getBoundingClientRect().top]);
      const [slotHeight, headerTop] = await header();
      expect(slotHeight).toBeGreaterThanOrEqual(59);
      expect(headerTop).toBe(slotHeight);
      await page.click("[data-valuebar-placement=topbar] button");
      expect(await header()).toEqual([0, 0]);
      // On the next page the VIP's bar stays dismissed and the slot closes.
      await page.reload();
      await page.waitForFunction(() => (window as unknown as { valuebar?: { decision?: unknown } }).valuebar?.decision !== undefined);
      await expect.poll(header).toEqual([0, 0]);
      await context.close();
    },
    120_000,
  );

});
