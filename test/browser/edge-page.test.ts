/**
 * @module A page as the edge rewrite (src/edge/rewrite.ts) writes it, in real Chromium: the top bar in the HTML, in a
 * declarative shadow root with the runtime's own styles, so it is in the first paint; the runtime inlined with the
 * same decision. The page here is put together from the same markup functions the rewrite uses
 * (src/core/message-markup.ts), in the order test/edge/rewrite.test.ts checks in workerd.
 */
import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import type { Decision } from "../../src/core/decide";
import { messageMarkup, topBarMarkup } from "../../src/core/message-markup";
import { skipBrowserTests } from "./chromium";
import { campaign, decisionWith, EDGE_RUNTIME_JS, workerScript } from "./fixtures";
import { fixtureSuite } from "./fixture-suite";

const BAR = campaign({ text: "Free express shipping", dismissible: true, link: { url: "/pages/shipping", label: "Details" }, style: { background: "#0a7d32", size: "large" } }, { campaign: "vip-express", variant: "express" });
const SHIPPING = campaign({ text: "Free shipping over €60" }, { campaign: "ship", variant: "a" });

/** The rewritten page: the runtime before </head>, the bar before the body's first element, shipping filled in. */
function edgePage(decision: Decision, edge: string, tail = "", extra: { consent?: false } = {}, barInBody = true): string {
  const payload = { site: "demo", decision, edge, preview: true, ...extra };
  const markup = decision.placements.topbar ? topBarMarkup(decision.placements.topbar.message) : "";
  const bar = barInBody ? markup : "";
  const shipping = decision.placements.shipping ? messageMarkup(decision.placements.shipping.message) : "";
  return (
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Edge store</title>` +
    `<style>body{margin:0;font:16px/1.5 serif}</style><script>${workerScript(payload, EDGE_RUNTIME_JS)}</script></head>` +
    `<body>${bar}<header>Store</header><main id="content">Socks</main>` +
    `<p data-valuebar="shipping" data-valuebar-placement="shipping">${shipping}</p>${tail}` +
    // A browser without declarative shadow roots leaves the bar's <template> inert; markup inserted by a script is
    // parsed that way in every browser.
    (barInBody ? "" : `<script>document.body.insertAdjacentHTML("afterbegin", ${JSON.stringify(markup).replace(/</g, "\\u003c")})</script>`) +
    `</body></html>`
  );
}

describe.skipIf(skipBrowserTests)("a page the edge rewrote, in Chromium", () => {
  const fx = fixtureSuite();

  /** A page in the test's browser profile that records every layout shift it makes, from its first paint on. */
  async function newPage(): Promise<Page> {
    const page = await fx.newPage();
    await page.addInitScript(() => {
      const shifts: number[] = [];
      (window as unknown as { __shifts: number[] }).__shifts = shifts;
      new PerformanceObserver((list) => list.getEntries().forEach((e) => shifts.push((e as unknown as { value: number }).value))).observe({ type: "layout-shift", buffered: true });
    });
    return page;
  }

  /** What a shopper sees of the bar: its text, look and box; null when there is none. */
  const readBar = (page: Page) =>
    page.evaluate(() => {
      const hosts = document.querySelectorAll("[data-valuebar-placement=topbar]");
      const host = hosts[0];
      const box = host?.shadowRoot?.lastElementChild;
      if (!host || !box) return null;
      const style = getComputedStyle(box);
      const rect = host.getBoundingClientRect();
      return {
        bars: hosts.length,
        text: box.textContent,
        background: style.backgroundColor,
        fontSize: style.fontSize,
        padding: style.padding,
        box: [rect.top, rect.height, rect.width],
        content: document.querySelector("#content")?.getBoundingClientRect().top,
      };
    });

  test("the bar is in the HTML and the first paint, and looks and sits the same once the runtime has run: no shift", async () => {
    // The page's last script comes slowly, so the bar is on screen well before DOMContentLoaded.
    let release = () => {};
    const released = new Promise<void>((resolve) => (release = resolve));
    fx.server.route("/slow.js", async () => {
      await released;
      return { type: "text/javascript", body: "window.__slow = true;" };
    });
    const path = fx.freshPath("edge");
    fx.server.route(path, edgePage(decisionWith({ topbar: BAR, shipping: SHIPPING }), fx.server.origin, `<script src="/slow.js"></script>`));
    const page = await newPage();
    await page.goto(fx.server.origin + path, { waitUntil: "commit" });
    await expect.poll(() => readBar(page)).not.toBeNull();
    const painted = await readBar(page);
    expect(await page.evaluate(() => document.readyState)).toBe("loading");
    // The elements of the first paint, marked: the runtime must take them over, not draw new ones.
    await page.evaluate(() => document.querySelectorAll("[data-valuebar-placement]").forEach((el) => el.setAttribute("data-first-paint", "")));
    expect(painted).toMatchObject({ bars: 1, text: "Free express shipping Details ×", background: "rgb(10, 125, 50)", fontSize: "16px" });

    release();
    await page.waitForFunction(() => document.readyState === "complete");
    expect(await readBar(page)).toEqual(painted);
    expect(await page.evaluate(() => [...document.querySelectorAll("[data-valuebar-placement]")].map((el) => [el.getAttribute("data-valuebar-placement"), el.hasAttribute("data-first-paint")]))).toEqual([
      ["topbar", true],
      ["shipping", true],
    ]);
    expect(await page.evaluate(() => (window as unknown as { __shifts: number[] }).__shifts)).toEqual([]);
    expect(await page.evaluate(() => [...document.querySelectorAll("[data-valuebar=shipping] span")].map((s) => s.textContent))).toEqual(["Free shipping over €60"]);
  });

  test("dismissal works, counts for the experiment at the store's origin, and the bar stays gone on the next page", async () => {
    fx.server.route("/v1/events/demo", { status: 202, type: "application/json", body: "{}" });
    const before = fx.server.bodies("/v1/events/demo").length;
    const decision: Decision = { ...decisionWith({ topbar: BAR }), exposures: [{ campaign: "vip-express", experiment: "vip-express", variant: "express" }] };
    const path = fx.freshPath("edge");
    fx.server.route(path, edgePage(decision, fx.server.origin));
    const page = await newPage();
    await page.goto(fx.server.origin + path);
    await page.locator("[data-valuebar-placement=topbar] button").click();
    expect(await readBar(page)).toBeNull();
    await expect
      .poll(() => fx.server.bodies("/v1/events/demo").slice(before).map((b) => (JSON.parse(b) as { type: string; campaign: string }).type))
      .toEqual(["dismiss"]);

    // The dismissal is also in the cookie the Worker reads (src/edge/identity.ts); this fixture page, with no Worker
    // in front, comes with the bar again, and the runtime (which remembers the dismissal in localStorage too) takes it away.
    expect(await page.evaluate(() => document.cookie)).toBe("valuebar_dismissed=topbar:vip-express");
    const next = await newPage();
    await next.goto(fx.server.origin + path);
    expect(await readBar(next)).toBeNull();
    expect(await next.textContent("#content")).toBe("Socks");
  });

  test("the dismissals cookie keeps the newest 16 keys, and none is written without consent", async () => {
    const decision = decisionWith({ topbar: BAR });
    const path = fx.freshPath("edge");
    fx.server.route(path, edgePage(decision, fx.server.origin));
    const page = await newPage();
    // Twenty dismissals from before, in the runtime's localStorage: the cookie gets the newest 15 and this one.
    fx.server.route("/blank", "<!doctype html><title>Blank</title>");
    await page.goto(fx.server.origin + "/blank");
    await page.evaluate(() => localStorage.setItem("valuebar_dismissed", JSON.stringify(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`shipping:old-${i}`, i])))));
    await page.goto(fx.server.origin + path);
    await page.locator("[data-valuebar-placement=topbar] button").click();
    const keys = Array.from({ length: 15 }, (_, i) => `shipping:old-${i + 5}`).concat("topbar:vip-express");
    expect(await page.evaluate(() => document.cookie)).toBe(`valuebar_dismissed=${keys.join("|")}`);

    const declined = fx.freshPath("edge");
    fx.server.route(declined, edgePage(decision, fx.server.origin, "", { consent: false }));
    const other = await fx.browser.newContext();
    const quiet = await other.newPage();
    await quiet.goto(fx.server.origin + declined);
    await quiet.locator("[data-valuebar-placement=topbar] button").click();
    expect(await readBar(quiet)).toBeNull();
    expect(await quiet.evaluate(() => [document.cookie, localStorage.length])).toEqual(["", 0]);
    await other.close();
  });

  test("a bar whose shadow root the browser did not attach (an inert <template>) is attached by the runtime, and works", async () => {
    fx.server.route("/v1/events/demo", { status: 202, type: "application/json", body: "{}" });
    const path = fx.freshPath("edge");
    fx.server.route(path, edgePage(decisionWith({ topbar: BAR }), fx.server.origin, "", {}, false));
    const page = await newPage();
    await page.goto(fx.server.origin + path);
    expect(await readBar(page)).toMatchObject({ bars: 1, text: "Free express shipping Details ×", background: "rgb(10, 125, 50)" });
    await page.locator("[data-valuebar-placement=topbar] button").click();
    expect(await readBar(page)).toBeNull();
    // Chromium's own warning about the test's insertAdjacentHTML (the way to get an inert template), not the page's.
    fx.forgive((problem) => problem.includes("declarative Shadow DOM is not being parsed"));
  });
});
