/**
 * @module Writes the config's JSON Schema, derived by zod from src/core/config-schema.ts, into the static assets
 * (dist/assets/v1/schema/config.json). GET /v1/schema/config.json reads it through the ASSETS binding and adds the
 * `$id` of the host asked, so the Worker carries neither the JSON nor zod's JSON Schema generator (about 7 KB gzip).
 *
 * Usage: npm run build:schema
 */
import { mkdir, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("..", import.meta.url));
const out = `${root}dist/assets/v1/schema`;

const bundle = await build({
  entryPoints: [`${root}src/core/config-schema.ts`],
  bundle: true,
  format: "esm",
  platform: "neutral",
  write: false,
  logLevel: "warning",
});
const { configJsonSchema } = await import(`data:text/javascript;base64,${Buffer.from(bundle.outputFiles[0].text).toString("base64")}`);
const json = JSON.stringify(configJsonSchema());
await mkdir(out, { recursive: true });
await writeFile(`${out}/config.json`, json);
console.log(`config schema: ${Buffer.byteLength(json)} B (${out}/config.json)`);
