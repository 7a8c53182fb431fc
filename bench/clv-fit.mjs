// @module The customer-value models' fit time on the bench's store: the 325,000 customers of bench/segments.mjs's
// generic file (scripts/generate-orders.mjs, seed 1), each reduced to the BG/NBD's (x, tₓ, T) in days (one
// transaction a calendar day, T to the as-of day) and the Gamma-Gamma's (x, mean repeat order value), then
// fitBgNbd and fitGammaGamma (src/core/clv), each timed on its own. Not yet part of `npm run bench`: the compute
// that will run the fit is; this measures the fit alone meanwhile.
//
// Run: node bench/clv-fit.mjs [customers]
import { build } from "esbuild";
import { rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { root } from "../scripts/dev-server.mjs";
import { generateCustomers } from "../scripts/generate-orders.mjs";

const DAY = 86_400_000;
const customers = Number(process.argv[2] ?? 325_000);
const asOf = Date.UTC(2026, 10, 1, 12);

const bundle = join(tmpdir(), `valuebar-clv-${process.pid}.mjs`);
await build({
  stdin: { contents: 'export * from "./src/core/clv/bg-nbd"; export * from "./src/core/clv/gamma-gamma";', resolveDir: root, loader: "ts" },
  bundle: true,
  format: "esm",
  platform: "neutral",
  outfile: bundle,
  logLevel: "warning",
});
const { fitBgNbd, fitGammaGamma, expectedRepeatOrders } = await import(pathToFileURL(bundle).href);
await rm(bundle);

const histories = [];
const spend = [];
const asOfDay = Math.floor(asOf / DAY);
for (const block of generateCustomers({ customers, asOf })) {
  const days = new Map();
  for (const order of block.orders) {
    const byDay = days.get(order.customer.id) ?? new Map();
    days.set(order.customer.id, byDay);
    const day = Math.floor(order.at / DAY);
    byDay.set(day, (byDay.get(day) ?? 0) + order.total);
  }
  for (const byDay of days.values()) {
    const sorted = [...byDay.keys()].sort((p, q) => p - q);
    const first = sorted[0];
    const repeats = sorted.slice(1).map((d) => byDay.get(d));
    histories.push({ x: repeats.length, tx: sorted.at(-1) - first, T: asOfDay - first });
    spend.push({ x: repeats.length, meanValue: repeats.length ? repeats.reduce((s, v) => s + v, 0) / repeats.length : 0 });
  }
}
const distinct = new Set(histories.map((h) => `${h.x} ${h.tx} ${h.T}`)).size;

let started = performance.now();
const bg = fitBgNbd(histories);
const bgSeconds = (performance.now() - started) / 1000;
started = performance.now();
const gg = fitGammaGamma(spend);
const ggSeconds = (performance.now() - started) / 1000;
started = performance.now();
let expected = 0;
for (const h of histories) expected += expectedRepeatOrders(bg.params, h, 365);
const expectSeconds = (performance.now() - started) / 1000;

console.log(JSON.stringify({
  customers: histories.length,
  distinctHistories: distinct,
  repeatBuyers: spend.filter((s) => s.x > 0).length,
  bgNbd: { ...bg, seconds: bgSeconds },
  gammaGamma: { ...gg, seconds: ggSeconds },
  expectedRepeatOrders365: { total: expected, seconds: expectSeconds },
}, null, 1));
