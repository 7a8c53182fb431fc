/**
 * @module The marketer's editor in Chromium, against the Worker under `wrangler dev` with the demo site seeded:
 * signing in, and the grid of messages by segment and placement. Saves a screenshot of the grid under
 * test-artifacts/ (shown in the README).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { poorContrast, unnamedControls } from "./a11y";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { RunningWorker } from "../../scripts/dev-server.mjs";
import { ensureDevVars, freePort, root, seedDemo, startWorker } from "../../scripts/dev-server.mjs";
import { bucketOf } from "../../src/core/bucket";
import { launchChromium, skipBrowserTests } from "./chromium";

let worker: RunningWorker;
let browser: Browser;
let stateDir: string;
let token: string;

async function signIn(page: Page, site: string, secret: string): Promise<void> {
  await page.goto(`${worker.url}/admin`);
  await page.getByLabel("Site id").fill(site);
  await page.getByLabel("Token").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
}

describe.skipIf(skipBrowserTests)("the editor in Chromium", () => {
  beforeAll(async () => {
    token = ensureDevVars().ADMIN_TOKEN ?? "";
    stateDir = mkdtempSync(join(tmpdir(), "valuebar-editor-"));
    worker = await startWorker({ port: await freePort(), persistTo: stateDir });
    await seedDemo(worker.url, token);
    browser = await launchChromium();
  }, 120_000);

  // The editor saves the working copy as the site's draft as the marketer edits, and restores it on the next
  // sign-in: each test starts from the demo's live config.
  afterEach(async () => {
    await fetch(`${worker.url}/admin/sites/demo/draft`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
  });

  afterAll(async () => {
    await browser?.close();
    await worker?.stop();
    if (stateDir) rmSync(stateDir, { recursive: true, force: true });
  });

  it("signs in and shows the demo's messages by segment, in precedence order, and by placement", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await signIn(page, "demo", token);
    const grid = page.getByRole("table", { name: /Messages by segment/ });
    await expect.poll(() => grid.isVisible()).toBe(true);
    const rows = await page.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-segment")));
    expect(rows).toEqual(["vip", "valuable", "at_risk", "high_returner", "bargain_hunter", "new", "occasional", "(other)", "(everyone)"]);
    const vipTopbar = page.locator('tr[data-segment="vip"] td[data-placement="topbar"]');
    await expect(vipTopbar.textContent()).resolves.toContain("Free express shipping on every order, thank you for being a VIP");
    await expect(vipTopbar.locator('[data-variant="early"] .weight').textContent()).resolves.toBe(" 50%");
    await expect(page.locator('tr[data-segment="(other)"] td[data-placement="topbar"]').textContent()).resolves.toContain("Free shipping to the US");
    await expect(page.locator('tr[data-segment="(everyone)"] td[data-placement="returns"] .message').textContent()).resolves.toBe("Free returns within 30 days");
    mkdirSync(join(root, "test-artifacts"), { recursive: true });
    await page.screenshot({ path: join(root, "test-artifacts", "editor-grid.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("loads its script and style as static assets cached for good, and the page only through the Worker, with its nonce", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const files: { url: string; status: number; cacheControl: string | null; type: string | null }[] = [];
    page.on("response", (res) => {
      if (new URL(res.url()).pathname.startsWith("/admin/assets/")) files.push({ url: res.url(), status: res.status(), cacheControl: res.headers()["cache-control"] ?? null, type: res.headers()["content-type"] ?? null });
    });
    const violations: string[] = [];
    page.on("console", (message) => {
      if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
    });
    await page.goto(`${worker.url}/admin`);
    await expect.poll(() => page.getByRole("button", { name: "Sign in" }).isVisible()).toBe(true);
    // The style applied: the sign-in form is the narrow card of editor.css.
    expect(await page.locator("form.sign-in").evaluate((form) => getComputedStyle(form).maxWidth)).toBe("360px");
    expect(files.map((f) => [new URL(f.url).pathname.replace(/[0-9a-f]{12}/, "{hash}"), f.status, f.cacheControl]).sort()).toEqual([
      ["/admin/assets/editor.{hash}.css", 200, "public, max-age=31536000, immutable"],
      ["/admin/assets/editor.{hash}.js", 200, "public, max-age=31536000, immutable"],
    ]);
    expect(violations).toEqual([]);
    await page.close();
    // The page as built holds an empty nonce: the assets never hand it out bare.
    expect((await fetch(`${worker.url}/admin/index.html`)).status).toBe(401);
    expect((await fetch(`${worker.url}/admin/assets/editor.000000000000.js`)).status).toBe(404);
  });

  /** A fresh demo token with `role`, issued by the owner through the admin API. */
  async function issueToken(role: "editor" | "analyst" | "importer"): Promise<string> {
    const issued = await fetch(`${worker.url}/admin/sites/demo/tokens`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ name: `${role}-${Date.now()}`, role }),
    });
    expect(issued.status).toBe(201);
    return ((await issued.json()) as { token: string }).token;
  }

  /** The demo's live versions, through the admin API. */
  async function versionCount(): Promise<number> {
    const res = await fetch(`${worker.url}/admin/sites/demo/config/versions`, { headers: { authorization: `Bearer ${token}` } });
    return ((await res.json()) as { versions: unknown[] }).versions.length;
  }

  /** The VIP's top bar on the demo storefront, as customer 1001 sees it. */
  async function vipTopbarOnStore(): Promise<string | null> {
    const page = await browser.newPage();
    await page.goto(`${worker.url}/demo?as=vip`);
    await page.waitForFunction(() => document.querySelector("[data-valuebar-placement=topbar]") !== null);
    const text = await page.evaluate(() => document.querySelector("[data-valuebar-placement=topbar]")?.shadowRoot?.querySelector("span")?.textContent ?? null);
    await page.close();
    return text;
  }

  const VIP_TEXT = (j: number) => `[data-path="campaigns.0.variants.${j}.message.text"]`;

  it("edits the VIP top bar with a live preview, publishes it to the store, and rolls it back", async () => {
    const before = await vipTopbarOnStore();
    expect(before).toMatch(/VIP/);
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    const problems: string[] = [];
    page.on("pageerror", (error) => problems.push(error.message));
    await signIn(page, "demo", token);
    await page.getByRole("button", { name: "Edit VIP: express shipping or early access" }).click();
    for (const j of [0, 1]) await page.locator(VIP_TEXT(j)).fill("Winter perks for our VIPs, on the house");

    const preview = page.frameLocator("#preview");
    await expect.poll(() => preview.locator("[data-valuebar-placement=topbar] span").textContent(), { timeout: 10_000 }).toBe("Winter perks for our VIPs, on the house");
    await expect.poll(() => page.locator("#status").textContent()).toBe("Unpublished changes");
    mkdirSync(join(root, "test-artifacts"), { recursive: true });
    await page.screenshot({ path: join(root, "test-artifacts", "editor-edit.png"), fullPage: true });
    await page.locator("#preview").screenshot({ path: join(root, "test-artifacts", "editor-preview.png") });

    const versions = await versionCount();
    await page.getByLabel("Note for the history").fill("Winter VIP copy");
    await page.getByRole("button", { name: "Publish these changes" }).click();
    await page.getByRole("dialog", { name: "Publish these changes?" }).getByRole("button", { name: "Publish now" }).click();
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 10_000 }).toBe(`Version ${versions + 1} is live`);
    expect(await vipTopbarOnStore()).toBe("Winter perks for our VIPs, on the house");
    await expect(page.locator(`li[data-version="${versions + 1}"]`).textContent()).resolves.toContain("Winter VIP copy");
    await expect(page.locator(`li[data-version="${versions + 1}"]`).textContent()).resolves.toContain('variant "express" text');

    await page.getByRole("button", { name: `Roll back to version ${versions}` }).click();
    await page.getByRole("dialog", { name: `Roll back to version ${versions}?` }).getByRole("button", { name: "Roll back now" }).click();
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 10_000 }).toBe(`Version ${versions} is live again (as version ${versions + 2})`);
    expect(await vipTopbarOnStore()).toBe(before);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("previews a draft on the real store through a signed link, while shoppers keep the live message", async () => {
    const live = await vipTopbarOnStore();
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await signIn(page, "demo", token);
    await page.getByRole("button", { name: "Edit VIP: express shipping or early access" }).click();
    for (const j of [0, 1]) await page.locator(VIP_TEXT(j)).fill("Draft: VIP night shopping");
    await page.getByLabel("Store page to preview on (optional)").fill(`${worker.url}/demo?as=vip`);
    await page.getByRole("button", { name: "Get a preview link for the store" }).click();
    const href = await (await page.waitForSelector("#preview-link-a", { timeout: 10_000 })).getAttribute("href");
    expect(href).toMatch(/[?&]valuebar_preview=\d+\.[0-9a-f]{64}$/);

    const store = await browser.newPage();
    await store.goto(href ?? "");
    await expect
      .poll(() => store.evaluate(() => document.querySelector("[data-valuebar-placement=topbar]")?.shadowRoot?.querySelector("span")?.textContent ?? null), { timeout: 10_000 })
      .toBe("Draft: VIP night shopping");
    await store.close();
    expect(await vipTopbarOnStore()).toBe(live);
    // The draft is not live: discard it so the other tests start from the live config.
    await fetch(`${worker.url}/admin/sites/demo/draft`, { method: "DELETE", headers: { authorization: `Bearer ${token}` } });
    await page.close();
  });

  it("shows an invalid colour's error next to its field and publishes nothing", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await signIn(page, "demo", token);
    await page.getByRole("button", { name: "Edit VIP: express shipping or early access" }).click();
    const colour = page.locator('[data-path="campaigns.0.variants.0.message.style.background"]');
    await colour.fill("red");
    const error = page.locator('[data-error-for="campaigns.0.variants.0.message.style.background"]');
    await expect.poll(() => error.textContent(), { timeout: 10_000 }).toBe("use a hex colour such as #1a2b3c");
    await expect(colour.getAttribute("aria-invalid")).resolves.toBe("true");
    await expect(colour.getAttribute("aria-describedby")).resolves.toBe(await error.getAttribute("id"));
    const versions = await versionCount();
    await page.getByRole("button", { name: "Publish these changes" }).click();
    await expect.poll(() => page.locator("#status").textContent()).toBe("Not published: 1 problem(s) to fix first");
    expect(await versionCount()).toBe(versions);
    await page.close();
  });

  it("edits a message's style and a campaign's audience: the preview follows, and a bad country is named at its field", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await signIn(page, "demo", token);
    await page.getByRole("button", { name: "Edit VIP: express shipping or early access" }).click();
    const preview = page.frameLocator("#preview");
    const topbar = () => preview.locator("[data-valuebar-placement=topbar] span").count();
    await expect.poll(topbar, { timeout: 10_000 }).toBe(1);

    for (const j of [0, 1]) await page.locator(`[data-path="campaigns.0.variants.${j}.message.style.size"]`).selectOption("large");
    const bar = preview.locator("[data-valuebar-placement=topbar] div");
    await expect.poll(() => bar.evaluate((node) => getComputedStyle(node).fontSize), { timeout: 10_000 }).toBe("16px");

    const countries = page.locator('[data-path="campaigns.0.audience.countries"]');
    await countries.fill("CA");
    // Viewed as a VIP in no country: the campaign no longer reaches them.
    await expect.poll(topbar, { timeout: 10_000 }).toBe(0);
    await page.getByLabel("Country").fill("CA");
    await expect.poll(topbar, { timeout: 10_000 }).toBe(1);

    await countries.fill("Canada");
    await expect.poll(() => page.locator('[data-error-for="campaigns.0.audience.countries"]').textContent(), { timeout: 10_000 }).toBe("use an ISO 3166-1 alpha-2 code such as US");
    await expect(countries.getAttribute("aria-invalid")).resolves.toBe("true");
    await page.close();
  });

  it("previews free-shipping progress for the cart total and currency chosen under View as", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await signIn(page, "demo", token);
    await page.getByRole("button", { name: "Edit Bargain hunters: free-shipping nudge" }).click();
    await page.getByLabel("Segment").selectOption("bargain_hunter");
    await page.getByLabel("Currency").selectOption("EUR");
    await page.getByLabel("Cart total").fill("10");
    const shipping = page.frameLocator("#preview").locator('[data-valuebar="shipping"] span');
    await expect.poll(() => shipping.textContent(), { timeout: 10_000 }).toBe("You're €30.00 away from free shipping");
    await page.getByLabel("Currency").selectOption("USD");
    await expect.poll(() => shipping.textContent(), { timeout: 10_000 }).toBe("You're $35.00 away from free shipping");
    await page.close();
  });

  it("names every control, keeps text readable, and moves focus into the editor opened from the keyboard", async () => {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await signIn(page, "demo", token);
    const edit = page.getByRole("button", { name: "Edit VIP: express shipping or early access" });
    await edit.focus();
    await page.keyboard.press("Enter");
    await expect.poll(() => page.evaluate(() => document.activeElement?.closest(".panel") !== null)).toBe(true);
    await page.locator("#preview").waitFor();

    expect(await unnamedControls(page)).toEqual([]);
    // WCAG AA: every text on the page at a contrast of at least 4.5:1 with the background it sits on.
    expect(await poorContrast(page)).toEqual([]);
    await page.close();
  });

  it("pages the history: the newest 50 versions, then \"Older versions\" appends the rest", async () => {
    // A site of its own, so the demo's history (counted by the other tests) stays as it is.
    const put = (n: number) =>
      fetch(`${worker.url}/admin/sites/paged/config`, {
        method: "PUT",
        headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
        body: JSON.stringify({ segments: ["vip"], campaigns: [], defaults: { topbar: { text: `Message ${n}` } } }),
      });
    for (let n = 1; n <= 52; n++) expect((await put(n)).status).toBe(200);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, "paged", token);
    const versions = page.locator("#versions > li");
    await expect.poll(() => versions.count(), { timeout: 10_000 }).toBe(50);
    await expect(versions.first().getAttribute("data-version")).resolves.toBe("52");
    await page.getByRole("button", { name: "Show older versions" }).click();
    await expect.poll(() => versions.count()).toBe(52);
    await expect(versions.last().getAttribute("data-version")).resolves.toBe("1");
    expect(await page.getByRole("button", { name: "Show older versions" }).count()).toBe(0);
    await page.close();
  });

  it("does not let an analyst publish", async () => {
    const analyst = await issueToken("analyst");
    const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    await signIn(page, "demo", analyst);
    await page.getByRole("button", { name: "Edit VIP: express shipping or early access" }).click();
    await page.locator(VIP_TEXT(0)).fill("An analyst's idea");
    // The API refuses an analyst preview links, and the editor does not offer one.
    expect(await page.getByRole("button", { name: "Get a preview link for the store" }).count()).toBe(0);
    const versions = await versionCount();
    await page.getByRole("button", { name: "Publish these changes" }).click();
    await expect.poll(() => page.locator("#status").textContent()).toBe("Not published: your role cannot publish");
    expect(await versionCount()).toBe(versions);
    expect(await vipTopbarOnStore()).not.toBe("An analyst's idea");
    await page.close();
  });

  it("shows each experiment's results with intervals, 'not enough data', and the warnings", async () => {
    const auth = { authorization: `Bearer ${token}` };
    const setUsWeights = async (a: number, b: number) => {
      const live = (await (await fetch(`${worker.url}/admin/sites/demo/config`, { headers: auth })).json()) as { campaigns: { id: string; variants: { id: string; weight: number }[] }[] };
      for (const v of live.campaigns.find((c) => c.id === "us-free-shipping")?.variants ?? []) v.weight = v.id === "a" ? a : b;
      const put = await fetch(`${worker.url}/admin/sites/demo/config`, { method: "PUT", headers: { ...auth, "content-type": "application/json" }, body: JSON.stringify(live) });
      expect(put.status).toBe(200);
    };
    // US visitors as the store sends them; then the weights change from 50/50 to 90/10, and the visitors whose
    // bucket lies in [0.5, 0.9) come back and see variant a: seen in two variants, they are left out and warned of.
    const visitors = Array.from({ length: 16 }, (_, i) => `editorvisitor${String(i).padStart(4, "0")}`);
    const moved = visitors.filter((vid) => bucketOf("us-free-shipping", vid) >= 0.5 && bucketOf("us-free-shipping", vid) < 0.9);
    expect(moved.length).toBeGreaterThan(0);
    for (const vid of visitors) await fetch(`${worker.url}/v1/decide/demo?vid=${vid}&country=US`);
    await setUsWeights(90, 10);
    for (const vid of moved) await fetch(`${worker.url}/v1/decide/demo?vid=${vid}&country=US`);
    // A crawler's page view, kept out; a purchase of a visitor who stayed in one variant, for net revenue (issue 14).
    await fetch(`${worker.url}/v1/decide/demo?vid=editorbot0001&country=US`, { headers: { "user-agent": "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)" } });
    const buyer = visitors.find((vid) => !moved.includes(vid)) ?? "";
    const purchase = { type: "purchase", vid: buyer, value: 30, currency: "USD", order_id: `editor-${buyer}`, experiments: ["us-free-shipping"] };
    expect((await fetch(`${worker.url}/v1/events/demo`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(purchase) })).status).toBe(202);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    try {
      await signIn(page, "demo", token);
      await page.getByRole("button", { name: "Experiments" }).click();
      await expect.poll(() => page.locator("#experiments").getAttribute("aria-busy"), { timeout: 10_000 }).toBe("false");
      const us = page.locator('[data-experiment="us-free-shipping"]');
      await expect.poll(async () => {
        await page.getByRole("button", { name: "Experiments" }).click();
        await expect.poll(() => page.locator("#experiments").getAttribute("aria-busy")).toBe("false");
        return (await us.getByRole("alert").textContent()) ?? "";
      }, { timeout: 10_000 }).toMatch(/were seen in more than one variant and are left out/);
      await expect(us.locator("caption").first().textContent()).resolves.toBe("Click-through");
      await expect(us.locator('tr[data-variant="b"] .verdict').first().textContent()).resolves.toBe("Not enough data");
      await expect(us.locator('svg[role="img"]').first().getAttribute("aria-label")).resolves.toMatch(/^Click-through: a \d/);
      // Net revenue and refund rate like the other metrics, and the bots kept out (counted through the queue, so polled).
      await expect.poll(async () => {
        await page.getByRole("button", { name: "Experiments" }).click();
        await expect.poll(() => page.locator("#experiments").getAttribute("aria-busy")).toBe("false");
        return [await us.locator("caption").allTextContents(), (await us.locator(".kept-out").textContent()) ?? ""];
      }, { timeout: 15_000 }).toEqual([
        expect.arrayContaining(["Revenue per visitor (USD)", "Net revenue per visitor after refunds (USD)", "Refund rate (lower is better)"]),
        expect.stringMatching(/^[1-9][\d,]* bot requests? and \d[\d,]* bot events? kept out\.$/),
      ]);
      await page.screenshot({ path: join(root, "test-artifacts", "editor-experiments.png"), fullPage: true });
    } finally {
      await setUsWeights(50, 50);
      await page.close();
    }
  });

  it("shows members per segment, looks up a customer, and imports a file only when every line is right", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, "demo", token);
    await page.getByRole("button", { name: "Segments" }).click();
    const members = (segment: string) => page.locator(`#segment-counts [data-segment="${segment}"] .members`).textContent();
    await expect.poll(() => members("vip")).toBe("1");
    await expect(members("occasional")).resolves.toBe("3");

    await page.getByLabel("Customer id").fill("1004");
    await page.getByRole("button", { name: "Look up" }).click();
    await expect.poll(() => page.locator("#lookup-result").textContent()).toBe("In high_returner, occasional.");

    const upload = async (name: string, content: string) => {
      await page.locator("#upload-file").setInputFiles({ name, mimeType: "text/plain", buffer: Buffer.from(content) });
      await page.getByRole("button", { name: "Upload", exact: true }).click();
    };
    await upload("bad.csv", "customer_id,segments\nnew-1,vip\n,vip\nnew-3,vip\n");
    await expect.poll(() => page.locator("#upload-status").textContent()).toBe("Nothing was imported: 1 problem in the file.");
    await expect(page.locator("#upload-errors li").first().textContent()).resolves.toMatch(/^Line 3: customer_id: /);
    expect(await members("vip")).toBe("1");

    await upload("good.ndjson", '{"customer_id":"new-1","segments":["vip"]}\n{"customer_id":"new-2","segments":["vip","at_risk"]}\n');
    await expect.poll(() => page.locator("#upload-status").textContent(), { timeout: 10_000 }).toBe("Imported 2 rows.");
    await expect.poll(() => members("vip")).toBe("3");
    await expect(page.locator("#upload-progress").evaluate((p) => (p as HTMLProgressElement).value === (p as HTMLProgressElement).max)).resolves.toBe(true);
    await page.close();
  });

  it("uploads a CSV whose quoted line break falls on the 10,000-row batch boundary, whole, as the CLI would read it", async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, "demo", token);
    await page.getByRole("button", { name: "Segments" }).click();
    // Row 10,000 (the last of the first batch) spans two lines of the file: a batcher that cut on newlines would
    // split it across two requests.
    const rows = Array.from({ length: 10_002 }, (_, i) => (i + 1 === 10_000 ? `big-${i + 1},"vip|\nat_risk"` : `big-${i + 1},at_risk`));
    await page.locator("#upload-file").setInputFiles({ name: "big.csv", mimeType: "text/csv", buffer: Buffer.from(`customer_id,segments\n${rows.join("\n")}\n`) });
    await page.getByRole("button", { name: "Upload", exact: true }).click();
    await expect.poll(() => page.locator("#upload-status").textContent(), { timeout: 90_000 }).toBe("Imported 10,002 rows.");
    await page.getByLabel("Customer id").fill("big-10000");
    await page.getByRole("button", { name: "Look up" }).click();
    await expect.poll(() => page.locator("#lookup-result").textContent()).toBe("In vip, at_risk.");
    await page.getByLabel("Customer id").fill("big-10001");
    await page.getByRole("button", { name: "Look up" }).click();
    await expect.poll(() => page.locator("#lookup-result").textContent()).toBe("In at_risk.");
    await page.close();
  }, 120_000);

  it("takes an importer straight to the segments page", async () => {
    const importer = await issueToken("importer");
    const page = await browser.newPage();
    await signIn(page, "demo", importer);
    await expect.poll(() => page.locator('#segment-counts [data-segment="vip"] .members').count(), { timeout: 10_000 }).toBe(1);
    await expect(page.locator('nav button[aria-current="page"]').textContent()).resolves.toBe("Segments");
    await page.close();
  });

  it("says so when the token is not valid for the site, and shows no data", async () => {
    const page = await browser.newPage();
    await signIn(page, "demo", "not-the-token-0123456789");
    await expect.poll(() => page.getByRole("alert").textContent()).toBe("This token is not valid for that site.");
    expect(await page.locator("table").count()).toBe(0);
    await page.close();
  });

  it("is usable from the keyboard: the sign-in form in tab order, submitted with Enter", async () => {
    const page = await browser.newPage();
    await page.goto(`${worker.url}/admin`);
    await page.keyboard.type("demo");
    await page.keyboard.press("Tab");
    await page.keyboard.type(token);
    await page.keyboard.press("Enter");
    await expect.poll(() => page.locator("table.grid").count()).toBe(1);
    await page.close();
  });
});
