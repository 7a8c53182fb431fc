/**
 * @module The editor's segments and experiments pages in Chromium (issue 11), against the Worker under
 * `wrangler dev` with the demo site seeded: the upload explains its formats and shows every warning the API
 * returns; segments are added, described and reordered (by keyboard) and published like messages, and the grid
 * shows their member counts and descriptions; experiments show each variant's text, and a test is stopped or a
 * variant rolled out to everyone as a new version after a confirmation. A worker of its own: these tests publish.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { poorContrast, unnamedControls } from "./a11y";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningWorker } from "../../scripts/dev-server.mjs";
import { root } from "../../scripts/dev-server.mjs";
import type { Config } from "../../src/core/config-schema";
import { skipBrowserTests } from "./chromium";
import { type EditorHarness, startEditorHarness } from "./editor-harness";

let worker: RunningWorker;
let browser: Browser;
let token: string;

/** A screenshot under test-artifacts/ (the README's are refreshed from there). */
async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(join(root, "test-artifacts"), { recursive: true });
  await page.screenshot({ path: join(root, "test-artifacts", name), fullPage: true });
}

const auth = () => ({ authorization: `Bearer ${token}` });

async function signIn(page: Page, site: string, secret = token): Promise<void> {
  await page.goto(`${worker.url}/admin`);
  await page.getByLabel("Site id").fill(site);
  await page.getByLabel("Token").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("header.bar").waitFor();
}

/** Controls without an accessible name, and texts under WCAG AA contrast (4.5:1), on the page (a11y.ts). */
async function accessibilityProblems(page: Page): Promise<string[]> {
  return [...(await unnamedControls(page)), ...(await poorContrast(page))];
}

async function liveConfig(site = "demo"): Promise<Config> {
  return (await (await fetch(`${worker.url}/admin/sites/${site}/config`, { headers: auth() })).json()) as Config;
}

async function versionNotes(site = "demo"): Promise<string[]> {
  const res = await fetch(`${worker.url}/admin/sites/${site}/config/versions`, { headers: auth() });
  return ((await res.json()) as { versions: { note: string }[] }).versions.map((v) => v.note);
}

/** A site of its own with the demo config and the demo's memberships, so each test starts from the demo. */
async function demoCopy(site: string): Promise<void> {
  const config = await liveConfig("demo");
  const put = await fetch(`${worker.url}/admin/sites/${site}/config`, { method: "PUT", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify(config) });
  expect(put.status).toBe(200);
  const members = ["1001:vip", "1002:valuable", "1003:bargain_hunter|occasional", "1004:high_returner|occasional", "1005:occasional", "1006:at_risk", "1007:new"];
  const body = members.map((m) => { const [id, segments] = m.split(":"); return JSON.stringify({ customer_id: id, segments: segments?.split("|") }); }).join("\n");
  const imported = await fetch(`${worker.url}/admin/sites/${site}/segments`, { method: "POST", headers: { ...auth(), "content-type": "application/x-ndjson" }, body });
  expect(imported.status).toBe(200);
}

describe.skipIf(skipBrowserTests)("the editor's segments and experiments (issue 11)", () => {
  let harness: EditorHarness | undefined;
  beforeAll(async () => {
    harness = await startEditorHarness();
    ({ worker, browser, token } = harness);
  }, 120_000);

  afterAll(async () => {
    await harness?.stop();
  });

  it("explains the upload's formats next to it and shows every warning the API returns, with 1 row and 2 rows said right", async () => {
    await demoCopy("uploads");
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, "uploads");
    await page.getByRole("button", { name: "Segments" }).click();
    const file = page.getByLabel(/^Upload memberships/);
    await file.waitFor();
    // The formats, said where the file is chosen (and read out with the input).
    const help = await page.locator(`#${await file.getAttribute("aria-describedby")}`).textContent();
    for (const words of ["customer_id,segments", "expires_at", "|", "vip|high_returner", "NDJSON", '{"customer_id":"123","segments":["vip","high_returner"]}', "10,000", "quote", "segments compute"]) {
      expect(help).toContain(words);
    }

    const upload = async (name: string, content: string) => {
      await file.setInputFiles({ name, mimeType: "text/plain", buffer: Buffer.from(content) });
      await page.getByRole("button", { name: "Upload", exact: true }).click();
    };
    const status = page.locator("#upload-status");
    const warnings = () => page.locator("#upload-warnings li").allTextContents();

    // Several segments in one cell, one of them not in the config.
    await upload("one.csv", "customer_id,segments\nw-1,vip|gold\n");
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe("Imported 1 row.");
    expect(await warnings()).toEqual(["The config does not list gold: no message targets these members until it does (add it under Segments and precedence)."]);

    // The same file again: unchanged. A CSV file named .txt is read as CSV, as the API would.
    await upload("again.txt", "customer_id,segments\nw-1,vip|gold\n");
    await expect.poll(() => warnings(), { timeout: 10_000 }).toContain("1 row already matched what the site holds and was not written again.");
    expect(await status.textContent()).toBe("Imported 1 row.");

    await upload("removals.ndjson", '{"customer_id":"w-1","segments":[]}\n{"customer_id":"w-2","segments":["vip"],"expires_at":"2020-01-01T00:00:00Z"}\n');
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe("Imported 2 rows.");
    expect(await warnings()).toEqual(["2 rows took their customers out of every segment (1 of them because its expires_at has passed)."]);

    await upload("bad.csv", "customer_id,segments\n,vip\n");
    await expect.poll(() => status.textContent(), { timeout: 10_000 }).toBe("Nothing was imported: 1 problem in the file.");
    expect(await warnings()).toEqual([]);
    await page.close();
  });

  it("adds, describes and reorders segments by keyboard, publishes them like messages, and the grid shows counts and descriptions", async () => {
    await demoCopy("segs");
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, "segs");
    await page.getByRole("button", { name: "Segments" }).click();
    const order = () => page.locator("#segment-list > li").evaluateAll((lis) => lis.map((li) => li.getAttribute("data-segment")));
    await expect.poll(order, { timeout: 10_000 }).toEqual(["vip", "valuable", "at_risk", "high_returner", "bargain_hunter", "new", "occasional"]);
    await expect(page.locator('#segment-list [data-segment="occasional"] .members').textContent()).resolves.toBe("3");

    // A bad id is said in words at its field, and nothing is added.
    await page.getByLabel("New segment id").fill("Gold card");
    await page.getByRole("button", { name: "Add the segment" }).click();
    await expect(page.locator("#new-segment-error").textContent()).resolves.toBe("Use 1-64 lowercase letters, digits, '-' or '_', starting with a letter or digit.");
    await expect(page.getByLabel("New segment id").getAttribute("aria-invalid")).resolves.toBe("true");
    await page.getByLabel("New segment id").fill("vip");
    await page.getByRole("button", { name: "Add the segment" }).click();
    await expect(page.locator("#new-segment-error").textContent()).resolves.toBe("vip is a segment already.");

    await page.getByLabel("New segment id").fill("gold");
    await page.keyboard.press("Enter");
    await expect.poll(order).toEqual(["vip", "valuable", "at_risk", "high_returner", "bargain_hunter", "new", "occasional", "gold"]);
    // Focus goes to the new segment's description.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe("f-segmentDescriptions-gold");
    await page.keyboard.type("Gold card holders");
    await page.getByLabel("Description of vip").fill("Top 5% by spend in the last year");
    await expect.poll(() => page.locator("#status").textContent()).toBe("Unpublished changes");

    // Reordered from the keyboard: gold up twice; the focus stays on the button that moved it.
    const goldUp = page.getByRole("button", { name: "Move gold up" });
    await goldUp.focus();
    await page.keyboard.press("Enter");
    await page.keyboard.press("Enter");
    await expect.poll(order).toEqual(["vip", "valuable", "at_risk", "high_returner", "bargain_hunter", "gold", "new", "occasional"]);
    await expect(page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).resolves.toBe("Move gold up");
    // vip cannot go higher: its first move is down.
    await page.getByRole("button", { name: "Move vip down" }).click();
    await expect.poll(order).toEqual(["valuable", "vip", "at_risk", "high_returner", "bargain_hunter", "gold", "new", "occasional"]);

    await screenshot(page, "editor-segments.png");
    expect(await accessibilityProblems(page)).toEqual([]);
    // A description longer than the schema allows cannot be typed.
    await expect(page.getByLabel("Description of gold").getAttribute("maxlength")).resolves.toBe("200");

    await page.getByLabel("Note for the history").fill("Gold segment");
    await page.getByRole("button", { name: "Publish these changes" }).click();
    // The publish may ask first (a confirmation dialog): say yes when it does.
    const confirm = page.getByRole("dialog").getByRole("button", { name: /^Publish/ });
    await expect.poll(async () => (await confirm.isVisible()) || /is live/.test((await page.locator("#status").textContent()) ?? ""), { timeout: 10_000 }).toBe(true);
    if (await confirm.isVisible()) await confirm.click();
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 10_000 }).toMatch(/^Version \d+ is live/);
    const live = await liveConfig("segs");
    expect(live.segments).toEqual(["valuable", "vip", "at_risk", "high_returner", "bargain_hunter", "gold", "new", "occasional"]);
    expect(live.segmentDescriptions).toMatchObject({ gold: "Gold card holders", vip: "Top 5% by spend in the last year", valuable: "Big baskets, now and then" });
    expect((await versionNotes("segs"))[0]).toBe("Gold segment");

    // The grid: each segment's row says its members and its description.
    await page.getByRole("button", { name: "Messages" }).click();
    const header = (segment: string) => page.locator(`table.grid tr[data-segment="${segment}"] th`).textContent();
    await expect.poll(() => header("vip"), { timeout: 10_000 }).toMatch(/vip.*1 member\b.*Top 5% by spend in the last year/);
    await expect.poll(() => header("occasional")).toMatch(/occasional.*3 members/);
    await expect.poll(() => header("gold")).toMatch(/gold.*0 members.*Gold card holders/);

    // 390 px: the segments page fits the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("button", { name: "Segments" }).click();
    await page.locator("#segment-list").waitFor();
    const segmentsPage = await page.locator("#segments").evaluate((main) => [main.getBoundingClientRect().right, main.scrollWidth - main.clientWidth]);
    expect(segmentsPage[0]).toBeLessThanOrEqual(390);
    expect(segmentsPage[1]).toBe(0);
    await screenshot(page, "editor-segments-390.png");
    await page.close();
  });

  it("shows each variant with its text and visitors in the singular, and stops a test or rolls out a variant as a new version after confirming", async () => {
    await demoCopy("tests");
    // One US visitor: the US test has counted one visitor.
    await fetch(`${worker.url}/v1/decide/tests?vid=onlyvisitor0001&country=US`);
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await signIn(page, "tests");
    await page.getByRole("button", { name: "Experiments" }).click();
    await expect.poll(() => page.locator("#experiments").getAttribute("aria-busy"), { timeout: 10_000 }).toBe("false");
    const vip = page.locator('[data-experiment="vip-express"]');
    const us = page.locator('[data-experiment="us-free-shipping"]');
    await expect(vip.locator('.variant-list [data-variant="express"] .variant-text').textContent()).resolves.toBe("express (50%): Free express shipping on every order, thank you for being a VIP");
    await expect(us.locator('.variant-list [data-variant="b"] .variant-text').textContent()).resolves.toBe("b (50%): US orders over $50.00 ship free, and returns are on us");
    await expect.poll(async () => {
      await page.getByRole("button", { name: "Experiments" }).click();
      await expect.poll(() => page.locator("#experiments").getAttribute("aria-busy")).toBe("false");
      return us.locator(".units").textContent();
    }, { timeout: 10_000 }).toMatch(/^1 visitor counted,/);

    // Roll out "early" of the VIP test: the dialog says what changes; cancelling (Escape) changes nothing.
    const versions = (await versionNotes("tests")).length;
    await vip.getByRole("button", { name: "Roll out early to everyone" }).click();
    const dialog = page.getByRole("dialog", { name: "Roll out early to everyone?" });
    await dialog.waitFor();
    await expect(dialog.locator("li").allTextContents()).resolves.toEqual(["express: 50% → 0%", "early: 50% → 100%"]);
    await page.keyboard.press("Escape");
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toBe("Roll out early to everyone");
    expect((await versionNotes("tests")).length).toBe(versions);

    await vip.getByRole("button", { name: "Roll out early to everyone" }).click();
    await screenshot(page, "editor-rollout.png");
    expect(await accessibilityProblems(page)).toEqual([]);
    await dialog.getByRole("button", { name: "Publish as a new version" }).click();
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 10_000 }).toBe(`Version ${versions + 1} is live: Rolled out variant early of vip-express`);
    expect((await versionNotes("tests"))[0]).toBe("Rolled out variant early of vip-express");
    const weights = async (campaign: string) => Object.fromEntries((await liveConfig("tests")).campaigns.find((c) => c.id === campaign)?.variants.map((v) => [v.id, v.weight]) ?? []);
    expect(await weights("vip-express")).toEqual({ express: 0, early: 100 });

    // Stop the US test: everyone sees its baseline (a, what the results compare with).
    await us.getByRole("button", { name: "Stop the test" }).click();
    const stop = page.getByRole("dialog", { name: "Stop the test US: free shipping?" });
    await expect(stop.textContent()).resolves.toContain("Everyone will see a: Free shipping to the US on orders over $50.00");
    await stop.getByRole("button", { name: "Publish as a new version" }).click();
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 10_000 }).toBe(`Version ${versions + 2} is live: Stopped the test us-free-shipping: everyone sees variant a`);
    expect(await weights("us-free-shipping")).toEqual({ a: 100, b: 0 });
    await expect(page.locator(".experiment").count()).resolves.toBe(0);

    // The working copy has the same weights, so a later publish of the messages does not bring the tests back.
    await page.getByRole("button", { name: "Messages" }).click();
    await expect(page.locator('tr[data-segment="vip"] td[data-placement="topbar"] [data-variant="express"] .weight').textContent()).resolves.toBe(" 0%");
    await expect(page.locator("#status").textContent()).resolves.toBe("");
    await page.close();
  });

  it("shows an analyst the variants but no way to stop or roll out", async () => {
    await demoCopy("look");
    const issued = await fetch(`${worker.url}/admin/sites/look/tokens`, { method: "POST", headers: { ...auth(), "content-type": "application/json" }, body: JSON.stringify({ name: "analyst", role: "analyst" }) });
    const analyst = ((await issued.json()) as { token: string }).token;
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await signIn(page, "look", analyst);
    await page.getByRole("button", { name: "Experiments" }).click();
    await expect.poll(() => page.locator("#experiments").getAttribute("aria-busy"), { timeout: 10_000 }).toBe("false");
    await expect(page.locator('[data-experiment="vip-express"] .variant-list li').count()).resolves.toBe(2);
    expect(await page.getByRole("button", { name: /^(Stop the test|Roll out)/ }).count()).toBe(0);
    await screenshot(page, "editor-experiments-390.png");
    // 390 px: each experiment fits the screen, and so does each results table: a variant is a card of labelled figures.
    const tables = await page.locator(".table-scroll").evaluateAll((frames) => frames.map((f) => f.scrollWidth - f.clientWidth));
    expect(tables.length).toBeGreaterThan(0);
    expect(tables.every((overflow) => overflow === 0)).toBe(true);
    await expect(page.locator('[data-experiment="vip-express"] .results tr[data-variant="early"] td').first().evaluate((td) => getComputedStyle(td, "::before").content)).resolves.toBe('"Visitors"');
    const fits = await page.locator(".experiment").evaluateAll((sections) => sections.map((s) => [s.getBoundingClientRect().right, s.scrollWidth - s.clientWidth]));
    expect(fits.length).toBe(2);
    for (const [right, overflow] of fits) {
      expect(right).toBeLessThanOrEqual(390);
      expect(overflow).toBe(0);
    }
    await page.close();
  });
});
