/**
 * @module The message editor in Chromium (issue 11): pausing, resuming, duplicating, deleting and discarding a
 * message; problems said in words and summarised with links to their fields; what shoppers see (amounts,
 * progress texts, whether a bar can be dismissed, the defaults where they apply); the smaller field fixes
 * (focus after "Add a variant", weights, schedules in local time, colour pickers); and the layout at 390 px.
 * Each test works on a fresh site with the demo config, so none depends on another.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Browser, BrowserContextOptions, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningWorker } from "../../scripts/dev-server.mjs";
import { root } from "../../scripts/dev-server.mjs";
import { skipBrowserTests } from "./chromium";
import { type EditorHarness, startEditorHarness } from "./editor-harness";

let worker: RunningWorker;
let browser: Browser;
let token: string;
let sites = 0;

const DEMO_CONFIG = readFileSync(join(root, "src/demo/config.json"), "utf8");

interface LiveCampaign {
  id: string;
  name?: string;
  enabled?: boolean;
  schedule?: { start?: string; end?: string };
  variants: { id: string; weight: number }[];
}
interface LiveConfig {
  campaigns: LiveCampaign[];
  defaults: Record<string, { text: string } | undefined>;
}

/** A new site holding the demo config, for one test. */
async function freshSite(): Promise<string> {
  const site = `messages-${++sites}`;
  const res = await fetch(`${worker.url}/admin/sites/${site}/config`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: DEMO_CONFIG,
  });
  expect(res.status).toBe(200);
  return site;
}

async function liveConfig(site: string): Promise<LiveConfig> {
  const res = await fetch(`${worker.url}/admin/sites/${site}/config`, { headers: { authorization: `Bearer ${token}` } });
  return (await res.json()) as LiveConfig;
}

async function signedIn(site: string, options: BrowserContextOptions = { viewport: { width: 1280, height: 900 } }): Promise<Page> {
  const context = await browser.newContext(options);
  const page = await context.newPage();
  // A step that cannot happen fails in its own words, well before the test's timeout.
  page.setDefaultTimeout(8_000);
  await page.goto(`${worker.url}/admin`);
  await page.getByLabel("Site id").fill(site);
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("table.grid").waitFor();
  return page;
}

async function publish(page: Page, note: string): Promise<void> {
  await page.getByLabel("Note for the history").fill(note);
  await page.getByRole("button", { name: "Publish these changes" }).click();
  // A publish shows what will change and asks first.
  await page.getByRole("dialog", { name: "Publish these changes?" }).getByRole("button", { name: "Publish now" }).click();
  await expect.poll(() => page.locator("#status").textContent(), { timeout: 10_000 }).toMatch(/^Version \d+ is live$/);
}

const campaignIds = async (site: string) => (await liveConfig(site)).campaigns.map((c) => c.id);

describe.skipIf(skipBrowserTests)("the message editor in Chromium", () => {
  let harness: EditorHarness | undefined;
  beforeAll(async () => {
    harness = await startEditorHarness();
    ({ worker, browser, token } = harness);
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
  });

  it("pauses, resumes, duplicates and deletes a message; the grid shows the paused one as paused", async () => {
    const site = await freshSite();
    const page = await signedIn(site);
    const support = page.locator('.grid [data-campaign="valuable-support"]');
    await page.getByRole("button", { name: "Edit Valuable: premium support" }).click();

    await page.getByRole("button", { name: "Pause this message" }).click();
    await expect.poll(() => support.locator(".paused").textContent()).toBe("Paused");
    await publish(page, "Pause premium support");
    expect((await liveConfig(site)).campaigns.find((c) => c.id === "valuable-support")?.enabled).toBe(false);

    // Publishing closes the panel: open the message again.
    await page.getByRole("button", { name: "Edit Valuable: premium support" }).click();
    await expect(page.locator(".panel .paused").textContent()).resolves.toBe("Paused: shoppers do not see it.");
    await page.getByRole("button", { name: "Resume this message" }).click();
    expect(await support.locator(".paused").count()).toBe(0);
    await publish(page, "Resume premium support");
    expect((await liveConfig(site)).campaigns.find((c) => c.id === "valuable-support")?.enabled).toBeUndefined();

    // A duplicate starts paused (so it does not take over the cell) and opens in the panel.
    await page.getByRole("button", { name: "Edit Valuable: premium support" }).click();
    await page.getByRole("button", { name: "Duplicate this message" }).click();
    const copy = page.locator('.grid [data-campaign="valuable-support-copy"]');
    await expect.poll(() => copy.locator(".paused").textContent()).toBe("Paused");
    await expect(page.locator(".panel h2").textContent()).resolves.toBe("Valuable: premium support (copy)");

    await page.getByRole("button", { name: "Edit Valuable: premium support", exact: true }).click();
    await page.getByRole("button", { name: "Delete this message" }).click();
    expect(await support.count()).toBe(0);
    await publish(page, "Only the copy");
    const ids = await campaignIds(site);
    expect(ids).not.toContain("valuable-support");
    expect(ids).toContain("valuable-support-copy");
    await page.context().close();
  });

  it("discards a half-made new message: the preview stays, and the other edits publish", async () => {
    const site = await freshSite();
    const page = await signedIn(site);
    await page.getByRole("button", { name: "Edit the default Free returns message" }).click();
    await page.locator('[data-path="defaults.returns.text"]').fill("Free returns within 60 days");
    const topbar = page.frameLocator("#preview").locator("[data-valuebar-placement=topbar] span");
    await expect.poll(() => topbar.count(), { timeout: 10_000 }).toBe(1);

    await page.getByRole("button", { name: "Add a Free shipping message for valuable" }).click();
    await expect.poll(() => page.locator("#issues").textContent(), { timeout: 10_000 }).toContain("a message needs text");
    // The preview keeps showing the store while the new message has no text.
    expect(await topbar.count()).toBe(1);

    await page.getByRole("button", { name: "Discard this new message" }).click();
    await publish(page, "Longer returns");
    const live = await liveConfig(site);
    expect(live.defaults.returns?.text).toBe("Free returns within 60 days");
    expect(live.campaigns.map((c) => c.id)).not.toContain("valuable-shipping");
    await page.context().close();
  });

  it("says each problem in words at its field and lists them with links that move focus there", async () => {
    const site = await freshSite();
    const page = await signedIn(site);
    await page.getByRole("button", { name: "Edit VIP: express shipping or early access" }).click();
    await page.locator('[data-path="campaigns.0.variants.0.message.text"]').fill("");
    const entry = page.locator("#issues li button");
    await expect.poll(() => entry.allTextContents(), { timeout: 10_000 }).toEqual([
      "Message 'VIP: express shipping or early access' > Variant express > Text: a message needs text",
    ]);
    await expect(page.locator('[data-error-for="campaigns.0.variants.0.message.text"]').textContent()).resolves.toBe("a message needs text");

    // From another message, the entry opens the one with the problem and puts the cursor in the field.
    await page.getByRole("button", { name: "Edit Valuable: premium support" }).click();
    await entry.first().click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("data-path"))).toBe("campaigns.0.variants.0.message.text");
    await expect.poll(() => page.locator('[data-error-for="campaigns.0.variants.0.message.text"]').textContent()).toBe("a message needs text");
    expect(await page.locator("body").innerText()).not.toMatch(/campaigns\.\d/);
    await page.context().close();
  });

  it("is one column at 390 px: no horizontal scroll, the header wraps, View as stacks with readable labels", async () => {
    const page = await signedIn("demo", { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    const fits = () => page.evaluate(() => document.documentElement.scrollWidth);
    expect(await fits()).toBeLessThanOrEqual(390);
    for (const name of ["Messages", "Experiments", "Segments", "Sign out"]) {
      const box = await page.getByRole("button", { name, exact: true }).boundingBox();
      expect(box && box.x >= 0 && box.x + box.width <= 390, name).toBe(true);
    }
    await expect(page.getByRole("table", { name: /Messages by segment/ }).isVisible()).resolves.toBe(true);
    mkdirSync(join(root, "test-artifacts"), { recursive: true });
    await page.screenshot({ path: join(root, "test-artifacts", "editor-phone.png") });

    await page.getByRole("button", { name: "Edit VIP: express shipping or early access" }).click();
    await page.locator("#preview").waitFor();
    expect(await fits()).toBeLessThanOrEqual(390);
    const grid = await page.locator("table.grid").boundingBox();
    const panel = await page.locator(".panel").boundingBox();
    // The panel comes after the grid, full width, covering none of it.
    expect(grid && panel && panel.y >= grid.y + grid.height && panel.width > 340).toBe(true);

    const controls = await page.locator(".view-as .field").evaluateAll((fields) =>
      fields.map((field) => {
        const label = field.querySelector("label")?.getBoundingClientRect();
        const control = field.querySelector("select, input")?.getBoundingClientRect();
        return { label: label ? [label.left, label.top, label.right, label.bottom] : [], control: control ? [control.left, control.right, control.width] : [] };
      }),
    );
    expect(controls.length).toBe(5);
    controls.forEach((a, i) => {
      const [left = 0, top = 0, right = 0, bottom = 0] = a.label;
      expect(a.control[1] ?? 999, "control inside the page").toBeLessThanOrEqual(390);
      expect(a.control[2] ?? 0, "control wide enough to read").toBeGreaterThanOrEqual(120);
      controls.forEach((b, j) => {
        if (i === j) return;
        const [l = 0, t = 0, r = 0, bt = 0] = b.label;
        expect(left < r && l < right && top < bt && t < bottom, "labels do not run together").toBe(false);
      });
    });

    for (const tab of ["Experiments", "Segments"]) {
      await page.getByRole("button", { name: tab, exact: true }).click();
      await page.waitForTimeout(500);
      expect(await fits(), tab).toBeLessThanOrEqual(390);
    }
    await page.context().close();
  });

  it("shows what shoppers see: amounts formatted, defaults where they apply, progress texts, dismissible as it applies", async () => {
    const site = await freshSite();
    const page = await signedIn(site);
    const cell = (segment: string, placement: string) => page.locator(`.grid tr[data-segment="${segment}"] td[data-placement="${placement}"]`);
    await expect(cell("bargain_hunter", "shipping").locator(".message").textContent()).resolves.toBe("Free shipping on orders over €40.00");
    await expect(cell("(everyone)", "shipping").locator(".message").textContent()).resolves.toBe("Free shipping on orders over €60.00");
    // A segment with no shipping message of its own gets the default, said where it applies.
    await expect(cell("valuable", "shipping").locator(".fallback").textContent()).resolves.toBe("The default: Free shipping on orders over €60.00");
    // Nor a top bar: the US campaign reaches those in the US, and nothing else is shown.
    await expect(cell("high_returner", "topbar").locator(".fallback").textContent()).resolves.toBe("Geo, page or device campaigns first, else nothing");
    // The VIP is promised free express shipping in the top bar: the shipping slot says the same, asks for no minimum.
    await expect(cell("vip", "shipping").locator(".campaign .message").textContent()).resolves.toMatch(/express/i);
    expect(await page.locator("table.grid").innerText()).not.toContain("{{");

    await page.getByRole("button", { name: "Edit VIP: express shipping or early access" }).click();
    await expect(page.getByLabel("Shoppers can dismiss it").first().isChecked()).resolves.toBe(true);
    await page.getByRole("button", { name: "Edit the default Free returns message" }).click();
    await expect(page.getByLabel("Shoppers can dismiss it").isChecked()).resolves.toBe(false);

    await page.getByRole("button", { name: "Edit the default Free shipping message" }).click();
    const progress = page.locator('[data-path="defaults.shipping.progress.text"]');
    await expect(progress.inputValue()).resolves.toBe("Add {{remaining}} more for free shipping");
    await expect(page.locator('[data-path="defaults.shipping.progress.reached"]').inputValue()).resolves.toBe("Your order ships free");
    await progress.fill("Only {{remaining}} to go for free delivery");
    await page.getByLabel("Segment").selectOption("");
    await page.getByLabel("Cart total").fill("10");
    const shipping = page.frameLocator("#preview").locator('[data-valuebar="shipping"] span');
    await expect.poll(() => shipping.textContent(), { timeout: 10_000 }).toBe("Only €50.00 to go for free delivery");
    await page.context().close();
  });

  it("moves focus to a new variant, which copies the link and style; refuses an empty weight in words", async () => {
    const site = await freshSite();
    const page = await signedIn(site);
    await page.getByRole("button", { name: "Edit Valuable: premium support" }).click();
    await page.getByRole("button", { name: "Add a variant" }).click();
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("data-path"))).toBe("campaigns.1.variants.1.weight");
    const value = (path: string) => page.locator(`[data-path="campaigns.1.variants.${path}"]`).inputValue();
    await expect(value("1.message.link.url")).resolves.toBe("/demo/pages/contact");
    await expect(value("1.message.link.label")).resolves.toBe("Chat now");
    await expect(value("1.message.style.background")).resolves.toBe("#0b3d2e");

    await page.locator('[data-path="campaigns.1.variants.0.weight"]').fill("");
    await expect.poll(() => page.locator('[data-error-for="campaigns.1.variants.0.weight"]').textContent(), { timeout: 10_000 }).toMatch(/^enter a weight/i);
    await page.getByRole("button", { name: "Publish these changes" }).click();
    await expect.poll(() => page.locator("#status").textContent()).toMatch(/^Not published/);
    expect((await liveConfig(site)).campaigns[1]?.variants.length).toBe(1);
    await page.context().close();
  });

  it("takes schedules as local date and time in the marketer's time zone, and colours from a picker kept in step with the hex", async () => {
    const site = await freshSite();
    const page = await signedIn(site, { viewport: { width: 1280, height: 900 }, timezoneId: "Europe/Paris" });
    await page.getByRole("button", { name: "Edit Valuable: premium support" }).click();
    const start = page.locator('[data-path="campaigns.1.schedule.start"]');
    await expect(start.getAttribute("type")).resolves.toBe("datetime-local");
    expect(await page.locator(".panel").innerText()).toContain("Europe/Paris");
    await start.fill("2026-12-01T09:00");

    const hex = page.locator('[data-path="campaigns.1.variants.0.message.style.background"]');
    const picker = page.getByLabel("Background colour picker");
    await expect(picker.inputValue()).resolves.toBe("#0b3d2e");
    await picker.fill("#ff0000");
    await expect(hex.inputValue()).resolves.toBe("#ff0000");
    await hex.fill("#00ff00");
    await expect(picker.inputValue()).resolves.toBe("#00ff00");

    await publish(page, "Scheduled, green");
    const support = (await liveConfig(site)).campaigns.find((c) => c.id === "valuable-support");
    expect(support?.schedule?.start).toBe("2026-12-01T09:00:00+01:00");
    await page.reload();
    await page.getByRole("button", { name: "Edit Valuable: premium support" }).click();
    await expect(start.inputValue()).resolves.toBe("2026-12-01T09:00");
    await page.context().close();
  });
});
