/**
 * @module The marketer's editor in Chromium, against the Worker under `wrangler dev` with the demo site seeded:
 * signing in, and the grid of messages by segment and placement. Saves a screenshot of the grid under
 * test-artifacts/ (shown in the README).
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningWorker } from "../../scripts/dev-server.mjs";
import { ensureDevVars, freePort, root, seedDemo, startWorker } from "../../scripts/dev-server.mjs";
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
    expect(rows).toEqual(["vip", "valuable", "at_risk", "high_returner", "bargain_hunter", "occasional", "(other)", "(everyone)"]);
    const vipTopbar = page.locator('tr[data-segment="vip"] td[data-placement="topbar"]');
    await expect(vipTopbar.textContent()).resolves.toContain("Free express shipping on every order, thank you for being a VIP");
    await expect(vipTopbar.locator('[data-variant="early"] .weight').textContent()).resolves.toBe(" 50%");
    await expect(page.locator('tr[data-segment="(other)"] td[data-placement="topbar"]').textContent()).resolves.toContain("Free shipping to the US");
    await expect(page.locator('tr[data-segment="(everyone)"] td[data-placement="returns"]').textContent()).resolves.toBe("Free returns within 30 days");
    mkdirSync(join(root, "test-artifacts"), { recursive: true });
    await page.screenshot({ path: join(root, "test-artifacts", "editor-grid.png"), fullPage: true });
    expect(problems).toEqual([]);
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
