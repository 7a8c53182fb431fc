/**
 * @module Vitest config for the Node suites: the command-line suites (test/cli), plain Node running the real
 * `valuebar` CLI as a child process, against files on disk and, for `segments push`, the Worker under
 * `wrangler dev`; and the static checks of the sources (test/static), e.g. that no regular expression in src
 * or snippet/src can backtrack super-linearly.
 *
 * Run: npx vitest run --config vitest.cli.config.ts
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/cli/**/*.test.ts", "test/static/**/*.test.ts"],
    environment: "node",
    // One file at a time: the machines have 2 cores, and the CLI bundles itself on first use.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
