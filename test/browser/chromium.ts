/**
 * @module Real Chromium for the browser suites: Debian's /usr/bin/chromium (`apt-get install -y chromium`),
 * never a browser build downloaded by playwright. Also the suites' vitest globalSetup: without Chromium
 * they skip with one loud line, except on CI (CI=true), where a missing browser fails the run.
 */
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";

export const CHROMIUM_PATH = "/usr/bin/chromium";

const found = existsSync(CHROMIUM_PATH);

/** True when the suites should skip: no Chromium, and not on CI (where launching then fails loudly). */
export const skipBrowserTests = !found && process.env.CI !== "true";

/** Launches headless Chromium with flags for a container without GPU or network; `extraArgs` are added. */
export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      ...extraArgs,
    ],
  });
}

/** vitest globalSetup: runs once per run, before any suite. */
export function setup(): void {
  if (found) return;
  const message = `Chromium not found at ${CHROMIUM_PATH} - install it with: apt-get install -y chromium`;
  if (process.env.CI === "true") throw new Error(`browser tests cannot run on CI: ${message}`);
  console.warn(`\n!!! SKIPPING BROWSER TESTS: ${message} !!!\n`);
}
