/**
 * @module What the suites on fixture store pages share (the runtime's, and the edge rewrite's pages): Chromium and
 * the fixture server for the suite, browser profiles closed after each test, and every page watched for page errors,
 * console errors and warnings, and dialogs. A test fails when any was seen: the runtime must never disturb the page.
 * Call it inside the suite's `describe`: it registers the hooks there.
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import { afterAll, afterEach, beforeAll, expect } from "vitest";
import { launchChromium } from "./chromium";
import { type FixtureServer, startFixtureServer } from "./server";

export interface FixtureSuite {
  readonly browser: Browser;
  readonly server: FixtureServer;
  /** A page path no other test of the suite uses: `${prefix}-${n}`. */
  freshPath(prefix: string): string;
  /**
   * A page in this test's browser profile, watched for problems; `fresh` starts a new profile (empty storage and
   * cookies) for it and the test's later pages.
   */
  newPage(fresh?: boolean): Promise<Page>;
  /** Forgets the problems `expected` matches: what a test provokes on purpose, not the page's. */
  forgive(expected: (problem: string) => boolean): void;
}

export function fixtureSuite(): FixtureSuite {
  let browser: Browser | undefined;
  let server: FixtureServer | undefined;
  let contexts: BrowserContext[] = [];
  let problems: string[] = [];
  let paths = 0;

  beforeAll(async () => {
    [browser, server] = await Promise.all([launchChromium(), startFixtureServer()]);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.close();
  });
  afterEach(async () => {
    await Promise.all(contexts.map((context) => context.close()));
    contexts = [];
    const seen = problems;
    problems = [];
    expect(seen).toEqual([]);
  });

  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error("the fixture suite is not started: call fixtureSuite() inside a describe, use it inside its tests");
    return value;
  };

  return {
    get browser() {
      return started(browser);
    },
    get server() {
      return started(server);
    },
    freshPath: (prefix) => `/${prefix}-${++paths}`,
    async newPage(fresh = false) {
      if (fresh || contexts.length === 0) contexts.push(await started(browser).newContext());
      const page = await (contexts.at(-1) as BrowserContext).newPage();
      page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
      page.on("console", (message) => {
        if (message.type() === "error" || message.type() === "warning") problems.push(`console.${message.type()}: ${message.text()}`);
      });
      page.on("dialog", (dialog) => {
        problems.push(`dialog: ${dialog.message()}`);
        void dialog.dismiss();
      });
      return page;
    },
    forgive(expected) {
      problems = problems.filter((problem) => !expected(problem));
    },
  };
}
