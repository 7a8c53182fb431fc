// @module The edge side of `npm run bench` (issue 13; alone: `npm run build && node bench/run.mjs --edge-only`): a store page of about 50 KB served by a local origin, through
// one Worker on two store hostnames of its EDGE_SITES, one rewritten (edge mode) and one passed through
// (`rewrite = false`), in the same run. Reports, for the pass-through, an anonymous and an identified (VIP) visitor:
// requests/s at the bench's concurrency reading whole bodies, and the unloaded time to the first body byte; the goals
// are at least 0.8× the pass-through's throughput and under 1 ms added to its p50 time to first byte.
//
// The origin is a second Miniflare (its own workerd process) rather than a node:http server in this process: this
// process is the load generator, and an origin on its event loop would take the loops' CPU and add its own queueing
// to every time to first byte; an auxiliary worker in the Worker's own Miniflare would run on the Worker's thread
// (workerd runs all of a process's isolates on one), so its cost would be charged to both routes and flatten the ratio.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { machineBusySeconds, processCpuSeconds, spawnedWorkerd } from "./proc.mjs";

/** The two store hostnames of the bench's EDGE_SITES, both to the same origin and the demo site. */
export const EDGE_HOSTS = { rewritten: "shop.bench.test", passThrough: "plain.bench.test" };
/** Issue 13's goals: throughput against the pass-through, and time to first byte added at p50, unloaded. */
export const EDGE_GOALS = { throughput: 0.8, addedTtfbP50Ms: 1 };
const PAGE_BYTES = 50 * 1024;
// The unloaded loop's length, the three routes in turn: about 1,000 requests each, for a steady p50 of a difference.
const UNLOADED_MS = 6_000;
// As bench/run.mjs's identified snippet: the demo VIP, a returning visitor whose exposures this isolate has written.
const CUSTOMER_ID = "1001";
const VISITOR_ID = "0123456789abcdef0123456789abcdef";
const COMPATIBILITY_DATE = "2026-11-01";
const REWRITTEN_TIMING = 'edge;desc="rewritten"'; // EDGE_TIMING.rewritten in src/edge/rewrite.ts

/**
 * Starts the origin and the Worker (with EDGE_SITES to that origin, via `startWorker(edgeSites)`), seeds the demo
 * site (`seed(url)`), checks each route once, then measures; stops both at the end.
 * `load`: bench/run.mjs's LOAD (concurrency, warm-up, slices), so these figures are taken as the snippet's are.
 */
export async function measureEdge({ startWorker, seed, signingSecret, cfHeaders, load, demoConfig }) {
  const bench = await startEdgeBench({ startWorker, seed, signingSecret, cfHeaders, demoConfig });
  try {
    const runs = bench.scenarios.map((scenario) => ({
      scenario,
      agent: new Agent({ keepAlive: true, maxSockets: load.concurrency }),
      tally: newEdgeTally(),
      unloaded: newEdgeTally(),
      cpu: { client: 0, workerd: 0, origin: 0, system: 0 },
      seconds: 0,
    }));
    try {
      for (const run of runs) await runEdgeSlice(run.scenario, run.agent, load.warmupMs, load.concurrency, newEdgeTally(), load);
      for (let round = 0; round < load.rounds; round++) {
        for (const run of runs) {
          const before = cpuSnapshot(bench.worker.pid, bench.origin.pid);
          const started = performance.now();
          await runEdgeSlice(run.scenario, run.agent, load.durationMs / load.rounds, load.concurrency, run.tally, load);
          run.seconds += (performance.now() - started) / 1000;
          const after = cpuSnapshot(bench.worker.pid, bench.origin.pid);
          for (const key of Object.keys(run.cpu)) run.cpu[key] += after[key] - before[key];
        }
      }
      await measureUnloaded(runs, load);
    } finally {
      for (const run of runs) run.agent.destroy();
    }
    const routes = runs.map(summarize);
    return {
      page: { bytes: bench.page.length, products: bench.products },
      origin: bench.origin.description,
      hosts: EDGE_HOSTS,
      unloadedRequestsPerRoute: Math.min(...routes.map((r) => r.unloaded.requests)),
      routes,
      againstPassThrough: againstPassThrough(routes),
      goals: EDGE_GOALS,
    };
  } finally {
    await bench.stop();
  }
}

/**
 * The origin and the Worker running, the demo seeded, each route checked once: bench/profile.mjs's `--edge` loads
 * these same scenarios. The pass-through's first answer must carry the origin's own headers too (but Date).
 */
export async function startEdgeBench({ startWorker, seed, signingSecret, cfHeaders, demoConfig }) {
  const { page, products } = storePage();
  const origin = await startOrigin(page);
  let worker;
  try {
    worker = await startWorker(edgeSitesFor(origin.url));
    await seed(worker.url);
    const scenarios = edgeScenarios(worker.url, signingSecret, page, cfHeaders, demoConfig);
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      for (const scenario of scenarios) {
        // Twice: the first fills the isolate's config cache and writes the visitor's exposure.
        for (let i = 0; i < 2; i++) {
          const outcome = await getPage(scenario, agent, true);
          if (outcome.error) throw new Error(`${scenario.name}: ${outcome.error}`);
        }
      }
      const direct = await getPage({ name: "origin", url: `${origin.url}/`, headers: {}, check: () => null }, agent, true);
      const proxied = await getPage(scenarios[0], agent, true);
      const differ = headersDiffer(direct.headers, proxied.headers);
      if (differ) throw new Error(`the pass-through's headers are not the origin's: ${differ}`);
    } finally {
      agent.destroy();
    }
    const stop = async () => {
      await worker.stop();
      await origin.stop();
    };
    return { page, products, origin, worker, scenarios, stop };
  } catch (error) {
    await worker?.stop();
    await origin.stop();
    throw error;
  }
}

/** EDGE_SITES as wrangler.toml would hold it: the same origin and site on both hostnames, one not rewritten. */
export function edgeSitesFor(originUrl) {
  return {
    [EDGE_HOSTS.rewritten]: { site: "demo", origin: originUrl },
    [EDGE_HOSTS.passThrough]: { site: "demo", origin: originUrl, rewrite: false },
  };
}

/**
 * The three routes, each a check of its whole answer (an error otherwise):
 * - pass-through: the origin's bytes, exactly;
 * - edge anonymous: a returning visitor (`valuebar_vid`), in the US (the demo's US test shows a bar): rewritten, a bar;
 * - edge identified: the same plus the demo VIP's signed `valuebar_cid`: rewritten, the VIP's shipping message.
 */
export function edgeScenarios(workerUrl, signingSecret, page, cfHeaders, demoConfig) {
  const sig = createHmac("sha256", signingSecret).update(CUSTOMER_ID).digest("hex");
  const vipText = vipShippingText(demoConfig);
  const anonymousCookie = `valuebar_vid=${VISITOR_ID}; cart=3f9a; _ga=GA1.1.1234567890.1764000000`;
  const rewritten = (mustHave, mustNotHave) => (status, headers, body) => {
    if (status !== 200) return `status ${status}`;
    if (!String(headers["server-timing"] ?? "").includes(REWRITTEN_TIMING)) return `not rewritten (server-timing: ${headers["server-timing"]})`;
    if (body.length <= page.length) return `a body of ${body.length} B, no larger than the origin's page`;
    if (!body.includes('data-valuebar-placement="topbar"')) return "no bar in the page";
    if (mustHave && !body.includes(mustHave)) return `no "${mustHave}" in the page`;
    if (mustNotHave && body.includes(mustNotHave)) return `"${mustNotHave}" in an anonymous visitor's page`;
    return null;
  };
  // A browser's navigation, as Chromium sends one (the Worker may start a navigation's decision before the origin answers).
  const navigation = { accept: "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "sec-fetch-dest": "document", "sec-fetch-mode": "navigate", "user-agent": "Mozilla/5.0 (X11; Linux x86_64) valuebar-bench" };
  const at = (host, cookie) => ({ url: `${workerUrl}/`, headers: { ...cfHeaders, ...navigation, host, cookie } });
  return [
    {
      name: "pass-through",
      ...at(EDGE_HOSTS.passThrough, anonymousCookie),
      check: (status, headers, body) => {
        if (status !== 200) return `status ${status}`;
        if (!body.equals(page)) return `not the origin's bytes (${body.length} B against ${page.length} B)`;
        if (headers["set-cookie"] || headers["server-timing"]) return "a header of ours on a pass-through answer";
        return null;
      },
    },
    { name: "edge anonymous", ...at(EDGE_HOSTS.rewritten, anonymousCookie), check: rewritten(null, vipText), countsReads: true },
    { name: "edge identified", ...at(EDGE_HOSTS.rewritten, `valuebar_cid=${CUSTOMER_ID}.${sig}; ${anonymousCookie}`), check: rewritten(vipText, null), countsReads: true },
  ];
}

/** The demo VIP's shipping message (src/demo/config.json): in an identified page, never in an anonymous one. */
function vipShippingText(config) {
  const campaign = config.campaigns.find((c) => c.id === "vip-shipping");
  const text = campaign?.variants[0]?.message?.text;
  if (typeof text !== "string") throw new Error("the demo config has no vip-shipping message: bench/edge.mjs checks identified pages by it");
  return text;
}

/** What runEdgeSlice needs of bench/run.mjs's LOAD when it is run by bench/profile.mjs. */
export const edgeScenarioLoad = { maxRequestsPerSlice: 1_000_000, requestTimeoutMs: 5_000 };

export const newEdgeTally = () => ({ ttfb: [], total: [], errors: 0, errorSamples: [], reads: [] });

/** `concurrency` closed loops for `durationMs`, each sending its next request when the whole previous answer is read. */
export async function runEdgeSlice(scenario, agent, durationMs, concurrency, tally, load) {
  const deadline = performance.now() + durationMs;
  const cap = tally.total.length + tally.errors + load.maxRequestsPerSlice;
  const loop = async () => {
    while (performance.now() < deadline && tally.total.length + tally.errors < cap) record(tally, scenario, await getPage(scenario, agent, false, load.requestTimeoutMs));
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

/** One loop, the routes in turn request by request: whatever else the machine does falls on each route alike. */
async function measureUnloaded(runs, load) {
  const agents = runs.map(() => new Agent({ keepAlive: true, maxSockets: 1 }));
  try {
    // The one-socket agents' connections, opened before the clock starts.
    for (const [i, run] of runs.entries()) await getPage(run.scenario, agents[i], false, load.requestTimeoutMs);
    const deadline = performance.now() + UNLOADED_MS;
    while (performance.now() < deadline) {
      for (const [i, run] of runs.entries()) record(run.unloaded, run.scenario, await getPage(run.scenario, agents[i], false, load.requestTimeoutMs));
    }
  } finally {
    for (const agent of agents) agent.destroy();
  }
}

function record(tally, scenario, outcome) {
  if (outcome.error) {
    tally.errors++;
    if (tally.errorSamples.length < 5) tally.errorSamples.push(outcome.error);
    return;
  }
  tally.ttfb.push(outcome.ttfbMs);
  tally.total.push(outcome.totalMs);
  if (scenario.countsReads) tally.reads.push(outcome.reads);
}

/**
 * One GET, read to its end: time to the first body byte and to the last, and the scenario's check of the whole
 * answer. `keepHeaders` returns the headers too (the pass-through's first answer is compared with the origin's).
 */
function getPage(scenario, agent, keepHeaders, timeoutMs = 5_000) {
  return new Promise((resolve) => {
    const started = performance.now();
    let ttfbMs = NaN;
    const req = request(scenario.url, { agent, headers: scenario.headers, timeout: timeoutMs }, (res) => {
      const chunks = [];
      res.on("data", (chunk) => {
        if (chunks.length === 0) ttfbMs = performance.now() - started;
        chunks.push(chunk);
      });
      res.on("error", (error) => resolve({ error: error.message }));
      res.on("end", () => {
        const totalMs = performance.now() - started;
        const body = Buffer.concat(chunks);
        const problem = scenario.check(res.statusCode, res.headers, body);
        if (problem) return resolve({ error: problem });
        const reads = /kv;desc="reads=(\d+)"/.exec(String(res.headers["server-timing"] ?? ""));
        resolve({ ttfbMs, totalMs, reads: reads ? Number(reads[1]) : NaN, ...(keepHeaders ? { headers: res.headers } : {}) });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${timeoutMs} ms`)));
    req.on("error", (error) => resolve({ error: error.message }));
    req.end();
  });
}

/** The first header (but Date, which the clock moves) whose value differs, or null. */
function headersDiffer(origin, proxied) {
  const names = new Set([...Object.keys(origin), ...Object.keys(proxied)]);
  names.delete("date");
  for (const name of names) if (JSON.stringify(origin[name]) !== JSON.stringify(proxied[name])) return `${name}: ${origin[name]} (origin) against ${proxied[name]}`;
  return null;
}

function cpuSnapshot(workerPid, originPid) {
  const usage = process.cpuUsage();
  return { client: (usage.user + usage.system) / 1e6, workerd: processCpuSeconds(workerPid), origin: processCpuSeconds(originPid), system: machineBusySeconds() };
}

function summarize({ scenario, tally, unloaded, cpu, seconds }) {
  const requests = tally.total.length;
  const sorted = (values) => Float64Array.from(values).sort();
  const reads = [...tally.reads, ...unloaded.reads];
  return {
    name: scenario.name,
    requests,
    errors: tally.errors + unloaded.errors,
    errorSamples: [...tally.errorSamples, ...unloaded.errorSamples].slice(0, 5),
    rps: Math.round(requests / seconds),
    p50Ms: round(percentile(sorted(tally.total), 0.5), 2),
    p99Ms: round(percentile(sorted(tally.total), 0.99), 2),
    unloaded: {
      requests: unloaded.total.length,
      ttfbP50Ms: round(percentile(sorted(unloaded.ttfb), 0.5), 3),
      ttfbP90Ms: round(percentile(sorted(unloaded.ttfb), 0.9), 3),
      lastByteP50Ms: round(percentile(sorted(unloaded.total), 0.5), 3),
    },
    workerdCpuMsPerRequest: round((cpu.workerd * 1000) / Math.max(requests, 1), 3),
    originCpuMsPerRequest: round((cpu.origin * 1000) / Math.max(requests, 1), 3),
    coresBusy: {
      loadGenerator: round(cpu.client / seconds, 2),
      workerd: round(cpu.workerd / seconds, 2),
      origin: round(cpu.origin / seconds, 2),
      otherProcesses: round(Math.max(0, cpu.system - cpu.client - cpu.workerd - cpu.origin) / seconds, 2),
    },
    ...(scenario.countsReads ? { kvReadsPerRequest: round(reads.reduce((a, b) => a + b, 0) / Math.max(reads.length, 1), 4) } : {}),
  };
}

/** Each edge route against the pass-through of the same run: the goals' two figures, and the CPU ratio beside them. */
function againstPassThrough(routes) {
  const [passThrough, ...edge] = routes;
  return edge.map((r) => {
    const throughput = round(r.rps / passThrough.rps, 2);
    const addedTtfbP50Ms = round(r.unloaded.ttfbP50Ms - passThrough.unloaded.ttfbP50Ms, 3);
    return {
      name: r.name,
      throughput,
      throughputMet: throughput >= EDGE_GOALS.throughput,
      addedTtfbP50Ms,
      addedTtfbMet: addedTtfbP50Ms < EDGE_GOALS.addedTtfbP50Ms,
      addedLastByteP50Ms: round(r.unloaded.lastByteP50Ms - passThrough.unloaded.lastByteP50Ms, 3),
      workerdCpuPerRequest: round(r.workerdCpuMsPerRequest / passThrough.workerdCpuMsPerRequest, 2),
    };
  });
}

/** The edge figures as markdown tables, for bench/run.mjs's report. */
export function edgeReport(edge) {
  const n = (value) => value.toLocaleString("en-US");
  return [
    `| edge mode: a ${n(edge.page.bytes)} B store page from a local origin (${edge.origin}) | req/s | p50 ms | p99 ms | unloaded TTFB p50 ms | unloaded last byte p50 ms | workerd CPU ms/req | origin CPU ms/req | errors | KV reads/req |`,
    "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ...edge.routes.map(
      (r) =>
        `| ${r.name} | ${n(r.rps)} | ${r.p50Ms} | ${r.p99Ms} | ${r.unloaded.ttfbP50Ms} | ${r.unloaded.lastByteP50Ms} | ${r.workerdCpuMsPerRequest} | ${r.originCpuMsPerRequest} | ${r.errors} | ${r.kvReadsPerRequest ?? "n/a"} |`,
    ),
    "",
    `| against the pass-through | throughput (goal ≥ ${EDGE_GOALS.throughput}×) | added TTFB p50 ms, unloaded (goal < ${EDGE_GOALS.addedTtfbP50Ms} ms) | added last byte p50 ms | workerd CPU/req |`,
    "|---|---:|---:|---:|---:|",
    ...edge.againstPassThrough.map(
      (x) =>
        `| ${x.name} | ${x.throughput}× (${x.throughputMet ? "ok" : "below"}) | ${x.addedTtfbP50Ms} (${x.addedTtfbMet ? "ok" : "over"}) | ${x.addedLastByteP50Ms} | ${x.workerdCpuPerRequest}× |`,
    ),
    "",
    "| cores busy while measured (edge) | load generator | workerd (Worker) | workerd (origin) | other processes |",
    "|---|---:|---:|---:|---:|",
    ...edge.routes.map((r) => `| ${r.name} | ${r.coresBusy.loadGenerator} | ${r.coresBusy.workerd} | ${r.coresBusy.origin} | ${r.coresBusy.otherProcesses} |`),
    ...edge.routes.filter((r) => r.errors).map((r) => `\nerrors in ${r.name}: ${r.errorSamples.join("; ")}`),
  ];
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted, q) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : NaN;
}

const round = (value, digits) => Number(value.toFixed(digits));

/**
 * The origin: one module worker in its own workerd, answering `GET /` with the page (as bytes encoded once: an origin
 * serving a cached page) and the headers a store's page has; anything else 404.
 */
export async function startOrigin(page) {
  const script = `
    let body;
    export default {
      fetch(request, env) {
        if (new URL(request.url).pathname !== "/") return new Response("not found", { status: 404 });
        body ??= new TextEncoder().encode(env.PAGE);
        return new Response(body, {
          headers: {
            "content-type": "text/html; charset=utf-8",
            "cache-control": "private, no-cache",
            "content-security-policy": "frame-ancestors 'self'",
            "x-content-type-options": "nosniff",
            vary: "Accept-Encoding",
          },
        });
      },
    };`;
  const { mf, pid, url } = await startModuleWorker("store-origin", script, { PAGE: { type: "text", value: page.toString("utf8") } }, "the bench's origin");
  return { url, pid, description: "a second workerd through Miniflare", stop: () => mf.dispose() };
}

/**
 * One module worker (`script`, its `env` bindings) in a workerd of its own, reached on a direct socket: the bench's
 * origin, and bench/rewriter-cost.mjs's rewriter. `what` names it in a failure.
 */
export async function startModuleWorker(name, script, env, what) {
  const { started: mf, pid } = await spawnedWorkerd(async () => {
    const mf = new Miniflare({
      host: "127.0.0.1",
      port: 0,
      cf: false,
      enableDevRegistry: false,
      telemetry: { enabled: false },
      logRequests: false,
      workers: [
        {
          config: { name, compatibilityDate: COMPATIBILITY_DATE, manifest: { mainModule: "main.js", modules: { "main.js": { type: "esm", contents: script } } }, env },
          dev: { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] },
        },
      ],
    });
    try {
      await mf.ready;
    } catch (error) {
      await mf.dispose().catch(() => {});
      throw new Error(`${what} did not start: ${error.message}`, { cause: error });
    }
    return mf;
  });
  return { mf, pid, url: (await mf.unsafeGetDirectURL(name)).origin };
}

/**
 * A store's collection page of about PAGE_BYTES: a head with its meta tags, preloads, an inline stylesheet and
 * structured data; a header with navigation (no topbar slot: the bar goes at the top of the body), a grid of
 * product cards, the shipping and returns elements marked for valuebar, a footer and the store's own scripts.
 * As many products as fit under PAGE_BYTES.
 */
export function storePage() {
  const css = [
    ":root{--ink:#1b1b1f;--muted:#5d5d66;--accent:#0a5c4a;--line:#e4e2dc;--paper:#fbfaf7;--radius:10px}",
    "*,*::before,*::after{box-sizing:border-box}html{-webkit-text-size-adjust:100%}body{margin:0;font:16px/1.5 'Inter',system-ui,sans-serif;color:var(--ink);background:var(--paper)}",
    ...["header", "nav", "main", "footer", "aside", "section"].map((tag) => `${tag}{display:block}`),
    ".site-header{display:flex;align-items:center;justify-content:space-between;padding:16px 32px;border-bottom:1px solid var(--line);background:#fff;position:sticky;top:0;z-index:10}",
    ".site-header .logo{font-weight:700;letter-spacing:.04em;font-size:20px;color:var(--ink);text-decoration:none}",
    ".nav{display:flex;gap:20px;list-style:none;margin:0;padding:0}.nav a{color:var(--ink);text-decoration:none;font-size:14px}.nav a:hover{color:var(--accent)}",
    ".collection{max-width:1280px;margin:0 auto;padding:24px 32px}.collection h1{font-size:32px;margin:0 0 8px}.collection .intro{color:var(--muted);max-width:60ch}",
    ".notes{display:flex;gap:24px;margin:16px 0 24px;font-size:14px}.notes p{margin:0;padding:8px 12px;border:1px solid var(--line);border-radius:var(--radius);background:#fff}",
    ".grid{display:grid;grid-template-columns:repeat(auto-fill,minmax(240px,1fr));gap:24px;list-style:none;margin:0;padding:0}",
    ".card{background:#fff;border:1px solid var(--line);border-radius:var(--radius);overflow:hidden;display:flex;flex-direction:column}",
    ".card img{width:100%;height:auto;aspect-ratio:4/5;object-fit:cover;background:#eee}.card .body{padding:12px 16px 16px;display:flex;flex-direction:column;gap:6px}",
    ".card h2{font-size:16px;margin:0}.card h2 a{color:inherit;text-decoration:none}.price{font-weight:600}.price s{color:var(--muted);font-weight:400;margin-left:6px}",
    ".rating{color:#b7791f;font-size:13px}.swatches{display:flex;gap:6px}.swatch{width:14px;height:14px;border-radius:50%;border:1px solid var(--line)}",
    ".add{margin-top:auto;padding:10px;border:0;border-radius:6px;background:var(--accent);color:#fff;font-weight:600;cursor:pointer}.add:hover{filter:brightness(1.1)}",
    ".badge{position:absolute;top:10px;left:10px;background:#fff;border-radius:4px;padding:2px 8px;font-size:12px;font-weight:600}",
    ".site-footer{border-top:1px solid var(--line);margin-top:48px;padding:32px;display:grid;grid-template-columns:repeat(4,1fr);gap:24px;font-size:14px;color:var(--muted)}",
    ".site-footer a{color:inherit}.site-footer h3{color:var(--ink);font-size:14px;margin:0 0 8px}",
    "@media (max-width:720px){.site-header{padding:12px 16px}.nav{display:none}.collection{padding:16px}.grid{grid-template-columns:repeat(2,1fr);gap:12px}.site-footer{grid-template-columns:1fr 1fr}}",
    "@media (prefers-reduced-motion:reduce){*{transition:none!important;animation:none!important}}",
  ].join("\n");
  const navigation = ["New in", "Women", "Men", "Outerwear", "Knitwear", "Shoes", "Accessories", "Home", "Gifts", "Sale", "Journal", "Stores"];
  const head = [
    "<!doctype html>",
    '<html lang="en">',
    "<head>",
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    "<title>Winter collection – Northwind Outfitters</title>",
    '<meta name="description" content="Coats, knitwear and boots for the cold months, made to last. Free returns within 30 days.">',
    '<link rel="canonical" href="https://shop.example.com/collections/winter">',
    '<link rel="preconnect" href="https://cdn.example.com" crossorigin>',
    '<link rel="preload" href="https://cdn.example.com/fonts/inter-var.woff2" as="font" type="font/woff2" crossorigin>',
    '<link rel="stylesheet" href="https://cdn.example.com/assets/theme.4f1c2a.css">',
    '<meta property="og:title" content="Winter collection">',
    '<meta property="og:image" content="https://cdn.example.com/images/winter-hero.jpg">',
    `<style>${css}</style>`,
    '<script src="https://cdn.example.com/assets/theme.9b3e11.js" defer></script>',
    "<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments)}gtag('js',new Date());gtag('config','G-BENCH0001');</script>",
    "</head>",
  ];
  const header = [
    '<body class="template-collection">',
    '<header class="site-header"><a class="logo" href="/">Northwind</a>',
    `<nav aria-label="Main"><ul class="nav">${navigation.map((item) => `<li><a href="/collections/${item.toLowerCase().replace(/\W+/g, "-")}">${item}</a></li>`).join("")}</ul></nav>`,
    '<a href="/cart" class="cart" aria-label="Cart, 2 items">Cart (2)</a></header>',
    '<main class="collection"><h1>Winter collection</h1>',
    '<p class="intro">Coats, knitwear and boots for the cold months, made from wool, down and waxed cotton that last for years. Repairs are free for the first two years.</p>',
    '<div class="notes"><p data-valuebar="shipping">Free shipping on orders over $75</p><p data-valuebar="returns">Free returns within 30 days</p></div>',
    '<ul class="grid">',
  ];
  const footer = [
    "</ul></main>",
    '<footer class="site-footer">',
    ...["Help", "About", "Stores", "Follow"].map(
      (title, i) => `<div><h3>${title}</h3><ul>${Array.from({ length: 5 }, (_, j) => `<li><a href="/pages/${title.toLowerCase()}-${j + 1}">${title} link ${i * 5 + j + 1}</a></li>`).join("")}</ul></div>`,
    ),
    "<p>© 2026 Northwind Outfitters. Prices include VAT where it applies.</p></footer>",
    '<script type="application/ld+json">{"@context":"https://schema.org","@type":"CollectionPage","name":"Winter collection"}</script>',
    "<script>document.querySelectorAll('.add').forEach(function(b){b.addEventListener('click',function(){b.textContent='Added'})})</script>",
    "</body>",
    "</html>",
  ];
  const fabrics = ["merino wool", "recycled down", "waxed cotton", "lambswool", "organic cotton", "alpaca blend"];
  const kinds = ["coat", "parka", "cardigan", "sweater", "beanie", "scarf", "boot", "glove"];
  const card = (i) => {
    const fabric = fabrics[i % fabrics.length];
    const kind = kinds[i % kinds.length];
    const slug = `${fabric.replace(/ /g, "-")}-${kind}-${i + 1}`;
    const price = 29 + ((i * 37) % 260);
    const sale = i % 4 === 0 ? ` <s>$${price + 40}.00</s>` : "";
    const image = `https://cdn.example.com/products/${slug}`;
    return (
      `<li class="card" data-product-id="${8_000_100 + i}">` +
      `<a href="/products/${slug}" tabindex="-1"><img src="${image}-480.jpg" srcset="${image}-240.jpg 240w, ${image}-480.jpg 480w, ${image}-960.jpg 960w" sizes="(max-width: 720px) 50vw, 240px" width="480" height="600" loading="${i < 4 ? "eager" : "lazy"}" alt="${fabric} ${kind}, front view"></a>` +
      `<div class="body"><h2><a href="/products/${slug}">The ${fabric} ${kind}</a></h2>` +
      `<span class="price">$${price}.00${sale}</span><span class="rating" aria-label="Rated ${4 + (i % 10) / 10} out of 5">★★★★☆ (${12 + ((i * 7) % 180)})</span>` +
      `<span class="swatches">${["#2f3b2f", "#8b6f47", "#1b1b1f"].map((color) => `<span class="swatch" style="background:${color}"></span>`).join("")}</span>` +
      `<form action="/cart/add" method="post"><input type="hidden" name="id" value="${8_000_100 + i}"><button class="add" type="submit">Add to cart</button></form></div></li>`
    );
  };
  const build = (count) => [...head, ...header, ...Array.from({ length: count }, (_, i) => card(i)), ...footer].join("\n");
  let products = 1;
  while (Buffer.byteLength(build(products + 1)) <= PAGE_BYTES) products++;
  return { page: Buffer.from(build(products)), products };
}

/** The demo config as `npm start` seeds it (src/demo/config.json). */
export function readDemoConfig(root) {
  return JSON.parse(readFileSync(join(root, "src/demo/config.json"), "utf8"));
}

