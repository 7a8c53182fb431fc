/**
 * @module What the browser suites that drive the real Worker share (the editor's, and edge mode's demo store): the
 * Worker under `wrangler dev` with the demo seeded, Chromium,
 * a fresh site per test (seeded with the demo's config through the admin API, so a test that publishes or saves
 * a draft leaves the others as they were), tokens issued for it, and signing in.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { expect } from "vitest";
import type { RunningWorker } from "../../scripts/dev-server.mjs";
import { ensureDevVars, freePort, root, seedDemo, startWorker } from "../../scripts/dev-server.mjs";
import { launchChromium } from "./chromium";

export interface EditorHarness {
  worker: RunningWorker;
  browser: Browser;
  /** The owner's token (ADMIN_TOKEN). */
  token: string;
  stop(): Promise<void>;
}

/**
 * The Worker under `wrangler dev` on a fresh state directory, the demo seeded, and Chromium: what every browser suite
 * that drives the real Worker starts with. `port` (default: a free one) and `vars` (`--var` values) as startWorker takes them.
 */
export async function startEditorHarness(options: { port?: number; vars?: Record<string, string> } = {}): Promise<EditorHarness> {
  const token = ensureDevVars().ADMIN_TOKEN ?? "";
  const stateDir = mkdtempSync(join(tmpdir(), "valuebar-browser-"));
  const worker = await startWorker({ port: options.port ?? (await freePort()), persistTo: stateDir, vars: options.vars ?? {} });
  await seedDemo(worker.url, token);
  const browser = await launchChromium();
  return {
    worker,
    browser,
    token,
    async stop() {
      await browser.close();
      await worker.stop();
      rmSync(stateDir, { recursive: true, force: true });
    },
  };
}

/** The demo's config as the repository holds it. */
export function demoConfig(): { segments: string[]; campaigns: { id: string; variants: { id: string; weight: number; control?: boolean; message?: { text: string } }[] }[]; defaults: Record<string, unknown> } {
  return JSON.parse(readFileSync(join(root, "src/demo/config.json"), "utf8"));
}

let sites = 0;

/** A site of its own for one test, with `config` (the demo's by default) live as version 1. */
export async function freshSite(h: EditorHarness, prefix: string, config: unknown = demoConfig()): Promise<string> {
  const site = `${prefix}-${Date.now().toString(36)}-${++sites}`;
  const res = await api(h, site, "/config", { method: "PUT", body: JSON.stringify(config) });
  expect(res.status).toBe(200);
  return site;
}

/** A call to the admin API of `site` with the owner's token. */
export function api(h: EditorHarness, site: string, path: string, init: { method?: string; body?: string } = {}): Promise<Response> {
  return fetch(`${h.worker.url}/admin/sites/${site}${path}`, {
    ...init,
    headers: { authorization: `Bearer ${h.token}`, ...(init.body ? { "content-type": "application/json" } : {}) },
  });
}

/** A token for `site` with `role`, issued by the owner under `name`. */
export async function issueToken(h: EditorHarness, site: string, name: string, role: "editor" | "analyst" | "importer"): Promise<string> {
  const res = await api(h, site, "/tokens", { method: "POST", body: JSON.stringify({ name, role }) });
  expect(res.status).toBe(201);
  return ((await res.json()) as { token: string }).token;
}

/** The number of versions of `site`. */
export async function versionCount(h: EditorHarness, site: string): Promise<number> {
  const res = await api(h, site, "/config/versions");
  return ((await res.json()) as { versions: unknown[] }).versions.length;
}

/** A page of the editor at `width` that records page errors and console errors into `problems`. */
export async function editorPage(h: EditorHarness, width = 1400): Promise<{ page: Page; problems: string[] }> {
  const page = await h.browser.newPage({ viewport: { width, height: 1000 } });
  const problems: string[] = [];
  page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
  page.on("console", (message) => {
    if (message.type() === "error" && !/Failed to load resource/.test(message.text())) problems.push(`console: ${message.text()}`);
  });
  return { page, problems };
}

export async function signIn(h: EditorHarness, page: Page, site: string, secret = h.token): Promise<void> {
  await page.goto(`${h.worker.url}/admin`);
  await page.getByLabel("Site id").fill(site);
  await page.getByLabel("Token").fill(secret);
  await page.getByRole("button", { name: "Sign in" }).click();
}
