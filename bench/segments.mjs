// @module The segments side of `npm run bench`: `valuebar segments compute` on generated orders exports (1,000,000
// orders in the generic layout; Shopify's export with its line items; the same customers with twice the orders,
// to show memory follows customers, not file size), and `segments push` into the bench's workerd.
import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { mkdir, readFile, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import { root } from "../scripts/dev-server.mjs";
import { genericOrdersCsv, shopifyCustomersCsv, shopifyOrdersCsv } from "../scripts/generate-orders.mjs";

/** Customers of the large generic file: with the generator's archetypes, about 3.1 orders each. */
const GENERIC_CUSTOMERS = 325_000;
const SHOPIFY_CUSTOMERS = 100_000;
const PUSH_ROWS = 50_000;

async function write(path, chunks) {
  const out = createWriteStream(path);
  for (const chunk of chunks) if (!out.write(chunk)) await new Promise((resolve) => out.once("drain", resolve));
  await new Promise((resolve, reject) => out.end((error) => (error ? reject(error) : resolve())));
  return (await stat(path)).size;
}

/** Every order of `chunks` twice, the copy under another order id: the same customers, twice the orders. */
function* doubled(chunks) {
  let first = true;
  for (const chunk of chunks) {
    if (first) {
      first = false;
      yield chunk;
      continue;
    }
    yield chunk + chunk.replace(/^([^,]*),([^,]*),/gm, "$1,$2b,");
  }
}

/** Runs the CLI; resolves with its wall time and the figures it reports (seconds, peak memory). */
function valuebar(args, env = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(root, "bin", "valuebar.mjs"), ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    child.on("close", (code) => {
      const seconds = (performance.now() - started) / 1000;
      if (code !== 0) return reject(new Error(`valuebar ${args.slice(0, 2).join(" ")} exited ${code}: ${stderr.slice(-2000)}`));
      const peak = /peak memory (\d+) MB/.exec(stderr);
      const read = /^Read ([\d,]+) order\(s\) of ([\d,]+) customer\(s\)/m.exec(stderr);
      const fit = /fitted model BG\/NBD \+ Gamma-Gamma .*, fitted in ([\d.]+) s\./.exec(stderr);
      const pushed = /^Pushed ([\d,]+) row\(s\).*: ([\d,]+) set, ([\d,]+) unchanged/m.exec(stderr);
      const number = (text) => Number(String(text).replace(/,/g, ""));
      resolve({
        seconds: Math.round(seconds * 100) / 100,
        ...(peak ? { peakMemoryMb: Number(peak[1]) } : {}),
        ...(fit ? { modelFitSeconds: Number(fit[1]) } : {}),
        ...(read ? { orders: number(read[1]), customers: number(read[2]) } : {}),
        ...(pushed ? { rows: number(pushed[1]), written: number(pushed[2]), unchanged: number(pushed[3]) } : {}),
      });
    });
    child.on("error", reject);
  });
}

export async function measureSegments(outDir, url, token) {
  const dir = join(outDir, "segments");
  await mkdir(dir, { recursive: true });
  try {
    // The first run bundles the CLI; keep that out of the figures.
    await valuebar(["segments", "rules"]);

    const generic = join(dir, "orders.csv");
    const genericBytes = await write(generic, genericOrdersCsv({ customers: GENERIC_CUSTOMERS, seed: 7, usdShare: 0.2 }));
    const genericRun = await valuebar(["segments", "compute", "--orders", generic, "--out", join(dir, "memberships.ndjson")]);

    const twice = join(dir, "orders-twice.csv");
    const twiceBytes = await write(twice, doubled(genericOrdersCsv({ customers: GENERIC_CUSTOMERS, seed: 7, usdShare: 0.2 })));
    const twiceRun = await valuebar(["segments", "compute", "--orders", twice, "--out", join(dir, "memberships-twice.ndjson")]);
    await rm(twice);

    const shopify = join(dir, "shopify-orders.csv");
    const customers = join(dir, "shopify-customers.csv");
    const shopifyBytes = await write(shopify, shopifyOrdersCsv({ customers: SHOPIFY_CUSTOMERS, seed: 8 }));
    await write(customers, shopifyCustomersCsv({ customers: SHOPIFY_CUSTOMERS, seed: 8 }));
    const shopifyRun = await valuebar(["segments", "compute", "--orders", shopify, "--customers", customers, "--out", join(dir, "shopify.ndjson")]);
    const shopifyRows = (await readFile(shopify, "utf8")).split("\n").length - 2;
    await rm(shopify);

    // Push: the first PUSH_ROWS memberships of the generic run, then the same file again (nothing changed).
    const lines = (await readFile(join(dir, "memberships.ndjson"), "utf8")).split("\n").slice(0, PUSH_ROWS).join("\n") + "\n";
    const pushFile = join(dir, "push.ndjson");
    await write(pushFile, [lines]);
    const env = { VALUEBAR_TOKEN: token };
    const push = await valuebar(["segments", "push", pushFile, "--site", "demo", "--url", url], env);
    const again = await valuebar(["segments", "push", pushFile, "--site", "demo", "--url", url], env);

    return {
      generic: { ...genericRun, fileBytes: genericBytes, ordersPerSecond: Math.round(genericRun.orders / genericRun.seconds) },
      sameCustomersTwiceTheOrders: { ...twiceRun, fileBytes: twiceBytes },
      shopify: { ...shopifyRun, rows: shopifyRows, fileBytes: shopifyBytes, ordersPerSecond: Math.round(shopifyRun.orders / shopifyRun.seconds) },
      push: { ...push, rowsPerSecond: Math.round(push.rows / push.seconds) },
      pushAgain: { ...again, rowsPerSecond: Math.round(again.rows / again.seconds) },
    };
  } finally {
    await rm(join(dir, "orders.csv"), { force: true });
  }
}
