/**
 * @module The Worker's bundle, as `wrangler deploy` would upload it, within its gzip budget (60 KiB from issue 12, 61 KiB since issue 14), with
 * the static files out of it: the editor's script and style and the config's JSON Schema are Workers Static Assets
 * (wrangler.toml `[assets]`), which the bundle must not carry as well. Needs `npm run build` first (the bundle embeds
 * the snippet runtime, and wrangler reads the assets directory).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { WorkerBundle } from "../../scripts/worker-bundle.mjs";
import { bundleWorker, WORKER_BUNDLE_GZIP_BUDGET } from "../../scripts/worker-bundle.mjs";

const outDir = mkdtempSync(join(tmpdir(), "valuebar-bundle-"));
let bundle: WorkerBundle | undefined;
const built = async (): Promise<WorkerBundle> => (bundle ??= await bundleWorker(outDir));

describe("the Worker bundle", () => {
  afterAll(() => rmSync(outDir, { recursive: true, force: true }));

  it(`is at most ${WORKER_BUNDLE_GZIP_BUDGET.toLocaleString("en")} B gzip`, async () => {
    const { raw, gzip } = await built();
    console.log(`Worker bundle: ${raw} B raw, ${gzip} B gzip (budget ${WORKER_BUNDLE_GZIP_BUDGET} B)`);
    expect(gzip).toBeLessThanOrEqual(WORKER_BUNDLE_GZIP_BUDGET);
  });

  it("carries neither the editor's script or style nor the JSON Schema and its generator", async () => {
    const { text } = await built();
    // Strings only those files hold: the sign-in's answer to a bad token, a rule of the editor's style, the
    // schema's draft and zod's JSON Schema generator's own error.
    expect(text).not.toContain("This token is not valid for that site.");
    expect(text).not.toContain(".segment-list");
    expect(text).not.toContain("json-schema.org/draft/2020-12");
    expect(text).not.toContain("cannot be represented in JSON Schema");
  });

  it("carries no demo store (wrangler.toml defines __DEMO__ false; local development builds it in), and both runtimes", async () => {
    const { text } = await built();
    // The demo store's name, in its page's title and header; the demo's sign-in route.
    expect(text).not.toContain("Northwind Outfitters");
    expect(text).not.toContain("/store/sign-in");
    // The snippet route's runtime and the edge rewrite's: each defines __vbr.
    expect(text.split("var __vbr=").length - 1).toBe(2);
  });

});
