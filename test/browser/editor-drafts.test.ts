/**
 * @module Nothing lost, nothing live by accident, in Chromium: the working copy saved as the site's draft as the
 * marketer edits and restored when anyone with edit rights opens the site, leaving with unsaved changes asked
 * first, publish, rollback and discard confirmed in a dialog that says what will change; and signing in to a
 * site that does not exist. Saves a screenshot of the publish confirmation under test-artifacts/ (shown in the README).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { root } from "../../scripts/dev-server.mjs";
import { poorContrast, unnamedControls } from "./a11y";
import { skipBrowserTests } from "./chromium";
import type { EditorHarness } from "./editor-harness";
import { api, editorPage, freshSite, issueToken, signIn, startEditorHarness, versionCount } from "./editor-harness";

let h: EditorHarness;

const VIP = "Edit VIP: express shipping or early access";
const VIP_TEXT = (j: number) => `[data-path="campaigns.0.variants.${j}.message.text"]`;
const EXPRESS = "Free express shipping on every order, thank you for being a VIP";
const SAVED = /^Draft saved by (\S+) (just now|\d+ seconds? ago|1 minute ago)/;

describe.skipIf(skipBrowserTests)("the editor's drafts and confirmations", () => {
  beforeAll(async () => {
    h = await startEditorHarness();
  }, 120_000);

  afterAll(async () => {
    await h?.stop();
  });

  it("saves the working copy as the site's draft as you go, and restores it for the next editor with who saved it and when", async () => {
    const site = await freshSite(h, "autosave");
    const { page, problems } = await editorPage(h);
    await signIn(h, page, site);
    await page.getByRole("button", { name: VIP }).click();
    await page.locator(VIP_TEXT(0)).fill("Saved as I go, for our VIPs");
    await expect.poll(() => page.locator("#draft-state").textContent(), { timeout: 10_000 }).toMatch(SAVED);
    expect((await page.locator("#draft-state").textContent())?.match(SAVED)?.[1]).toBe("admin");
    const draft = await api(h, site, "/draft");
    expect(draft.status).toBe(200);
    expect(JSON.stringify(await draft.json())).toContain("Saved as I go, for our VIPs");
    // Shoppers still get the live config.
    expect(JSON.stringify(await (await api(h, site, "/config")).json())).not.toContain("Saved as I go");
    await page.close();

    // An editor opening the site next continues from the draft, and is told whose it is.
    const ana = await issueToken(h, site, "ana.marketing", "editor");
    const next = await editorPage(h);
    await signIn(h, next.page, site, ana);
    const vipTopbar = next.page.locator('tr[data-segment="vip"] td[data-placement="topbar"]');
    await expect.poll(() => vipTopbar.textContent(), { timeout: 10_000 }).toContain("Saved as I go, for our VIPs");
    await expect.poll(() => next.page.locator("#draft-state").textContent()).toMatch(SAVED);
    expect((await next.page.locator("#draft-state").textContent())?.match(SAVED)?.[1]).toBe("admin");
    await next.page.getByRole("button", { name: VIP }).click();
    await next.page.locator(VIP_TEXT(1)).fill("Ana's early access copy");
    await expect.poll(async () => (await next.page.locator("#draft-state").textContent())?.match(SAVED)?.[1], { timeout: 10_000 }).toBe("ana.marketing");
    expect(JSON.stringify(await (await api(h, site, "/draft")).json())).toContain("Ana's early access copy");
    expect([...problems, ...next.problems]).toEqual([]);
    await next.page.close();
  });

  it("never saves over a colleague's draft saved meanwhile: says whose it is, and saves over it only when asked", async () => {
    const site = await freshSite(h, "colleague");
    const ana = await issueToken(h, site, "ana.marketing", "editor");
    const mine = await editorPage(h);
    const theirs = await editorPage(h);
    await signIn(h, mine.page, site);
    await signIn(h, theirs.page, site, ana);
    for (const { page } of [mine, theirs]) await page.getByRole("button", { name: VIP }).click();
    await theirs.page.locator(VIP_TEXT(1)).fill("Ana's early access copy");
    await expect.poll(() => theirs.page.locator("#draft-state").textContent(), { timeout: 10_000 }).toMatch(SAVED);

    await mine.page.locator(VIP_TEXT(0)).fill("My express copy");
    await expect.poll(() => mine.page.locator("#draft-state").textContent(), { timeout: 10_000 }).toMatch(/^Not saved: ana\.marketing saved another draft just now/);
    expect(JSON.stringify(await (await api(h, site, "/draft")).json())).toContain("Ana's early access copy");

    await mine.page.getByRole("button", { name: "Save your working copy as the draft, over theirs" }).click();
    await expect.poll(() => mine.page.locator("#draft-state").textContent(), { timeout: 10_000 }).toMatch(/^Draft saved by admin just now/);
    const saved = JSON.stringify(await (await api(h, site, "/draft")).json());
    expect(saved).toContain("My express copy");
    expect(saved).not.toContain("Ana's early access copy");
    expect([...mine.problems, ...theirs.problems]).toEqual([]);
    await mine.page.close();
    await theirs.page.close();
  });

  it("says a working copy with problems is not saved, and asks before leaving or signing out with unsaved changes", async () => {
    const site = await freshSite(h, "leaving");
    const { page } = await editorPage(h);
    await signIn(h, page, site);
    await page.getByRole("button", { name: VIP }).click();
    await page.locator(VIP_TEXT(0)).fill("");
    await expect.poll(() => page.locator("#draft-state").textContent(), { timeout: 10_000 }).toBe("Draft not saved: fix 1 problem");
    expect((await api(h, site, "/draft")).status).toBe(404);

    // Leaving asks first (the browser's own prompt); dismissed, the editor stays with the edit. (Playwright's
    // close({runBeforeUnload}) shows no prompt in this Chromium; a reload does, and waits out its timeout.)
    const asked: string[] = [];
    page.on("dialog", (dialog) => {
      asked.push(dialog.type());
      void dialog.dismiss();
    });
    await page.reload({ timeout: 2_000 }).catch(() => undefined);
    expect(asked).toEqual(["beforeunload"]);
    await expect(page.locator(VIP_TEXT(0)).inputValue()).resolves.toBe("");

    // Signing out asks in a dialog; "Stay" keeps everything.
    await page.getByRole("button", { name: "Sign out" }).click();
    const dialog = page.getByRole("dialog", { name: /Sign out/ });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await expect(dialog.textContent()).resolves.toContain("not saved");
    await dialog.getByRole("button", { name: "Stay" }).click();
    await expect.poll(() => dialog.isVisible()).toBe(false);
    await expect(page.locator("table.grid").count()).resolves.toBe(1);

    // Fixed, the working copy is saved as the draft: a reload asks nothing and brings it back.
    await page.locator(VIP_TEXT(0)).fill("Fixed VIP text");
    await expect.poll(() => page.locator("#draft-state").textContent(), { timeout: 10_000 }).toMatch(SAVED);
    await page.reload();
    await expect.poll(() => page.locator('tr[data-segment="vip"] td[data-placement="topbar"]').textContent(), { timeout: 10_000 }).toContain("Fixed VIP text");
    expect(asked).toEqual(["beforeunload"]);
    await page.close();
  });

  it("shows what a publish and a rollback will change and asks first; Escape publishes nothing", async () => {
    const site = await freshSite(h, "confirm");
    const { page, problems } = await editorPage(h);
    await signIn(h, page, site);
    await page.getByRole("button", { name: VIP }).click();
    await page.locator(VIP_TEXT(0)).fill("Confirmed VIP text");
    await page.getByLabel("Note for the history").fill("VIP copy");
    const publish = page.getByRole("button", { name: "Publish these changes" });
    await publish.click();
    const confirm = page.getByRole("dialog", { name: "Publish these changes?" });
    await expect.poll(() => confirm.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect(confirm.textContent()).resolves.toContain(`campaign "vip-express": variant "express" text "${EXPRESS.slice(0, 57)}..." → "Confirmed VIP text"`);
    await expect.poll(() => page.evaluate(() => document.activeElement?.closest("dialog[open]") !== null)).toBe(true);
    expect(await unnamedControls(page)).toEqual([]);
    expect(await poorContrast(page, "dialog")).toEqual([]);
    mkdirSync(join(root, "test-artifacts"), { recursive: true });
    await page.screenshot({ path: join(root, "test-artifacts", "editor-publish-confirm.png") });
    // At 390 px the dialog fits the screen.
    await page.setViewportSize({ width: 390, height: 844 });
    await expect(confirm.evaluate((node) => node.getBoundingClientRect().right)).resolves.toBeLessThanOrEqual(390);
    await page.setViewportSize({ width: 1400, height: 1000 });

    await page.keyboard.press("Escape");
    await expect.poll(() => confirm.isVisible()).toBe(false);
    expect(await versionCount(h, site)).toBe(1);
    await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute("aria-label"))).toBe("Publish these changes");

    await publish.click();
    await confirm.getByRole("button", { name: "Publish now" }).click();
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 10_000 }).toBe("Version 2 is live");
    expect(await versionCount(h, site)).toBe(2);

    await page.getByRole("button", { name: "Roll back to version 1" }).click();
    const rollback = page.getByRole("dialog", { name: "Roll back to version 1?" });
    await expect.poll(() => rollback.isVisible(), { timeout: 10_000 }).toBe(true);
    await expect(rollback.textContent()).resolves.toContain(`variant "express" text "Confirmed VIP text" → "${EXPRESS.slice(0, 57)}..."`);
    await rollback.getByRole("button", { name: "Cancel" }).click();
    expect(await versionCount(h, site)).toBe(2);
    await page.getByRole("button", { name: "Roll back to version 1" }).click();
    await rollback.getByRole("button", { name: "Roll back now" }).click();
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 10_000 }).toBe("Version 1 is live again (as version 3)");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("discards the draft after asking, back to the live config", async () => {
    const site = await freshSite(h, "discard");
    const { page, problems } = await editorPage(h);
    await signIn(h, page, site);
    await page.getByRole("button", { name: VIP }).click();
    await page.locator(VIP_TEXT(0)).fill("A draft to throw away");
    await expect.poll(() => page.locator("#draft-state").textContent(), { timeout: 10_000 }).toMatch(SAVED);
    await page.getByRole("button", { name: "Discard the draft" }).click();
    const dialog = page.getByRole("dialog", { name: "Discard the draft?" });
    await expect.poll(() => dialog.isVisible()).toBe(true);
    await expect(dialog.textContent()).resolves.toContain('"A draft to throw away"');
    await dialog.getByRole("button", { name: "Discard", exact: true }).click();
    await expect.poll(() => api(h, site, "/draft").then((r) => r.status), { timeout: 10_000 }).toBe(404);
    await expect.poll(() => page.locator('tr[data-segment="vip"] td[data-placement="topbar"]').textContent()).toContain(EXPRESS);
    // The grid is drawn before the history and counts load; the status is said after them.
    await expect.poll(() => page.locator("#status").textContent(), { timeout: 10_000 }).toBe("Draft discarded");
    expect(problems).toEqual([]);
    await page.close();
  });

  it("says there is no site for a mistyped id, offers the owner to create it, and refuses a malformed id in the form", async () => {
    const { page, problems } = await editorPage(h);
    await page.goto(`${h.worker.url}/admin`);
    const siteId = page.getByLabel("Site id");
    // The browser compiles `pattern` with the v flag: the form refuses a bad id without a console error.
    await siteId.fill("Demo 2");
    await page.getByLabel("Token").fill(h.token);
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(siteId.evaluate((input) => (input as HTMLInputElement).validity.patternMismatch)).resolves.toBe(true);
    expect(await page.locator("table.grid").count()).toBe(0);

    await siteId.fill("demo2");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect.poll(() => page.getByRole("alert").textContent(), { timeout: 10_000 }).toBe('There is no site "demo2": it has no config yet. Check the site id, or create the site.');
    expect(await page.locator("table.grid").count()).toBe(0);
    await page.getByRole("button", { name: 'Create site "demo2"' }).click();
    await expect.poll(() => page.locator("table.grid").count()).toBe(1);
    await expect(page.locator("h1").textContent()).resolves.toBe("valuebar · demo2");
    expect(problems).toEqual([]);
    await page.close();
  });
});
