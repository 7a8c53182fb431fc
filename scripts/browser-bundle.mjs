// @module One esbuild setup for the code that runs in shoppers' and marketers' browsers: bundled, minified for
// es2020, no legal comments, returned as text rather than written.
import { build } from "esbuild";

/**
 * The minified bundle of `entry` in `format` ("esm" or "iife"), without its trailing newline. With `tsconfig`,
 * every file is compiled as that config says, the modules it imports from src/core included (by default each file
 * follows its nearest tsconfig.json). `define` replaces global names with constants (esbuild's `define`).
 */
export async function browserBundle(entry, format, tsconfig, define) {
  const result = await build({
    ...(tsconfig ? { tsconfig } : {}),
    ...(define ? { define } : {}),
    entryPoints: [entry],
    bundle: true,
    format,
    minify: true,
    target: "es2020",
    platform: "browser",
    legalComments: "none",
    write: false,
    logLevel: "warning",
  });
  const text = (result.outputFiles[0]?.text ?? "").trimEnd();
  if (!text) throw new Error(`esbuild produced no output for ${entry}`);
  return text;
}
