/**
 * @module The snippet runtime in real Chromium, on fixture store pages served from 127.0.0.1: what a
 * shopper sees (top bar, shipping and returns messages, cart progress), what the store sees (events,
 * dataLayer, window.valuebar), and that nothing a payload or a page does can break the store's page.
 */
import { readFileSync } from "node:fs";
import type { Page } from "playwright-core";
import { describe, expect, test } from "vitest";
import type { ValuebarApi } from "../../snippet/src/index";
import { codeBlocks, README_SITE, README_WORKER, theBlock } from "../readme";
import { skipBrowserTests } from "./chromium";
import { campaign, decisionWith, fallback, payloadWith, storePage, workerScript } from "./fixtures";
import { fixtureSuite } from "./fixture-suite";
import type { Reply } from "./server";

const README = readFileSync(new URL("../../README.md", import.meta.url), "utf8");

declare global {
  interface Window {
    __events?: { type: string; placement: string | null; detail: unknown }[];
    __pwned?: unknown;
    __violations?: string[];
  }
}

/** Records every valuebar event that reaches `document` in `window.__events`. */
const RECORD_EVENTS = `<script>
  window.__events = [];
  for (const type of ["valuebar:shown", "valuebar:click", "valuebar:dismiss"]) {
    document.addEventListener(type, (e) => __events.push({ type, placement: e.target.getAttribute("data-valuebar-placement"), detail: e.detail }));
  }
</script>`;

/** An events token as the Worker hands one to a signed-in customer (its format; the runtime only keeps and sends it). */
const TOKEN = `${"c".repeat(43)}.1900000000.${"d".repeat(22)}`;

const SHIPPING_PROGRESS = {
  text: "Free shipping on orders over €50.00",
  progress: { threshold: 5000, currency: "EUR", locale: "en-IE", text: "Only {{remaining}} to go for free shipping", reached: "You've unlocked free shipping!" },
};

describe.skipIf(skipBrowserTests)("snippet runtime in Chromium", () => {
  const fx = fixtureSuite();

  /** Serves `html` at a fresh path and opens it in a fresh browser profile (empty localStorage). */
  async function open(html: string | Reply, init?: () => void, query = ""): Promise<{ page: Page; path: string }> {
    const path = fx.freshPath("store");
    fx.server.route(path, html);
    const page = await fx.newPage(true);
    if (init) await page.addInitScript(init);
    await page.goto(fx.server.origin + path + query);
    return { page, path };
  }

  /** The top bar's parts as a shopper would see them; null when there is no bar. */
  function readTopBar(page: Page) {
    return page.evaluate(() => {
      const host = document.querySelector("[data-valuebar-placement=topbar]");
      const root = host?.shadowRoot;
      const bar = root?.querySelector("div");
      if (!host || !root || !bar) return null;
      const style = getComputedStyle(bar);
      const link = root.querySelector("a");
      const button = root.querySelector("button");
      return {
        isFirstInBody: document.body.firstElementChild === host,
        mode: root.mode,
        lightChildren: host.childNodes.length,
        text: root.querySelector("span")?.textContent,
        href: link?.getAttribute("href") ?? null,
        label: link?.textContent ?? null,
        linkColor: link ? getComputedStyle(link).color : null,
        dismiss: button ? { label: button.getAttribute("aria-label"), text: button.textContent } : null,
        background: style.backgroundColor,
        color: style.color,
        fontSize: style.fontSize,
        align: style.textAlign,
        height: host.getBoundingClientRect().height,
      };
    });
  }

  /** Text of the runtime's span in each element marked for `placement`, in page order. */
  function inlineTexts(page: Page, placement: string) {
    return page.evaluate(
      (p) => [...document.querySelectorAll(`[data-valuebar=${p}]`)].map((el) => el.querySelector("span")?.textContent ?? null),
      placement,
    );
  }

  describe("top bar", () => {
    test("shows the message in an open shadow root, first in the body, with the default look", async () => {
      const { page } = await open(
        storePage({
          payload: payloadWith({ topbar: campaign({ text: "VIP: free express shipping", link: { url: "/pages/vip", label: "See perks" } }) }),
          body: `<main id="content"><h1>Wool socks</h1></main>`,
        }),
      );
      expect(await readTopBar(page)).toEqual({
        isFirstInBody: true,
        mode: "open",
        lightChildren: 0,
        text: "VIP: free express shipping",
        href: "/pages/vip",
        label: "See perks",
        linkColor: "rgb(255, 255, 255)",
        dismiss: null,
        background: "rgb(17, 17, 17)",
        color: "rgb(255, 255, 255)",
        fontSize: "14px",
        align: "center",
        height: expect.any(Number),
      });
      expect(await page.evaluate(() => document.body.children[1]?.id)).toBe("content");
    });

    test("goes into the store's topbar slot when the page has one, replacing the slot's fallback", async () => {
      const { page } = await open(
        storePage({
          payload: payloadWith({ topbar: campaign({ text: "VIP: free express shipping" }) }),
          body: `<header id="store-header">Store</header><div id="slot" data-valuebar="topbar" style="min-height:40px">Welcome</div><main id="content">Socks</main>`,
        }),
      );
      expect(await readTopBar(page)).toMatchObject({ isFirstInBody: false, text: "VIP: free express shipping" });
      expect(
        await page.evaluate(() => {
          const slot = document.getElementById("slot");
          return { parent: document.querySelector("[data-valuebar-placement=topbar]")?.parentElement?.id, children: slot?.childNodes.length, text: slot?.textContent };
        }),
      ).toEqual({ parent: "slot", children: 1, text: "" });
    });

    test("uses the message's style, a default link label and a dismiss button", async () => {
      const { page } = await open(
        storePage({
          payload: payloadWith({
            topbar: campaign({
              text: "Spring sale: 20% off",
              link: { url: "https://shop.example/sale" },
              dismissible: true,
              style: { background: "#0a7d32", color: "#fff8e1", linkColor: "#ffd54f", align: "left", size: "large" },
            }),
          }),
        }),
      );
      expect(await readTopBar(page)).toMatchObject({
        href: "https://shop.example/sale",
        label: "Learn more",
        linkColor: "rgb(255, 213, 79)",
        dismiss: { label: "Dismiss", text: "×" },
        background: "rgb(10, 125, 50)",
        color: "rgb(255, 248, 225)",
        fontSize: "16px",
        align: "left",
      });
    });

    test("ignores style values that are not hex colours or known options", async () => {
      const style = { background: "red;position:fixed", color: "#fff}*{display:none", linkColor: "url(https://x.example/a.png)", align: "justify", size: "constructor" };
      const { page } = await open(
        storePage({
          // The payload is checked again in the browser, whatever the server let through.
          payload: payloadWith({ topbar: campaign({ text: "Hello", link: { url: "/a" }, style: style as never }) }),
        }),
      );
      expect(await readTopBar(page)).toMatchObject({ text: "Hello", background: "rgb(17, 17, 17)", color: "rgb(255, 255, 255)", linkColor: "rgb(255, 255, 255)", fontSize: "14px", align: "center" });
    });

    test("the store's CSS cannot hide or restyle the bar, and the bar's CSS does not reach the store", async () => {
      const { page } = await open(
        storePage({
          payload: payloadWith({ topbar: campaign({ text: "Hello", link: { url: "/a" }, dismissible: true }) }),
          head: `<style>
            body > div { display: none !important; padding: 60px !important; }
            span { font-size: 40px !important; color: lime !important; }
            a { color: rgb(1, 2, 3); }
            div { background: rgb(9, 9, 9); }
          </style>`,
          body: `<div id="content"><span id="price">€12.00</span> <a id="more" href="/more">More</a> <button id="buy">Buy</button></div>`,
        }),
      );
      const bar = await readTopBar(page);
      expect(bar).toMatchObject({ text: "Hello", background: "rgb(17, 17, 17)", color: "rgb(255, 255, 255)", fontSize: "14px" });
      expect(bar?.height).toBeGreaterThan(20);
      expect(bar?.height).toBeLessThan(80);
      expect(
        await page.evaluate(() => {
          const style = (selector: string) => getComputedStyle(document.querySelector(selector) as Element);
          return { button: style("#buy").position, link: style("#more").color, price: style("#price").fontSize, content: style("#content").backgroundColor };
        }),
      ).toEqual({ button: "static", link: "rgb(1, 2, 3)", price: "40px", content: "rgb(9, 9, 9)" });
    });

    describe("issue 11: in the store's slot", () => {
      /** The README's advice at a width where the slot reserves two lines; `body{margin:0}` so boxes start at 0. */
      const RESERVED = `<style>body { margin: 0 } [data-valuebar="topbar"] { display: grid; min-height: 60px }</style>`;
      const SLOT = `<div id="slot" data-valuebar="topbar"></div><main id="content">Socks</main>`;
      const boxes = (page: Page) =>
        page.evaluate(() => {
          const host = document.querySelector("[data-valuebar-placement=topbar]");
          const box = (el: Element | null | undefined) => (el ? el.getBoundingClientRect() : null);
          const bar = box(host?.shadowRoot?.querySelector("div"));
          const text = box(host?.shadowRoot?.querySelector("span"));
          return {
            slot: box(document.getElementById("slot"))?.height,
            bar: bar?.height,
            // The text's middle within a pixel of the bar's (inline layout puts the glyphs' box a little off the line's).
            centred: bar && text ? Math.abs(text.top + text.height / 2 - (bar.top + bar.height / 2)) <= 1 : null,
            content: box(document.getElementById("content"))?.top,
          };
        });

      test("the bar fills the height the slot reserves, its text centred, and the slot closes when it is dismissed", async () => {
        const { page } = await open(storePage({ payload: payloadWith({ topbar: campaign({ text: "Short", dismissible: true }) }), head: RESERVED, body: SLOT }));
        expect(await boxes(page)).toEqual({ slot: 60, bar: 60, centred: true, content: 60 });
        await page.click("[data-valuebar-placement=topbar] button");
        // No empty band where the bar was.
        expect(await boxes(page)).toEqual({ slot: 0, bar: undefined, centred: null, content: 0 });
      });

      test("closes when the visitor has no bar, or dismissed it on an earlier page", async () => {
        const withBar = storePage({ payload: payloadWith({ topbar: campaign({ text: "Short", dismissible: true }) }), head: RESERVED, body: SLOT });
        const { page, path } = await open(withBar);
        await page.click("[data-valuebar-placement=topbar] button");
        await page.reload();
        expect(await readTopBar(page)).toBeNull();
        expect(await boxes(page)).toMatchObject({ slot: 0, content: 0 });
        fx.server.route(path, storePage({ payload: payloadWith({ shipping: campaign({ text: "Ship" }) }), head: RESERVED, body: SLOT }));
        await page.evaluate(() => localStorage.clear());
        await page.reload();
        expect(await boxes(page)).toMatchObject({ slot: 0, content: 0 });
      });

      test("a bar without a slot is as high as its text, whatever height the store gives its body", async () => {
        const { page } = await open(
          storePage({ payload: payloadWith({ topbar: campaign({ text: "Short" }) }), head: `<style>body { margin: 0; min-height: 100vh }</style>`, body: `<main id="content">Socks</main>` }),
        );
        expect(await boxes(page)).toMatchObject({ bar: 39.59375, centred: true, content: 39.59375 });
      });
    });
  });

  describe("issue 11: under a strict Content-Security-Policy with the README's additions", () => {
    const policies = codeBlocks(README).filter((b) => b.lang === "http" && b.code.startsWith("Content-Security-Policy:"));

    test("the README gives a policy with the Worker's origin in script-src and one with 'strict-dynamic'", () => {
      expect(policies.map((p) => /script-src [^;]*/.exec(p.code)?.[0])).toEqual([`script-src 'nonce-r4nd0m' ${README_WORKER}`, "script-src 'nonce-r4nd0m' 'strict-dynamic'"]);
    });

    test.each(policies.map((p) => [p.line, p.code] as const))("README.md line %i: the bar keeps its look, the beacons arrive, nothing is refused", async (_line, code) => {
      // The Worker on another origin than the store (localhost against 127.0.0.1), as the README's policy expects.
      const worker = fx.server.origin.replace("127.0.0.1", "localhost");
      const policy = code.replace(/^Content-Security-Policy:\s*/, "").replaceAll(README_WORKER, worker);
      const nonce = /'nonce-([^']+)'/.exec(policy)?.[1] ?? "";
      // The README's loader, with the page's nonce as the README says, for this test's Worker.
      const loader = theBlock(README, "html", `/v1/s/${README_SITE}.js`)
        .code.replace("<script>", `<script nonce="${nonce}">`)
        .replace(`${README_WORKER}/v1/s/${README_SITE}.js`, `${worker}/v1/s/demo.js`);
      const payload = payloadWith({ topbar: campaign({ text: "Test A", link: { url: "/sale" }, dismissible: true }, { campaign: "hero", variant: "a" }) });
      fx.server.route("/v1/s/demo.js", { type: "text/javascript; charset=utf-8", body: workerScript({ ...payload, decision: { ...payload.decision, exposures: [{ campaign: "hero", experiment: "hero", variant: "a" }] } }) });
      fx.server.route("/v1/events/demo", { status: 200, type: "application/json", body: "{}" });
      // The README's slot CSS, from the store's own stylesheet as such a policy wants it.
      fx.server.route("/store.css", { type: "text/css", body: `body { margin: 0 }\n${theBlock(README, "css", '[data-valuebar="topbar"]').code}` });
      const before = fx.server.bodies("/v1/events/demo").length;
      const { page } = await open(
        {
          headers: { "content-security-policy": policy },
          body:
            `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Strict store</title><link rel="stylesheet" href="/store.css">${loader}</head>` +
            `<body><div id="slot" data-valuebar="topbar"></div><main id="content">Socks</main></body></html>`,
        },
        () => {
          window.__violations = [];
          document.addEventListener("securitypolicyviolation", (e) => window.__violations?.push(`${e.effectiveDirective} ${e.blockedURI}`));
        },
      );
      await page.waitForFunction(() => document.querySelector("[data-valuebar-placement=topbar]") !== null);
      expect(await readTopBar(page)).toMatchObject({ text: "Test A", background: "rgb(17, 17, 17)", color: "rgb(255, 255, 255)", fontSize: "14px", dismiss: { label: "Dismiss", text: "×" } });
      const slot = () => page.evaluate(() => document.getElementById("slot")?.getBoundingClientRect().height);
      expect(await slot()).toBe(40);
      await page.evaluate(() => document.addEventListener("click", (e) => e.preventDefault(), true));
      await page.click("[data-valuebar-placement=topbar] a");
      await page.evaluate(() => window.valuebar?.track?.("add_to_cart"));
      // Dismissed, the bar's slot closes: through the CSS object model, which the policy allows.
      await page.click("[data-valuebar-placement=topbar] button");
      expect(await slot()).toBe(0);
      await expect
        .poll(() => fx.server.bodies("/v1/events/demo").slice(before).map((b) => (JSON.parse(b) as { type: string }).type))
        .toEqual(["click", "add_to_cart", "dismiss"]);
      expect(await page.evaluate(() => window.__violations)).toEqual([]);
    });
  });

  describe("marketer text and links", () => {
    const hostile = `<script>alert(1)</script><img src=x onerror="window.__pwned=1;alert(2)">`;

    test("markup in the text is shown literally and never becomes elements", async () => {
      const { page } = await open(
        storePage({
          payload: payloadWith({
            topbar: campaign({ text: hostile, link: { url: "/a", label: "<b>bold</b>" } }),
            shipping: campaign({ text: hostile, link: { url: "/b", label: "<img src=y onerror=alert(3)>" } }),
          }),
          body: `<p data-valuebar="shipping"></p>`,
        }),
      );
      await page.waitForTimeout(300);
      expect(await readTopBar(page)).toMatchObject({ text: hostile, label: "<b>bold</b>" });
      expect(await inlineTexts(page, "shipping")).toEqual([hostile]);
      expect(
        await page.evaluate(() => ({
          shadow: document.querySelector("[data-valuebar-placement=topbar]")?.shadowRoot?.querySelectorAll("script, img, b").length,
          inline: document.querySelectorAll("[data-valuebar=shipping] :is(script, img, b)").length,
          pwned: window.__pwned,
        })),
      ).toEqual({ shadow: 0, inline: 0, pwned: undefined });
      // An <img src=x> would have asked the store's server for /x.
      expect(fx.server.hits("/x") + fx.server.hits("/y")).toBe(0);
    });

    test("a javascript:, data: or protocol-relative link gets no href", async () => {
      const { page } = await open(
        storePage({
          payload: payloadWith({
            topbar: campaign({ text: "Top", link: { url: "javascript:alert(document.domain)", label: "Click" } }),
            shipping: campaign({ text: "Ship", link: { url: "//evil.example/steal" } }),
            returns: campaign({ text: "Returns", link: { url: "data:text/html,<script>alert(1)</script>" } }),
          }),
          body: `<p data-valuebar="shipping"></p><p data-valuebar="returns"></p>`,
        }),
      );
      expect(await readTopBar(page)).toMatchObject({ text: "Top", href: null });
      expect(await inlineTexts(page, "shipping")).toEqual(["Ship"]);
      expect(await inlineTexts(page, "returns")).toEqual(["Returns"]);
      expect(
        await page.evaluate(() => [
          ...document.querySelectorAll("a[href]"),
          ...(document.querySelector("[data-valuebar-placement=topbar]")?.shadowRoot?.querySelectorAll("a[href]") ?? []),
        ].length),
      ).toBe(0);
    });

    test("a path a browser would read as another host, or a URL with controls, gets no href", async () => {
      const { page } = await open(
        storePage({
          payload: payloadWith({
            topbar: campaign({ text: "Top", link: { url: "/\t/evil.example/steal" } }),
            shipping: campaign({ text: "Ship", link: { url: "/\\evil.example/steal" } }),
            returns: campaign({ text: "Returns", link: { url: "https://shop.example/\nreturns" } }),
          }),
          body: `<p data-valuebar="shipping"></p><p data-valuebar="returns"></p>`,
        }),
      );
      expect(await readTopBar(page)).toMatchObject({ text: "Top", href: null });
      expect(await inlineTexts(page, "returns")).toEqual(["Returns"]);
      expect(await page.evaluate(() => document.querySelectorAll("a[href]").length)).toBe(0);
    });
  });

  describe("shipping and returns", () => {
    test("render into every marked element as plain children the store's CSS styles", async () => {
      const { page } = await open(
        storePage({
          payload: payloadWith({
            shipping: campaign({ text: "Free shipping on orders over €60", link: { url: "https://shop.example/shipping", label: "Shipping policy" } }),
            returns: fallback({ text: "30-day free returns", dismissible: true }),
          }),
          head: `<style>.ship { color: rgb(200, 0, 0); font-size: 13px; }</style>`,
          body: `<p class="ship" data-valuebar="shipping">Free shipping over €50</p>
            <div id="drawer"><p class="ship" data-valuebar="shipping"></p></div>
            <p data-valuebar="returns">Returns within 14 days</p>
            <p id="other">Untouched</p>`,
        }),
      );
      expect(await readTopBar(page)).toBeNull();
      expect(
        await page.evaluate(() =>
          [...document.querySelectorAll("[data-valuebar]")].map((el) => {
            const span = el.querySelector("span");
            const button = el.querySelector("button");
            return {
              marked: el.getAttribute("data-valuebar-placement"),
              shadow: el.shadowRoot !== null,
              text: el.textContent,
              spanColor: span ? getComputedStyle(span).color : null,
              href: el.querySelector("a")?.getAttribute("href") ?? null,
              button: button ? `${button.type} ${button.getAttribute("aria-label")}` : null,
            };
          }),
        ),
      ).toEqual([
        { marked: "shipping", shadow: false, text: "Free shipping on orders over €60 Shipping policy", spanColor: "rgb(200, 0, 0)", href: "https://shop.example/shipping", button: null },
        { marked: "shipping", shadow: false, text: "Free shipping on orders over €60 Shipping policy", spanColor: "rgb(200, 0, 0)", href: "https://shop.example/shipping", button: null },
        { marked: "returns", shadow: false, text: "30-day free returns ×", spanColor: "rgb(0, 0, 0)", href: null, button: "button Dismiss" },
      ]);
      expect(await page.textContent("#other")).toBe("Untouched");
    });

    test("a page without marked elements shows nothing for them", async () => {
      const { page } = await open(storePage({ payload: payloadWith({ shipping: campaign({ text: "Ship" }) }), body: `<p id="x">Hi</p>` }));
      expect(await page.evaluate(() => document.body.innerHTML)).toBe(`<p id="x">Hi</p>`);
    });
  });

  describe("dismissal", () => {
    const page1 = (topbarCampaign: string) =>
      storePage({
        payload: payloadWith({
          topbar: campaign({ text: `Campaign ${topbarCampaign}`, dismissible: true }, { campaign: topbarCampaign }),
          shipping: campaign({ text: "Ship today" }),
          returns: fallback({ text: "Free returns", dismissible: true }),
        }),
        head: RECORD_EVENTS,
        body: `<p data-valuebar="shipping"></p><form action="/submitted"><p data-valuebar="returns">Returns within 14 days</p></form>`,
      });

    test("hides the message, remembers it across reloads, and only for that campaign", async () => {
      const { page, path } = await open(page1("spring"));
      await page.click("[data-valuebar-placement=topbar] button");
      await page.click("[data-valuebar=returns] button");
      expect(await readTopBar(page)).toBeNull();
      expect(await page.evaluate(() => document.querySelector("[data-valuebar=returns]")?.outerHTML)).toBe(`<p data-valuebar="returns"></p>`);
      expect(await page.evaluate(() => Object.keys(JSON.parse(localStorage.getItem("valuebar_dismissed") ?? "{}")))).toEqual(["topbar:spring", "returns:"]);
      // Script mode: no cookie (only on a page the edge rewrote does the Worker read one).
      expect(await page.evaluate(() => document.cookie)).toBe("");
      expect(await page.evaluate(() => window.__events?.filter((e) => e.type === "valuebar:dismiss"))).toEqual([
        { type: "valuebar:dismiss", placement: "topbar", detail: { placement: "topbar", campaign: "spring", variant: "a" } },
        { type: "valuebar:dismiss", placement: "returns", detail: { placement: "returns", campaign: null, variant: null } },
      ]);
      // The dismiss button inside the product form does not submit it.
      expect(fx.server.hits("/submitted")).toBe(0);

      await page.reload();
      expect(await readTopBar(page)).toBeNull();
      expect(await page.textContent("[data-valuebar=returns]")).toBe("Returns within 14 days");
      expect(await inlineTexts(page, "shipping")).toEqual(["Ship today"]);
      expect(await page.evaluate(() => window.__events?.map((e) => e.placement))).toEqual(["shipping"]);

      // A new campaign in the same placement is shown again.
      fx.server.route(path, page1("autumn"));
      await page.reload();
      expect(await readTopBar(page)).toMatchObject({ text: "Campaign autumn" });
    });

    test("issue 9: a campaign with id `default` no longer shares its dismissal key with the default message", async () => {
      const withDefault = storePage({
        payload: payloadWith({ returns: fallback({ text: "Free returns", dismissible: true }) }),
        body: `<p data-valuebar="returns"></p>`,
      });
      const { page, path } = await open(withDefault);
      await page.click("[data-valuebar=returns] button");
      expect(await inlineTexts(page, "returns")).toEqual([null]);
      // The marketer now runs a campaign whose id happens to be "default" in the same placement.
      fx.server.route(path, storePage({ payload: payloadWith({ returns: campaign({ text: "Returns campaign", dismissible: true }, { campaign: "default" }) }), body: `<p data-valuebar="returns"></p>` }));
      await page.reload();
      expect(await inlineTexts(page, "returns")).toEqual(["Returns campaign"]);
      // And the default stays dismissed.
      fx.server.route(path, withDefault);
      await page.reload();
      expect(await inlineTexts(page, "returns")).toEqual([null]);
    });

    test.each([
      ["the Worker's payload says consent: false", "", { consent: false as const }],
      ["the store set window.valuebar.consent = false", "<script>window.valuebar = { consent: false };</script>", {}],
    ])("stores nothing when %s: no visitor id, dismissals for this page only, earlier ids removed", async (_name, head, extra) => {
      // What a visit before the consent was withdrawn left behind.
      const earlier = `<script>localStorage.setItem("valuebar_vid", "visitor-earlier-1"); localStorage.setItem("valuebar_cid", "1001"); localStorage.setItem("valuebar_sig", "ab"); localStorage.setItem("valuebar_token", "t"); localStorage.setItem("valuebar_experiments", '{"hero":1}');</script>`;
      const { page } = await open(
        storePage({ head: earlier + head, payload: payloadWith({ topbar: campaign({ text: "Hello", dismissible: true }) }, { newVisitorId: "v_new_visitor", token: TOKEN, ...extra }) }),
      );
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      await page.click("[data-valuebar-placement=topbar] button");
      expect(await readTopBar(page)).toBeNull();
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
      await page.evaluate(() => localStorage.clear());
      await page.reload();
      expect(await readTopBar(page)).toMatchObject({ text: "Hello" });
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
    });

    test("works with storage blocked: the message goes, nothing breaks", async () => {
      const { page } = await open(
        storePage({ payload: payloadWith({ topbar: campaign({ text: "Hello", dismissible: true }) }, { newVisitorId: "v_new" }) }),
        () => {
          Object.defineProperty(window, "localStorage", {
            get() {
              throw new DOMException("The operation is insecure.", "SecurityError");
            },
          });
        },
      );
      expect(await readTopBar(page)).toMatchObject({ text: "Hello" });
      await page.click("[data-valuebar-placement=topbar] button");
      expect(await readTopBar(page)).toBeNull();
    });
  });

  describe("free-shipping progress", () => {
    test("follows valuebar.setCart and the valuebar:cart event, and switches to the reached text", async () => {
      const { page } = await open(storePage({ payload: payloadWith({ shipping: campaign(SHIPPING_PROGRESS) }), body: `<p data-valuebar="shipping"></p>` }));
      const text = async () => (await inlineTexts(page, "shipping"))[0];
      expect(await text()).toBe("Free shipping on orders over €50.00");

      await page.evaluate(() => window.valuebar?.setCart?.(3750));
      expect(await text()).toBe("Only €12.50 to go for free shipping");

      await page.evaluate(() => document.dispatchEvent(new CustomEvent("valuebar:cart", { detail: { total: 4999, currency: "EUR" } })));
      expect(await text()).toBe("Only €0.01 to go for free shipping");

      // A cart in another currency says nothing about this threshold.
      await page.evaluate(() => window.valuebar?.setCart?.(1000, "USD"));
      expect(await text()).toBe("Free shipping on orders over €50.00");

      await page.evaluate(() => window.valuebar?.setCart?.(5000, "EUR"));
      expect(await text()).toBe("You've unlocked free shipping!");
    });

    test("formats the amount left in the locale the Worker formatted the threshold in, not the page's", async () => {
      const german = { text: "Kostenloser Versand ab 50,00 €", progress: { ...SHIPPING_PROGRESS.progress, locale: "de-DE", text: "Noch {{remaining}} bis zum kostenlosen Versand" } };
      const { page } = await open(storePage({ lang: "en-US", payload: payloadWith({ shipping: campaign(german) }), body: `<p data-valuebar="shipping"></p>` }));
      await page.evaluate(() => window.valuebar?.setCart?.(3750, "EUR"));
      expect((await inlineTexts(page, "shipping"))[0]).toBe("Noch 12,50\u00a0€ bis zum kostenlosen Versand");
    });

    test("reads and follows a [data-cart-total] element, also when the cart is re-rendered", async () => {
      const { page } = await open(
        storePage({
          payload: payloadWith({ shipping: campaign(SHIPPING_PROGRESS) }),
          body: `<div id="mini-cart"><span data-cart-total="2000" data-cart-currency="EUR"></span></div><p data-valuebar="shipping"></p>`,
        }),
      );
      const text = async () => (await inlineTexts(page, "shipping"))[0];
      expect(await text()).toBe("Only €30.00 to go for free shipping");

      await page.evaluate(() => document.querySelector("[data-cart-total]")?.setAttribute("data-cart-total", "4000"));
      await expect.poll(text).toBe("Only €10.00 to go for free shipping");

      await page.evaluate(() => {
        const cart = document.querySelector("#mini-cart");
        if (cart) cart.innerHTML = `<span data-cart-total="6500"></span>`;
      });
      await expect.poll(text).toBe("You've unlocked free shipping!");
    });

    test("starts from window.valuebar.cart, formats like the rest of the message whatever the page's language, and keeps the store's fields", async () => {
      const { page } = await open(
        storePage({
          payload: payloadWith({ topbar: campaign({ ...SHIPPING_PROGRESS, progress: { ...SHIPPING_PROGRESS.progress, reached: undefined } }) }),
          head: `<script>window.valuebar = { cart: { total: 3750, currency: "EUR" }, storeFlag: 1 };</script>`,
          lang: "de-DE",
        }),
      );
      expect((await readTopBar(page))?.text).toBe("Only €12.50 to go for free shipping");
      expect(await page.evaluate(() => [(window.valuebar as ValuebarApi & { storeFlag?: number }).storeFlag, typeof window.valuebar?.setCart])).toEqual([1, "function"]);
      // No reached text: the plain text once the threshold is met.
      await page.evaluate(() => window.valuebar?.setCart?.(9000));
      expect((await readTopBar(page))?.text).toBe("Free shipping on orders over €50.00");
    });

    test("on Shopify, reads /cart.js and reads it again after the theme adds to the cart", async () => {
      let total = 2000;
      fx.server.route("/cart.js", () => ({ type: "application/json", body: JSON.stringify({ total_price: total, currency: "EUR", item_count: 1 }) }));
      fx.server.route("/cart/add.js", (request) => {
        if (request.method === "POST") total += 3000;
        return { type: "application/json", body: "{}" };
      });
      fx.server.route("/products/socks.js", { type: "application/json", body: "{}" });
      const before = fx.server.hits("/cart.js");
      const { page } = await open(
        storePage({
          payload: payloadWith({ shipping: campaign(SHIPPING_PROGRESS) }),
          head: `<script>window.Shopify = { shop: "demo.myshopify.com", routes: { root: "/" } };</script>`,
          body: `<p data-valuebar="shipping"></p>`,
        }),
      );
      const text = async () => (await inlineTexts(page, "shipping"))[0];
      await expect.poll(text).toBe("Only €30.00 to go for free shipping");

      await page.evaluate(() => fetch("/products/socks.js").then((r) => r.text()));
      await page.waitForTimeout(300);
      expect(fx.server.hits("/cart.js") - before).toBe(1);

      await page.evaluate(() => fetch("/cart/add.js", { method: "POST", body: "id=1&quantity=1" }).then((r) => r.text()));
      await expect.poll(text).toBe("You've unlocked free shipping!");
      expect(fx.server.hits("/cart.js") - before).toBe(2);
    });
  });

  describe("events and analytics", () => {
    test("dispatches shown and click events and pushes GA4 promotions for campaigns only", async () => {
      const { page } = await open(
        storePage({
          payload: payloadWith({
            topbar: campaign({ text: "VIP sale", link: { url: "/sale" } }, { campaign: "vip-spring", name: "VIP spring sale", variant: "b" }),
            shipping: fallback({ text: "Free shipping over €50" }),
            returns: campaign({ text: "Easy returns" }, { campaign: "easy-returns", variant: "control" }),
          }),
          head: `${RECORD_EVENTS}<script>
            window.dataLayer = [];
            document.addEventListener("click", (e) => e.preventDefault());
          </script>`,
          body: `<p data-valuebar="shipping"></p><p data-valuebar="returns"></p>`,
        }),
      );
      expect(await page.evaluate(() => window.__events)).toEqual([
        { type: "valuebar:shown", placement: "topbar", detail: { placement: "topbar", campaign: "vip-spring", variant: "b" } },
        { type: "valuebar:shown", placement: "shipping", detail: { placement: "shipping", campaign: null, variant: null } },
        { type: "valuebar:shown", placement: "returns", detail: { placement: "returns", campaign: "easy-returns", variant: "control" } },
      ]);
      const promotion = (event: string, id: string, name: string, variant: string, slot: string) => ({
        event,
        ecommerce: { promotion_id: id, promotion_name: name, creative_name: variant, creative_slot: slot },
      });
      expect(await page.evaluate(() => window.dataLayer)).toEqual([
        { ecommerce: null },
        promotion("view_promotion", "vip-spring", "VIP spring sale", "b", "topbar"),
        { ecommerce: null },
        promotion("view_promotion", "easy-returns", "easy-returns", "control", "returns"),
      ]);

      await page.click("[data-valuebar-placement=topbar] a");
      expect(await page.evaluate(() => window.__events?.at(-1))).toEqual({
        type: "valuebar:click",
        placement: "topbar",
        detail: { placement: "topbar", campaign: "vip-spring", variant: "b" },
      });
      expect(await page.evaluate(() => (window.dataLayer as unknown[]).slice(4))).toEqual([
        { ecommerce: null },
        promotion("select_promotion", "vip-spring", "VIP spring sale", "b", "topbar"),
      ]);
    });

    test("exposes a read-only copy of the decision and keeps a new visitor id", async () => {
      const payload = payloadWith({ topbar: campaign({ text: "Hi" }) }, { newVisitorId: "v_9f3a" });
      const { page } = await open(storePage({ payload }));
      expect(
        await page.evaluate(() => {
          const copy = window.valuebar?.decision;
          if (copy) copy.placements.topbar = null;
          return { campaign: window.valuebar?.decision?.placements.topbar?.campaign, vid: localStorage.getItem("valuebar_vid") };
        }),
      ).toEqual({ campaign: "spring", vid: "v_9f3a" });
    });

    test("does not store a visitor id the server did not make up", async () => {
      const { page } = await open(storePage({ payload: payloadWith({ topbar: campaign({ text: "Hi" }) }) }));
      expect(await page.evaluate(() => localStorage.getItem("valuebar_vid"))).toBeNull();
    });
  });

  describe("beacons to the Worker", () => {
    const experimentPayload = (extra: object = {}) =>
      payloadWith(
        {
          topbar: campaign({ text: "Test A", link: { url: "/sale" }, dismissible: true }, { campaign: "hero", variant: "a" }),
          shipping: campaign({ text: "Not an experiment", link: { url: "/ship" } }, { campaign: "plain", variant: "a" }),
        },
        extra,
      );
    /**
     * A store page loading the snippet from a URL, as the loader does, with the store-signed identity in it, and the
     * Worker's answer for a signed-in customer: the hero experiment's decision and an events token.
     */
    async function openWithSnippet(head = "", extra: object = {}) {
      const payload = experimentPayload({ token: TOKEN, ...extra });
      fx.server.route("/v1/s/demo.js", { type: "text/javascript; charset=utf-8", body: workerScript({ ...payload, decision: { ...payload.decision, exposures: [{ campaign: "hero", experiment: "hero", variant: "a" }] } }) });
      fx.server.route("/v1/events/demo", { status: 200, type: "application/json", body: "{}" });
      const before = fx.server.bodies("/v1/events/demo").length;
      const opened = await open(storePage({ head: `${head}<script async src="/v1/s/demo.js?cid=1001&sig=${"ab".repeat(32)}&vid=visitor-from-url"></script>`, body: `<p data-valuebar="shipping"></p>` }));
      await opened.page.waitForFunction(() => document.querySelector("[data-valuebar-placement=topbar]") !== null);
      const sent = async () => fx.server.bodies("/v1/events/demo").slice(before).map((b) => JSON.parse(b) as Record<string, unknown>);
      return { ...opened, sent };
    }

    test("sends a click on an experiment's message, and nothing for a campaign that is not one", async () => {
      const { page, sent } = await openWithSnippet();
      await page.evaluate(() => {
        // Keep the page: the link's navigation is not what this test is about.
        document.addEventListener("click", (e) => e.preventDefault(), true);
      });
      await page.evaluate(() => (document.querySelector("[data-valuebar-placement=topbar]")?.shadowRoot?.querySelector("a") as HTMLElement | null)?.click());
      await page.evaluate(() => (document.querySelector("[data-valuebar=shipping] a") as HTMLElement | null)?.click());
      await expect.poll(sent).toEqual([{ type: "click", campaign: "hero", variant: "a", vid: "visitor-from-url", token: TOKEN, experiments: ["hero"] }]);
      // The checkout pixel finds the same identity in the store's storage.
      expect(await page.evaluate(() => [localStorage.getItem("valuebar_token"), Object.keys(JSON.parse(localStorage.getItem("valuebar_experiments") ?? "{}"))])).toEqual([
        TOKEN,
        ["hero"],
      ]);
    });

    test("sends the store's conversions from valuebar.track, as text/plain", async () => {
      const { page, sent } = await openWithSnippet();
      await page.evaluate(() => {
        const api = window.valuebar as { track?: (type: string, data?: object) => void };
        api.track?.("add_to_cart");
        api.track?.("purchase", { value: 42.5, currency: "EUR", order_id: "1001" });
      });
      await expect.poll(sent).toEqual([
        { type: "add_to_cart", vid: "visitor-from-url", token: TOKEN, experiments: ["hero"] },
        { type: "purchase", value: 42.5, currency: "EUR", order_id: "1001", vid: "visitor-from-url", token: TOKEN, experiments: ["hero"] },
      ]);
    });

    test("forgets the last signed-in customer on a page served without one", async () => {
      fx.server.route("/v1/s/demo.js", { type: "text/javascript; charset=utf-8", body: workerScript(experimentPayload()) });
      const { page } = await open(
        storePage({
          head: `<script>localStorage.setItem("valuebar_token", "${TOKEN}"); localStorage.setItem("valuebar_cid", "1001"); localStorage.setItem("valuebar_sig", "ab");</script><script async src="/v1/s/demo.js?vid=visitor-from-url"></script>`,
        }),
      );
      await page.waitForFunction(() => document.querySelector("[data-valuebar-placement=topbar]") !== null);
      expect(await page.evaluate(() => ["valuebar_token", "valuebar_cid", "valuebar_sig"].map((k) => localStorage.getItem(k)))).toEqual([null, null, null]);
    });

    test("issue 9: the permanent sig no longer sits in localStorage for every third-party script, only a short-lived events token", async () => {
      const sig = "ab".repeat(32);
      // What an earlier version left behind, and a page whose snippet URL carries the store-signed customer.
      const { page, sent } = await openWithSnippet(`<script>localStorage.setItem("valuebar_cid", "1001"); localStorage.setItem("valuebar_sig", "${sig}");</script>`);
      const stored = await page.evaluate(() => Object.fromEntries(Object.keys(localStorage).map((k) => [k, localStorage.getItem(k)])));
      expect(Object.values(stored).some((value) => value?.includes(sig))).toBe(false);
      expect(Object.keys(stored).sort()).toEqual(["valuebar_experiments", "valuebar_token"]);
      expect(stored.valuebar_token).toBe(TOKEN);
      // Beacons carry the token, never the sig.
      await page.evaluate(() => (window.valuebar as { track?: (type: string) => void }).track?.("add_to_cart"));
      await expect.poll(async () => (await sent()).length).toBe(1);
      expect(JSON.stringify(await sent())).not.toContain(sig);
    });

    test("remembers the experiments shown on earlier pages and sends them with a conversion, newest first", async () => {
      const on = (campaignId: string) =>
        workerScript({
          ...payloadWith({ topbar: campaign({ text: campaignId }, { campaign: campaignId }) }),
          decision: { ...decisionWith({ topbar: campaign({ text: campaignId }, { campaign: campaignId }) }), exposures: [{ campaign: campaignId, experiment: campaignId, variant: "a" }] },
        });
      fx.server.route("/v1/events/demo", { status: 200, type: "application/json", body: "{}" });
      fx.server.route("/v1/s/demo.js", { type: "text/javascript; charset=utf-8", body: on("first") });
      const before = fx.server.bodies("/v1/events/demo").length;
      const { page } = await open(storePage({ head: `<script async src="/v1/s/demo.js?vid=visitor-from-url"></script>` }));
      await page.waitForFunction(() => document.querySelector("[data-valuebar-placement=topbar]") !== null);
      // The next page, a week later, shows another experiment; the first is still within its conversion window.
      await page.evaluate(() => {
        const seen = JSON.parse(localStorage.getItem("valuebar_experiments") ?? "{}") as Record<string, number>;
        for (const key of Object.keys(seen)) seen[key] = (seen[key] ?? 0) - 7 * 86_400_000;
        localStorage.setItem("valuebar_experiments", JSON.stringify(seen));
      });
      fx.server.route("/v1/s/demo.js", { type: "text/javascript; charset=utf-8", body: on("second") });
      await page.reload();
      await page.waitForFunction(() => document.querySelector("[data-valuebar-placement=topbar]") !== null);
      await page.evaluate(() => (window.valuebar as { track?: (type: string) => void }).track?.("add_to_cart"));
      await expect.poll(() => fx.server.bodies("/v1/events/demo").slice(before).map((b) => (JSON.parse(b) as { experiments?: unknown }).experiments)).toEqual([["second", "first"]]);
    });

    test("forgets experiments shown more than 90 days ago, and keeps the 10 newest", async () => {
      fx.server.route("/v1/events/demo", { status: 200, type: "application/json", body: "{}" });
      fx.server.route("/v1/s/demo.js", { type: "text/javascript; charset=utf-8", body: workerScript(experimentPayload()) });
      // Twelve experiments shown one to twelve days ago, one 91 days ago, and a stamp that is not a time.
      const seeded = `<script>(() => { const now = Date.now(), seen = { stale: now - 91 * 86400000, broken: "yesterday" };
        for (let i = 1; i <= 12; i++) seen["exp-" + i] = now - i * 86400000;
        localStorage.setItem("valuebar_experiments", JSON.stringify(seen)); })();</script>`;
      const before = fx.server.bodies("/v1/events/demo").length;
      const { page } = await open(storePage({ head: `${seeded}<script async src="/v1/s/demo.js?vid=visitor-from-url"></script>` }));
      await page.waitForFunction(() => document.querySelector("[data-valuebar-placement=topbar]") !== null);
      const expected = Array.from({ length: 10 }, (_, i) => `exp-${i + 1}`);
      expect(await page.evaluate(() => Object.keys(JSON.parse(localStorage.getItem("valuebar_experiments") ?? "{}")).sort())).toEqual([...expected].sort());
      await page.evaluate(() => (window.valuebar as { track?: (type: string) => void }).track?.("add_to_cart"));
      await expect.poll(() => fx.server.bodies("/v1/events/demo").slice(before).map((b) => (JSON.parse(b) as { experiments?: unknown }).experiments)).toEqual([expected]);
    });

    test("still dismisses and still works when the browser refuses the beacon", async () => {
      const { page } = await openWithSnippet("<script>navigator.sendBeacon = () => { throw new Error('beacons disabled'); };</script>");
      await page.click("[data-valuebar-placement=topbar] button");
      expect(await readTopBar(page)).toBeNull();
      await page.evaluate(() => (window.valuebar as { track?: (type: string) => void }).track?.("add_to_cart"));
      expect(await inlineTexts(page, "shipping")).toEqual(["Not an experiment"]);
    });

    test("stops sending once the store withdraws consent on the page", async () => {
      const { page, sent } = await openWithSnippet();
      await page.evaluate(() => {
        const api = window.valuebar as { consent?: boolean; track?: (type: string) => void };
        api.consent = false;
        api.track?.("add_to_cart");
      });
      await page.waitForTimeout(300);
      expect(await sent()).toEqual([]);
    });

    test("sends nothing and stores nothing without consent", async () => {
      const { page, sent } = await openWithSnippet("<script>window.valuebar = { consent: false };</script>");
      await page.evaluate(() => {
        (document.querySelector("[data-valuebar-placement=topbar]")?.shadowRoot?.querySelector("button") as HTMLElement | null)?.click();
        (window.valuebar as { track?: (type: string) => void }).track?.("add_to_cart");
      });
      await page.waitForTimeout(300);
      expect(await sent()).toEqual([]);
      expect(await page.evaluate(() => localStorage.length)).toBe(0);
    });
  });

  describe("the store's page", () => {
    test("keeps working: content below the bar, its handlers and layout intact", async () => {
      const { page } = await open(
        storePage({
          payload: payloadWith({ topbar: campaign({ text: "Hello", dismissible: true }) }),
          body: `<main id="content" style="margin:0"><button id="buy" onclick="this.textContent='Added'">Add to cart</button></main>`,
        }),
      );
      const boxes = await page.evaluate(() => {
        const bar = document.querySelector("[data-valuebar-placement=topbar]")?.getBoundingClientRect();
        const content = document.querySelector("#content")?.getBoundingClientRect();
        return { barBottom: bar?.bottom, contentTop: content?.top };
      });
      expect(boxes.barBottom).toBeGreaterThan(0);
      expect(boxes.contentTop).toBeGreaterThanOrEqual(boxes.barBottom ?? Number.POSITIVE_INFINITY);
      await page.click("#buy");
      expect(await page.textContent("#buy")).toBe("Added");
    });

    test("survives broken payloads without a single error", async () => {
      const broken: unknown[] = [
        undefined,
        null,
        "garbage",
        {},
        { decision: null },
        { decision: "garbage" },
        { decision: { placements: null } },
        { decision: { placements: { topbar: "x", shipping: { message: null }, returns: { message: { text: 42 } } } } },
      ];
      const scripts = broken.map((payload) => `<script>${workerScript(payload)}</script>`);
      const { page } = await open(
        storePage({
          // Last, a payload whose fields are all the wrong type but whose text is fine: the text is shown, plainly.
          payload: {
            site: 1,
            decision: {
              placements: {
                topbar: { campaign: {}, variant: [], message: { text: "Still here", link: { url: 5 }, style: "red", dismissible: "yes" } },
                shipping: { campaign: null, message: { text: "Ship", progress: { threshold: 5000, currency: "NOT-A-CURRENCY", locale: "en", text: "{{remaining}}" } } },
              },
            },
          },
          head: scripts.join(""),
          body: `<main id="content">Products</main><p data-valuebar="shipping"></p>`,
        }),
      );
      expect(await readTopBar(page)).toMatchObject({ text: "Still here", href: null, dismiss: null });
      await page.evaluate(() => {
        window.valuebar?.setCart?.(100);
        (window.valuebar?.setCart as unknown as (t: unknown) => void)("abc");
        document.dispatchEvent(new CustomEvent("valuebar:cart", { detail: null }));
      });
      expect(await inlineTexts(page, "shipping")).toEqual(["Ship"]);
      expect(await page.textContent("#content")).toBe("Products");
    });
  });

  describe("loading", () => {
    test("runs from the Worker's script loaded async, as stores embed it", async () => {
      fx.server.route("/v1/s/demo.js", { type: "text/javascript; charset=utf-8", body: workerScript(payloadWith({ topbar: campaign({ text: "Async hello" }) })) });
      const { page } = await open(storePage({ head: `<script async src="/v1/s/demo.js"></script>`, body: `<p>Store</p>` }));
      await expect.poll(async () => (await readTopBar(page))?.text).toBe("Async hello");
    });

    test("on a page with a preview link, asks once more with the token and shows that answer", async () => {
      fx.server.route("/v1/s/demo.js", (request) => {
        const previewing = (request.url ?? "").includes("&preview=draft.token");
        const payload = payloadWith({ topbar: campaign({ text: previewing ? "Draft bar" : "Live bar" }) }, previewing ? { preview: true } : {});
        return { type: "text/javascript; charset=utf-8", body: workerScript(payload) };
      });
      const before = fx.server.hits("/v1/s/demo.js");
      const { page } = await open(storePage({ head: `<script async src="/v1/s/demo.js?vid=visitor-from-url"></script>` }), undefined, "?valuebar_preview=draft.token");
      await expect.poll(async () => (await readTopBar(page))?.text).toBe("Draft bar");
      await page.waitForTimeout(300);
      expect(fx.server.hits("/v1/s/demo.js") - before).toBe(2);
    });

    test("runs when it arrives after the page has loaded, and a second run replaces the bar", async () => {
      fx.server.route("/v1/s/late.js", { type: "text/javascript; charset=utf-8", body: workerScript(payloadWith({ topbar: campaign({ text: "Late hello" }) })) });
      const { page } = await open(storePage({ body: `<p>Store</p>` }));
      for (let i = 0; i < 2; i++) await page.addScriptTag({ url: "/v1/s/late.js" });
      expect(await readTopBar(page)).toMatchObject({ text: "Late hello", isFirstInBody: true });
      expect(await page.evaluate(() => document.querySelectorAll("[data-valuebar-placement=topbar]").length)).toBe(1);
    });
  });
});
