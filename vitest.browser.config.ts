/**
 * @module Vitest config for the real-browser suites (test/browser): plain Node, driving Debian's Chromium
 * through playwright-core. Separate from the Worker suites, which run inside workerd.
 *
 * Run: npm run build:snippet && npx vitest run --config vitest.browser.config.ts
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/browser/**/*.test.ts"],
    environment: "node",
    // Says once per run when Chromium is missing (and fails on CI instead of skipping).
    globalSetup: ["test/browser/chromium.ts"],
    // One browser at a time: the machines have 2 cores.
    fileParallelism: false,
    testTimeout: 30_000,
    hookTimeout: 60_000,
  },
});
