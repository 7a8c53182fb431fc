// `npm start`: builds the snippet, the editor and the config schema (the editor and the schema into the static
// assets, dist/assets), starts the Worker with `wrangler dev` on http://localhost:8787, seeds the demo site and
// prints where everything is. Ctrl-C stops it.
//
// The demo store in both modes: script mode at /demo (the page loads the snippet), edge mode at
// http://edge.localhost:8787/store, a hostname of EDGE_SITES whose origin is this same Worker's plain /store page
// (browsers and curl resolve *.localhost to the loopback themselves; wrangler dev keeps the Host header).
import { execFileSync } from "node:child_process";
import { ensureDevVars, seedDemo, startWorker } from "./dev-server.mjs";

const vars = ensureDevVars();
for (const script of ["scripts/build-snippet.mjs", "scripts/build-editor.mjs", "scripts/build-schema.mjs"]) execFileSync(process.execPath, [script], { stdio: "inherit" });
const port = Number(process.env.PORT ?? 8787);
console.log(`Starting the Worker (wrangler dev) on port ${port}...`);
// EDGE_SITES keys are hostnames without the port; the origin is the Worker's own loopback address, not a hostname
// of the table, so the proxied request reaches the plain page.
const edgeSites = { "edge.localhost": { site: "demo", origin: `http://127.0.0.1:${port}` } };
const worker = await startWorker({ port, quiet: false, vars: { EDGE_SITES: JSON.stringify(edgeSites) } });
const { personas } = await seedDemo(worker.url, vars.ADMIN_TOKEN);
const base = `http://localhost:${port}`;
console.log(`
valuebar is running.
  Demo store, side by side in its two modes (the same store, the same decision):
    script mode:   ${base}/demo   (the page loads the snippet; switch between ${personas.length} demo customers, anonymous, and US visitors)
    edge mode:     http://edge.localhost:${port}/store   (the Worker in front of the store writes the messages into its HTML;
                   sign in as a demo customer and decline analytics with the store's own links)
    its origin:    ${base}/store  (the same page as the store serves it: no tag of ours)
  Editor:          ${base}/admin  (site "demo", token: ADMIN_TOKEN in .dev.vars)
  Snippet:         ${base}/v1/s/demo.js
  Decision JSON:   ${base}/v1/decide/demo?country=US
  Config schema:   ${base}/v1/schema/config.json
  Admin API:       ${base}/admin/sites/demo/config  (Authorization: Bearer <ADMIN_TOKEN>)
  Admin token:     ADMIN_TOKEN in .dev.vars (random, written by npm start)
Press Ctrl-C to stop.
`);
const shutdown = async () => {
  await worker.stop();
  process.exit(0);
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
