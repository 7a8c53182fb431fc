// `npm start`: builds the snippet, the editor and the config schema (the editor and the schema into the static
// assets, dist/assets), starts the Worker with `wrangler dev` on http://localhost:8787, seeds the demo site and
// prints where everything is. Ctrl-C stops it.
import { execFileSync } from "node:child_process";
import { ensureDevVars, seedDemo, startWorker } from "./dev-server.mjs";

const vars = ensureDevVars();
for (const script of ["scripts/build-snippet.mjs", "scripts/build-editor.mjs", "scripts/build-schema.mjs"]) execFileSync(process.execPath, [script], { stdio: "inherit" });
const port = Number(process.env.PORT ?? 8787);
console.log(`Starting the Worker (wrangler dev) on port ${port}...`);
const worker = await startWorker({ port, quiet: false });
const { personas } = await seedDemo(worker.url, vars.ADMIN_TOKEN);
const base = `http://localhost:${port}`;
console.log(`
valuebar is running.
  Demo store:      ${base}/demo   (switch between ${personas.length} demo customers, anonymous, and US visitors)
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
