#!/usr/bin/env node
// @module `npx valuebar ...`: bundles the TypeScript CLI (src/cli) with esbuild, then runs it. The bundle is
// rebuilt whenever a source is newer than it, so a checkout never runs stale code.
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// One bundle per checkout: worktrees share node_modules (a symlink), and a bundle is fresh by its time alone, so a
// shared name would run one checkout's code in another.
const out = join(root, "node_modules", ".cache", "valuebar", `cli-${createHash("sha256").update(root).digest("hex").slice(0, 12)}.mjs`);

/** The newest modification time under the folders the CLI is built from. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

if (!existsSync(out) || statSync(out).mtimeMs < Math.max(newest(join(root, "src", "cli")), newest(join(root, "src", "core")))) {
  const { build } = await import("esbuild");
  const result = await build({
    entryPoints: [join(root, "src", "cli", "main.ts")],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    packages: "external",
    outfile: out,
    write: false,
    logLevel: "warning",
  });
  // Written aside and renamed, so two runs starting at once never import half a bundle.
  mkdirSync(dirname(out), { recursive: true });
  const temporary = `${out}.${process.pid}.tmp`;
  writeFileSync(temporary, result.outputFiles[0].contents);
  renameSync(temporary, out);
}
const { main } = await import(pathToFileURL(out).href);
process.exitCode = await main(process.argv.slice(2));
