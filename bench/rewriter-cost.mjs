// @module `node bench/rewriter-cost.mjs`: what HTMLRewriter itself costs over the bench's 50 KB store page
// (bench/edge.mjs's page and origin), by selector set, to tell the rewrite's own work from the runtime's. A small
// Worker of its own (not valuebar's) fetches the page from the origin and returns it through each variant; 32 loops
// load each in turn (4 rounds of 1 s) and the Worker's workerd CPU per request is printed against the plain
// pass-through's. Handlers do nothing but what the variant names, so the figures are HTMLRewriter's and workerd's.
import { Agent } from "node:http";
import { edgeScenarioLoad, newEdgeTally, runEdgeSlice, startModuleWorker, startOrigin, storePage } from "./edge.mjs";
import { processCpuSeconds } from "./proc.mjs";

const CONCURRENCY = 32;
const ROUNDS = 4;
const SLICE_MS = 1_000;

// Each variant: the origin's Response in, the Response out. `noop` handlers still cross from the parser into JS.
const VARIANTS = `
const noop = () => {};
const SCRIPT = "<script>" + "x".repeat(6000) + "</script>"; // the runtime's size
const BAR = "<div>" + "y".repeat(1500) + "</div>"; // about a bar's markup
export const variants = {
  "pass-through": (r) => r,
  "HTMLRewriter, no handler": (r) => new HTMLRewriter().transform(r),
  "one no-op handler on head": (r) => new HTMLRewriter().on("head", { element: noop }).transform(r),
  "a 6 KB script before </head> (head end tag handler)": (r) => new HTMLRewriter().on("head", { element: (e) => e.onEndTag((end) => end.before(SCRIPT, { html: true })) }).transform(r),
  "a 6 KB script before </head> (head append)": (r) => new HTMLRewriter().on("head", { element: (e) => e.append(SCRIPT, { html: true }) }).transform(r),
  "src/edge/rewrite.ts's selectors, no-op handlers": (r) => new HTMLRewriter().on("script[nonce]", { element: noop }).on("head", { element: noop }).on("body > *", { element: noop }).on('[data-valuebar="topbar"]', { element: noop }).on('[data-valuebar="shipping"], [data-valuebar="returns"]', { element: noop }).onDocument({ end: noop }).transform(r),
  "the same without body > *": (r) => new HTMLRewriter().on("script[nonce]", { element: noop }).on("head", { element: noop }).on('[data-valuebar="topbar"]', { element: noop }).on('[data-valuebar="shipping"], [data-valuebar="returns"]', { element: noop }).onDocument({ end: noop }).transform(r),
  "the same without the [data-valuebar=...] selectors": (r) => new HTMLRewriter().on("script[nonce]", { element: noop }).on("head", { element: noop }).on("body > *", { element: noop }).onDocument({ end: noop }).transform(r),
  "one [data-valuebar] selector instead of three": (r) => new HTMLRewriter().on("script[nonce]", { element: noop }).on("head", { element: noop }).on("body > *", { element: noop }).on("[data-valuebar]", { element: noop }).onDocument({ end: noop }).transform(r),
  "script, bar and two texts in three handlers (head append, body prepend, [data-valuebar])": (r) => new HTMLRewriter().on("head", { element: (e) => e.append(SCRIPT, { html: true }) }).on("body", { element: (e) => e.prepend(BAR, { html: true }) }).on("[data-valuebar]", { element: (e) => e.setInnerContent("Free shipping on orders over $75.00", { html: false }) }).transform(r),
};`;

async function main() {
  const { page } = storePage();
  const origin = await startOrigin(page);
  const script = `${VARIANTS}
const names = Object.keys(variants);
export default {
  async fetch(request) {
    const variant = variants[names[Number(new URL(request.url).pathname.slice(1))]];
    const origin = await fetch(${JSON.stringify(origin.url)} + "/");
    const out = variant(origin);
    return out === origin ? out : new Response(out.body, { headers: { "content-type": "text/html; charset=utf-8" } });
  },
};`;
  let worker;
  try {
    const started = await startModuleWorker("rewriter", script, {}, "the rewriter's worker");
    worker = { started: started.mf, pid: started.pid };
    const { url } = started;
    const names = [...VARIANTS.matchAll(/^ {2}"([^"]+)":/gm)].map((m) => m[1] ?? "");
    const check = (status, _headers, body) => (status === 200 && body.length >= page.length ? null : `status ${status}, ${body.length} B`);
    const runs = names.map((name, i) => ({ name, scenario: { name, url: `${url}/${i}`, headers: {}, check }, agent: new Agent({ keepAlive: true, maxSockets: CONCURRENCY }), tally: newEdgeTally(), cpu: 0 }));
    try {
      for (const run of runs) await runEdgeSlice(run.scenario, run.agent, SLICE_MS / 2, CONCURRENCY, newEdgeTally(), edgeScenarioLoad);
      for (let round = 0; round < ROUNDS; round++) {
        for (const run of runs) {
          const before = processCpuSeconds(worker.pid);
          await runEdgeSlice(run.scenario, run.agent, SLICE_MS, CONCURRENCY, run.tally, edgeScenarioLoad);
          run.cpu += processCpuSeconds(worker.pid) - before;
        }
      }
    } finally {
      for (const run of runs) run.agent.destroy();
    }
    const perRequest = (run) => (run.cpu * 1e6) / Math.max(run.tally.total.length, 1);
    const base = perRequest(runs[0]);
    console.log(`HTMLRewriter over a ${page.length.toLocaleString("en-US")} B page: workerd CPU per request, ${CONCURRENCY} loops, ${ROUNDS} rounds of ${SLICE_MS / 1000} s\n`);
    console.log("| variant | req/s | workerd CPU µs/req | beyond the pass-through | errors |\n|---|---:|---:|---:|---:|");
    for (const run of runs) {
      const us = perRequest(run);
      console.log(`| ${run.name} | ${Math.round(run.tally.total.length / ((ROUNDS * SLICE_MS) / 1000)).toLocaleString("en-US")} | ${us.toFixed(0)} | ${run === runs[0] ? "" : `+${(us - base).toFixed(0)}`} | ${run.tally.errors} |`);
    }
  } finally {
    await worker?.started.dispose();
    await origin.stop();
  }
}

try {
  await main();
} catch (error) {
  console.error(`rewriter-cost failed: ${error.message}`);
  process.exit(2);
}
