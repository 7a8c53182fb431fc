/**
 * @module The editor's preview in Chromium: any variant of the campaign being edited, or its control, and the whole
 * site as each segment and persona sees it, on the live config or on the draft, from the Worker's own decision.
 * Saves a screenshot of "Who sees what" under test-artifacts/ (shown in the README).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root } from "../../scripts/dev-server.mjs";
import { poorContrast, unnamedControls } from "./a11y";
import { skipBrowserTests } from "./chromium";
import type { EditorHarness } from "./editor-harness";
import { demoConfig, editorPage, freshSite, signIn, startEditorHarness } from "./editor-harness";

let h: EditorHarness;

const VIP = "Edit VIP: express shipping or early access";
const VIP_TEXT = (j: number) => `[data-path="campaigns.0.variants.${j}.message.text"]`;

describe.skipIf(skipBrowserTests)("the editor's preview", () => {
  beforeAll(async () => {
    h = await startEditorHarness();
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  });

  it("previews the variant being edited, any variant chosen under Show variant, and the control", async () => {
    // The VIP test with a holdout: 20% of VIPs see the placement's default top bar instead.
    const config = demoConfig();
    const vip = config.campaigns[0];
    if (!vip) throw new Error("the demo has no VIP campaign");
    vip.variants = [
      { ...vip.variants[0], id: "express", weight: 40 },
      { ...vip.variants[1], id: "early", weight: 40 },
      { id: "holdout", weight: 20, control: true },
    ];
    config.defaults.topbar = { text: "Welcome to our store" };
    const site = await freshSite(h, "variants", config);
    const { page, problems } = await editorPage(h);
    await signIn(h, page, site);
    await page.getByRole("button", { name: VIP }).click();
    const topbar = page.frameLocator("#preview").locator("[data-valuebar-placement=topbar] span");
    await expect.poll(() => topbar.textContent(), { timeout: 10_000 }).toBe("Free express shipping on every order, thank you for being a VIP");

    // Editing the second variant shows the second variant.
    await page.locator(VIP_TEXT(1)).fill("Early access tonight, for VIPs only");
    await expect.poll(() => topbar.textContent(), { timeout: 10_000 }).toBe("Early access tonight, for VIPs only");

    // Any variant on demand, and the control, which sees the default.
    await page.getByLabel("Show variant").selectOption("express");
    await expect.poll(() => topbar.textContent(), { timeout: 10_000 }).toBe("Free express shipping on every order, thank you for being a VIP");
    await page.getByLabel("Show variant").selectOption("holdout");
    await expect.poll(() => topbar.textContent(), { timeout: 10_000 }).toBe("Welcome to our store");
    await page.getByLabel("Show variant").selectOption("early");
    await expect.poll(() => topbar.textContent(), { timeout: 10_000 }).toBe("Early access tonight, for VIPs only");
    expect(await unnamedControls(page)).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shows what each segment and persona sees in every placement, on the live config or on the draft", async () => {
    const site = await freshSite(h, "personas");
    const { page, problems } = await editorPage(h);
    await signIn(h, page, site);
    await page.getByRole("button", { name: VIP }).click();
    for (const j of [0, 1]) await page.locator(VIP_TEXT(j)).fill("Draft perks for our VIPs");
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 10_000 }).toBe("Unpublished changes");

    await page.getByRole("button", { name: "Who sees what" }).click();
    const table = page.getByRole("table", { name: /What each visitor sees/ });
    await expect.poll(() => table.isVisible(), { timeout: 10_000 }).toBe(true);
    const rows = await table.locator("tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-persona")));
    expect(rows.slice(0, 9)).toEqual(["vip", "valuable", "at_risk", "high_returner", "bargain_hunter", "new", "occasional", "anonymous", "anonymous-us"]);
    const cell = (persona: string, placement: string) => table.locator(`tr[data-persona="${persona}"] td[data-placement="${placement}"]`);

    // The live config, as the Worker decides it for each visitor.
    await page.getByLabel("Live: what shoppers see now").check();
    await expect.poll(() => cell("vip", "topbar").textContent(), { timeout: 10_000 }).toContain("Free express shipping on every order, thank you for being a VIP");
    await expect(cell("vip", "topbar").textContent()).resolves.toContain("VIP: express shipping or early access");
    await expect(cell("bargain_hunter", "shipping").textContent()).resolves.toContain("Free shipping on orders over €40.00");
    await expect(cell("anonymous", "shipping").textContent()).resolves.toContain("Free shipping on orders over €60.00");
    await expect(cell("anonymous", "returns").textContent()).resolves.toContain("Free returns within 30 days");
    await expect(cell("anonymous", "topbar").textContent()).resolves.toContain("Nothing shown");
    await expect(cell("anonymous-us", "topbar").textContent()).resolves.toContain("Free shipping to the US on orders over $50.00");
    await expect(cell("high_returner", "returns").textContent()).resolves.toContain("Free returns in any of our stores");

    // The draft: the working copy, not live yet.
    await page.getByLabel("Your draft").check();
    await expect.poll(() => cell("vip", "topbar").textContent(), { timeout: 10_000 }).toContain("Draft perks for our VIPs");
    await expect(cell("valuable", "topbar").textContent()).resolves.toContain("Premium support: your personal shopper is one message away");

    expect(await unnamedControls(page)).toEqual([]);
    expect(await poorContrast(page)).toEqual([]);
    mkdirSync(join(root, "test-artifacts"), { recursive: true });
    await page.setViewportSize({ width: 1280, height: 900 });
    await page.screenshot({ path: join(root, "test-artifacts", "editor-who-sees-what.png"), fullPage: true });

    // At 390 px the table stacks each visitor's placements: nothing reaches past the screen's edge.
    await page.setViewportSize({ width: 390, height: 844 });
    const overflow = await page.evaluate(() => [...document.querySelectorAll("#visitors, #visitors *")].filter((node) => node.getBoundingClientRect().right > 390).map((node) => node.tagName));
    expect(overflow).toEqual([]);
    expect(problems).toEqual([]);
    await page.close();
  });
});
