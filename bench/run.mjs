// @module `npm run bench`: serves the deployable bundle in workerd through Miniflare (a direct socket, no dev proxy),
// seeds the demo site, loads five routes of the same Worker (bare health, two floors, two snippet routes) and reports
// throughput, latency, KV reads per request and sizes against their budgets; then edge mode against a pass-through
// (bench/edge.mjs), on a second start of the same bundle. Writes bench/out/results.json.
import { createHmac, randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { Agent, request } from "node:http";
import { availableParallelism, cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { Miniflare } from "miniflare";
import { root, seedDemo } from "../scripts/dev-server.mjs";
import { bundleWorker, WORKER_BUNDLE_GZIP_BUDGET } from "../scripts/worker-bundle.mjs";
import { edgeReport, measureEdge, readDemoConfig } from "./edge.mjs";
import { measureEvents, measureResults } from "./experiments.mjs";
import { measureSegments } from "./segments.mjs";
import { machineBusySeconds, processCpuSeconds, spawnedWorkerd } from "./proc.mjs";

export { processCpuSeconds };

const OUT = join(root, "bench/out");
const BUNDLE_DIR = join(OUT, "bundle");
const LOAD = { concurrency: 32, warmupMs: 1_000, durationMs: 5_000, rounds: 5, unloadedMs: 1_000, requestTimeoutMs: 5_000, maxRequestsPerSlice: 100_000 };
// The identified response carries the customer's events token (about 80 B gzipped), hence 3,600.
const BUDGETS = { runtimeGzip: 2_900, responseGzip: 3_600, workerBundleGzip: WORKER_BUNDLE_GZIP_BUDGET };
const VISITOR_ID = "0123456789abcdef0123456789abcdef";
const CUSTOMER_ID = "1001";
const COMPATIBILITY_DATE = "2026-11-01";
// What Cloudflare's edge hands every request as `request.cf`; workerd reads it from this header on Miniflare's sockets.
export const EDGE_HEADERS = { "mf-cf-blob": JSON.stringify({ country: "US" }) };

async function main() {
  const secrets = { ADMIN_TOKEN: `bench-admin-${randomBytes(12).toString("hex")}`, SIGNING_SECRET: `bench-signing-${randomBytes(12).toString("hex")}` };
  // Read before bundling: the bundle embeds this same build (other work on the checkout may rebuild it later).
  const runtime = readRuntime();
  const bundle = await bundleWorker(BUNDLE_DIR);
  const { values: only } = parseArgs({ options: { "edge-only": { type: "boolean", default: false }, "results-only": { type: "boolean", default: false } } });
  if (only["edge-only"]) return edgeOnly(bundle, secrets);
  if (only["results-only"]) return resultsOnly(bundle, secrets);
  const worker = await startWorker(bundle.path, secrets);
  const stopOnSignal = async () => {
    await worker.stop();
    process.exit(130);
  };
  process.once("SIGINT", stopOnSignal);
  process.once("SIGTERM", stopOnSignal);

  let results;
  try {
    await seedDemo(worker.url, secrets.ADMIN_TOKEN);
    await worker.seedBenchProbe();
    const scenarios = scenarioList(worker.url, secrets.SIGNING_SECRET, runtime);
    const sample = await fetchSnippet(scenarios.find((s) => s.name === "snippet identified").url);
    const load = await measureLoad(scenarios, worker.pid);
    const events = await measureEvents(worker.url, secrets.ADMIN_TOKEN, EDGE_HEADERS, worker.pid);
    const experimentResults = await measureResults(worker.url, secrets.ADMIN_TOKEN, await worker.experiments(), secrets.SIGNING_SECRET);
    const segments = await measureSegments(OUT, worker.url, secrets.ADMIN_TOKEN);
    results = {
      date: new Date().toISOString(),
      machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? "unknown", node: process.version },
      server: worker.description,
      load: { ...LOAD, scenarios: load, ratios: ratiosToBare(load), floor: ratiosToFloor(load) },
      experiments: { events, results: experimentResults },
      segments,
      sizes: sizes(runtime, bundle, sample),
    };
  } finally {
    await worker.stop();
  }
  // A Worker of its own: with EDGE_SITES set every request parses its URL to look its hostname up, which the script
  // mode figures above must not carry (they are compared across runs, and a deployment without edge mode skips it).
  results.edge = await measureEdgeMode(bundle, secrets);

  await mkdir(OUT, { recursive: true });
  await writeFile(join(OUT, "results.json"), JSON.stringify(results, null, 2) + "\n");
  console.log(report(results));
  const errors = [...results.load.scenarios, ...results.edge.routes].reduce((sum, s) => sum + s.errors, 0);
  if (errors > 0) {
    console.error(`\n${errors} request(s) failed: see "errors" above.`);
    process.exit(1);
  }
}

function measureEdgeMode(bundle, secrets) {
  return measureEdge({
    startWorker: (edgeSites) => startWorker(bundle.path, secrets, { edgeSites }),
    seed: (url) => seedDemo(url, secrets.ADMIN_TOKEN),
    signingSecret: secrets.SIGNING_SECRET,
    cfHeaders: EDGE_HEADERS,
    load: LOAD,
    demoConfig: readDemoConfig(root),
  });
}

/** `--results-only`: the results route for 1,000,000 units alone, printed and not written. */
async function resultsOnly(bundle, secrets) {
  const worker = await startWorker(bundle.path, secrets);
  try {
    const measured = await measureResults(worker.url, secrets.ADMIN_TOKEN, await worker.experiments(), secrets.SIGNING_SECRET);
    console.log(JSON.stringify(measured, null, 2));
  } finally {
    await worker.stop();
  }
}

/** `--edge-only`: the edge figures alone, printed and not written (bench/out/results.json keeps the last full run). */
async function edgeOnly(bundle, secrets) {
  const edge = await measureEdgeMode(bundle, secrets);
  console.log(edgeReport(edge).join("\n"));
  if (edge.routes.some((r) => r.errors > 0)) process.exit(1);
}

/** The built snippet runtime, without the trailing newline, as scripts/build-snippet.mjs measures it. */
export function readRuntime() {
  const file = join(root, "snippet/dist/runtime.js");
  if (!existsSync(file)) throw new Error("snippet/dist is missing: run `npm run bench`, which builds the snippet first");
  return readFileSync(file, "utf8").trimEnd();
}

/**
 * The bundle in workerd through Miniflare, on a free port of 127.0.0.1, with ephemeral storage (gone on stop).
 * `inspectorPort` opens workerd's DevTools inspector there (bench/profile.mjs); `edgeSites` is the Worker's
 * EDGE_SITES table (bench/edge.mjs), absent otherwise, as in script mode.
 * @returns {Promise<{url: string, pid: number | null, description: string, stop: () => Promise<void>}>}
 */
export async function startWorker(bundlePath, secrets, { inspectorPort, edgeSites } = {}) {
  const name = "valuebar";
  let mf;
  let pid;
  try {
    ({ started: mf, pid } = await spawnedWorkerd(() => newWorker(name, bundlePath, secrets, { inspectorPort, edgeSites })));
  } catch (error) {
    throw new Error(`the Worker did not start under Miniflare: ${error.message}`, { cause: error });
  }
  let stopped;
  const stop = () => (stopped ??= mf.dispose().catch((error) => console.error(`stopping Miniflare: ${error.message}`)));
  try {
    const url = (await mf.unsafeGetDirectURL(name)).origin;
    const health = await fetch(`${url}/v1/health`, { headers: EDGE_HEADERS });
    if (!health.ok) throw new Error(`GET /v1/health answered ${health.status}`);
    const { version } = JSON.parse(readFileSync(join(root, "node_modules/miniflare/package.json"), "utf8"));
    return {
      url,
      pid,
      description: `Miniflare ${version}: workerd with a direct socket to the Worker on ${url}`,
      stop,
      experiments: () => mf.getDurableObjectNamespace("EXPERIMENTS", name),
      // The small value GET /v1/bench/kv.js reads (BENCH_PROBE_KEY of src/storage/keys.ts), a membership's size.
      inspector: () => mf.getInspectorURL(),
      seedBenchProbe: async () => (await mf.getKVNamespace("KV", name)).put("bench:probe", JSON.stringify({ segments: ["vip"] })),
    };
  } catch (error) {
    await stop();
    throw new Error(`the Worker did not start under Miniflare: ${error.message}`, { cause: error });
  }
}

/** The Miniflare of startWorker, ready (its workerd spawned and listening). */
async function newWorker(name, bundlePath, secrets, { inspectorPort, edgeSites }) {
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    cf: false, // no fetching of a real cf object from the network (the direct socket takes EDGE_HEADERS' instead)
    enableDevRegistry: false, // stay invisible to any `wrangler dev` running on this machine
    telemetry: { enabled: false },
    logRequests: false,
    ...(inspectorPort === undefined ? {} : { inspectorPort }),
    workers: [
      {
        config: {
          name,
          compatibilityDate: COMPATIBILITY_DATE,
          manifest: { mainModule: "index.js", modules: { "index.js": { type: "esm", contents: readFileSync(bundlePath, "utf8") } } },
          env: {
            KV: { type: "kv", id: "bench-kv" },
            SITE_ADMIN: { type: "durable-object", worker: name, exportName: "SiteAdmin" },
            EXPERIMENTS: { type: "durable-object", worker: name, exportName: "ExperimentShard" },
            ADMIN_TOKEN: { type: "text", value: secrets.ADMIN_TOKEN },
            SIGNING_SECRET: { type: "text", value: secrets.SIGNING_SECRET },
            DEMO_STORE: { type: "text", value: "on" },
            // The reference routes the snippet is measured against (src/routes/bench.ts); "off" in wrangler.toml.
            BENCH_ROUTES: { type: "text", value: "on" },
            // The bindings of wrangler.toml, turned off: the bench measures the Worker, from one client IP.
            PAGE_RATE_LIMIT: { type: "rate-limit", namespace: "9001", simple: { limit: 600, period: 10 } },
            EVENT_RATE_LIMIT: { type: "rate-limit", namespace: "9002", simple: { limit: 300, period: 10 } },
            RATE_LIMITS: { type: "text", value: "off" },
            ...(edgeSites === undefined ? {} : { EDGE_SITES: { type: "json", value: edgeSites } }),
            // The events queue of wrangler.toml, its consumer with the same settings (the bench's queue lag is theirs).
            EVENTS: { type: "queue", name: "valuebar-events" },
            // No ASSETS (wrangler.toml's [assets]): with assets, Miniflare puts its assets router in front of the
            // direct socket below, in this same workerd, and GET /v1/health fell from about 12,000 to 4,400 req/s.
            // The bench's routes never read the assets (only GET /admin and the schema do).
          },
          triggers: [{ type: "queue", name: "valuebar-events", maxBatchSize: 100, maxBatchTimeout: 1, maxRetries: 10, deadLetterQueue: "valuebar-events-dlq" }],
          exports: { SiteAdmin: { type: "durable-object", storage: "sqlite" }, ExperimentShard: { type: "durable-object", storage: "sqlite" } },
        },
        // A workerd socket straight to the Worker, as with plain `workerd serve`: Miniflare's own entry worker
        // (its dev front door on mf.ready's URL) costs about as much CPU per request as the bare route itself.
        dev: { unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }] },
      },
    ],
  });
  try {
    await mf.ready;
  } catch (error) {
    await mf.dispose().catch(() => {});
    throw error;
  }
  return mf;
}

/** The deployable bundle, for bench/profile.mjs (the argument is the output folder where bundling takes one). */
export const bundleDeployable = () => bundleWorker(BUNDLE_DIR);

/**
 * The five routes, all on the same Worker. `head` is how the body must start; `floor` names the reference route a
 * snippet route is held to (0.8× its throughput): what serving the same bytes costs with no decision, and with the
 * one KV get an identified visitor cannot do without.
 */
export function scenarioList(url, signingSecret, runtime) {
  const sig = createHmac("sha256", signingSecret).update(CUSTOMER_ID).digest("hex");
  const snippetHead = "(function(){";
  const runtimeHead = runtime.slice(0, 12);
  return [
    { name: "bare health", url: `${url}/v1/health`, head: "ok", countsReads: false },
    { name: "static runtime", url: `${url}/v1/bench/static.js`, head: runtimeHead, countsReads: true, expectedReads: 0 },
    { name: "static runtime + KV get", url: `${url}/v1/bench/kv.js`, head: runtimeHead, countsReads: true, expectedReads: 1 },
    { name: "snippet anonymous", url: `${url}/v1/s/demo.js?vid=${VISITOR_ID}&path=/`, head: snippetHead, countsReads: true, expectedReads: 0, floor: "static runtime" },
    {
      name: "snippet identified",
      url: `${url}/v1/s/demo.js?cid=${CUSTOMER_ID}&sig=${sig}&vid=${VISITOR_ID}&path=/`,
      head: snippetHead,
      countsReads: true,
      expectedReads: 1,
      floor: "static runtime + KV get",
    },
  ];
}

/** One identified response: the body a VIP's browser gets, checked to be a real snippet for a known customer. */
async function fetchSnippet(url) {
  await fetch(url, { headers: EDGE_HEADERS }).then((res) => res.arrayBuffer()); // fills the isolate's config cache: only the membership is read next
  const res = await fetch(url, { headers: EDGE_HEADERS });
  const body = await res.text();
  if (res.status !== 200 || !body.startsWith("(function(){")) throw new Error(`the identified snippet is not served (${res.status}): ${body.slice(0, 200)}`);
  if (kvReadsOf(res.headers.get("server-timing")) !== 1) throw new Error(`the identified snippet did not read the membership: ${res.headers.get("server-timing")}`);
  return body;
}

/**
 * Each route is warmed up, then measured in `rounds` slices taken in turn (bare, anonymous, identified, bare, ...)
 * so that a burst of other work on a shared machine lands on every route alike; last, one loop per route for the
 * latency without queueing.
 */
export async function measureLoad(scenarios, workerPid) {
  const runs = scenarios.map((scenario) => ({
    scenario,
    agent: new Agent({ keepAlive: true, maxSockets: LOAD.concurrency }),
    tally: newTally(),
    unloaded: newTally(),
    cpu: { client: 0, workerd: 0, system: 0 },
    seconds: 0,
  }));
  try {
    for (const run of runs) await runSlice(run.scenario, run.agent, LOAD.warmupMs, LOAD.concurrency, newTally());
    for (let round = 0; round < LOAD.rounds; round++) {
      for (const run of runs) await measureSlice(run, workerPid);
    }
    for (const run of runs) await runSlice(run.scenario, run.agent, LOAD.unloadedMs, 1, run.unloaded);
    return runs.map(summarize);
  } finally {
    for (const run of runs) run.agent.destroy();
  }
}

/** One measured slice of a route, with the CPU time this process, workerd and the whole machine spent meanwhile. */
async function measureSlice(run, workerPid) {
  const before = cpuSnapshot(workerPid);
  const started = performance.now();
  await runSlice(run.scenario, run.agent, LOAD.durationMs / LOAD.rounds, LOAD.concurrency, run.tally);
  run.seconds += (performance.now() - started) / 1000;
  const after = cpuSnapshot(workerPid);
  for (const key of Object.keys(run.cpu)) run.cpu[key] += after[key] - before[key];
}

export const newTally = () => ({ latencies: [], errors: 0, errorSamples: [], reads: [] });

/** `concurrency` closed loops, each sending its next request when the previous one is answered. */
export async function runSlice(scenario, agent, durationMs, concurrency, tally) {
  const deadline = performance.now() + durationMs;
  const cap = tally.latencies.length + tally.errors + LOAD.maxRequestsPerSlice;
  const loop = async () => {
    while (performance.now() < deadline && tally.latencies.length + tally.errors < cap) {
      const t0 = performance.now();
      const outcome = await getOnce(scenario, agent);
      if (outcome.error) {
        tally.errors++;
        if (tally.errorSamples.length < 5) tally.errorSamples.push(outcome.error);
      } else {
        tally.latencies.push(performance.now() - t0);
        if (scenario.countsReads) tally.reads.push(outcome.reads);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, loop));
}

/** One request; an error unless it is a 200 with the body (and, for snippets, the header) the route promises. */
function getOnce(scenario, agent) {
  return new Promise((resolve) => {
    const req = request(scenario.url, { agent, headers: EDGE_HEADERS, timeout: LOAD.requestTimeoutMs }, (res) => {
      let head = "";
      res.setEncoding("utf8");
      res.on("data", (chunk) => {
        if (head.length < scenario.head.length) head += chunk;
      });
      res.on("error", (error) => resolve({ error: error.message }));
      res.on("end", () => {
        if (res.statusCode !== 200) return resolve({ error: `status ${res.statusCode}` });
        if (!head.startsWith(scenario.head)) return resolve({ error: `unexpected body ${head.slice(0, 40)}...` });
        if (!scenario.countsReads) return resolve({});
        const reads = kvReadsOf(res.headers["server-timing"]);
        if (reads === null) return resolve({ error: "no server-timing kv reads" });
        resolve({ reads });
      });
    });
    req.on("timeout", () => req.destroy(new Error(`timeout after ${LOAD.requestTimeoutMs} ms`)));
    req.on("error", (error) => resolve({ error: error.message }));
    req.end();
  });
}

/** N from `kv;desc="reads=N"`, or null. */
function kvReadsOf(serverTiming) {
  const match = /kv;desc="reads=(\d+)"/.exec(serverTiming ?? "");
  return match ? Number(match[1]) : null;
}

function summarize({ scenario, tally, unloaded, cpu, seconds }) {
  const sorted = Float64Array.from(tally.latencies).sort();
  const summary = {
    name: scenario.name,
    ...(scenario.floor ? { floor: scenario.floor } : {}),
    requests: sorted.length,
    errors: tally.errors + unloaded.errors,
    errorSamples: [...tally.errorSamples, ...unloaded.errorSamples].slice(0, 5),
    rps: Math.round(sorted.length / seconds),
    p50Ms: round(percentile(sorted, 0.5), 2),
    p99Ms: round(percentile(sorted, 0.99), 2),
    unloadedP50Ms: round(percentile(Float64Array.from(unloaded.latencies).sort(), 0.5), 2),
    workerdCpuMsPerRequest: round((cpu.workerd * 1000) / Math.max(sorted.length, 1), 3),
    coresBusy: {
      loadGenerator: round(cpu.client / seconds, 2),
      workerd: round(cpu.workerd / seconds, 2),
      otherProcesses: round(Math.max(0, cpu.system - cpu.client - cpu.workerd) / seconds, 2),
    },
  };
  if (!scenario.countsReads) return summary;
  const reads = [...tally.reads, ...unloaded.reads];
  return {
    ...summary,
    kvReads: {
      expected: scenario.expectedReads,
      mean: round(reads.reduce((a, b) => a + b, 0) / Math.max(reads.length, 1), 4),
      max: Math.max(0, ...reads),
      requestsOffExpected: reads.filter((r) => r !== scenario.expectedReads).length,
    },
  };
}

/** Nearest-rank percentile of an ascending array. */
function percentile(sorted, q) {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] : NaN;
}

/** Each other scenario against the bare route of the same Worker: what the route's own work costs. */
function ratiosToBare(scenarios) {
  const [bare, ...others] = scenarios;
  return others.map((s) => ({
    name: s.name,
    throughput: round(s.rps / bare.rps, 2),
    p50: round(s.p50Ms / bare.p50Ms, 2),
    p99: round(s.p99Ms / bare.p99Ms, 2),
    workerdCpuPerRequest: round(s.workerdCpuMsPerRequest / bare.workerdCpuMsPerRequest, 2),
  }));
}

// Issue 12: each snippet route serves at least this share of its floor's throughput.
const FLOOR_GOAL = 0.8;

/** Each snippet route against its floor (scenarioList's `floor`): the goal is at least FLOOR_GOAL× its throughput. */
function ratiosToFloor(scenarios) {
  return scenarios
    .filter((s) => s.floor)
    .map((s) => {
      const floor = scenarios.find((f) => f.name === s.floor);
      const throughput = round(s.rps / floor.rps, 2);
      return {
        name: s.name,
        floor: floor.name,
        throughput,
        goal: FLOOR_GOAL,
        met: throughput >= FLOOR_GOAL,
        unloadedP50: round(s.unloadedP50Ms / floor.unloadedP50Ms, 2),
        workerdCpuPerRequest: round(s.workerdCpuMsPerRequest / floor.workerdCpuMsPerRequest, 2),
      };
    });
}

function sizes(runtimeJs, bundle, sampleBody) {
  const runtime = Buffer.from(runtimeJs);
  const response = Buffer.from(sampleBody);
  return {
    runtime: { raw: runtime.length, gzip: gzipSize(runtime), brotli: brotliSize(runtime), gzipBudget: BUDGETS.runtimeGzip },
    identifiedResponse: { raw: response.length, gzip: gzipSize(response), brotli: brotliSize(response), gzipBudget: BUDGETS.responseGzip },
    workerBundle: { raw: bundle.raw, gzip: bundle.gzip, brotli: brotliSize(Buffer.from(bundle.text)), gzipBudget: BUDGETS.workerBundleGzip },
  };
}

const gzipSize = (data) => gzipSync(data, { level: 9 }).length;
// The same parameters as scripts/build-snippet.mjs, so the runtime figures match the build's.
const brotliSize = (data) =>
  brotliCompressSync(data, {
    params: {
      [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY,
      [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
      [constants.BROTLI_PARAM_SIZE_HINT]: data.length,
    },
  }).length;

/** CPU seconds used so far by this process, by workerd (NaN when not found) and by the whole machine (Linux). */
function cpuSnapshot(workerPid) {
  const usage = process.cpuUsage();
  return { client: (usage.user + usage.system) / 1e6, workerd: processCpuSeconds(workerPid), system: machineBusySeconds() };
}

const round = (value, digits) => Number(value.toFixed(digits));
const bytes = (n) => n.toLocaleString("en-US");
const mb = (n) => `${(n / 1e6).toFixed(0)} MB`;

/** Events/s against the bare route's requests/s in the same run: comparable across machines, as the ratios are. */
function eventsAgainstBare(r) {
  const bare = r.load.scenarios.find((s) => s.name === "bare health");
  return bare ? ` (${round(r.experiments.events.eventsPerSecond / bare.rps, 2)}× bare health's req/s)` : "";
}

/** The results as markdown tables: readable in a terminal, pasteable into bench/README.md. */
function report(r) {
  const { scenarios, ratios, floor } = r.load;
  const within = (size, budget) => (size <= budget ? `${bytes(budget)} (ok)` : `${bytes(budget)} (OVER by ${bytes(size - budget)})`);
  const reads = (s) => (s.kvReads ? `${s.kvReads.mean} (expected ${s.kvReads.expected}; ${s.kvReads.requestsOffExpected} requests ≠ ${s.kvReads.expected}, max ${s.kvReads.max})` : "n/a");
  const sizeRow = (label, size, budget) =>
    `| ${label} | ${bytes(size.raw)} | ${bytes(size.gzip)} | ${size.brotli === undefined ? "" : bytes(size.brotli)} | ${budget === undefined ? "" : within(size.gzip, budget)} |`;
  return [
    `valuebar bench: ${r.server}; ${r.machine.cores} cores (${r.machine.cpu}), Node ${r.machine.node}`,
    `Load: ${LOAD.concurrency} closed loops on keep-alive connections; per route ${LOAD.warmupMs / 1000} s warm-up, then ${LOAD.durationMs / 1000} s measured ` +
      `in ${LOAD.rounds} slices taken in turn with the other routes; "unloaded" is one loop for ${LOAD.unloadedMs / 1000} s.`,
    "",
    "| route | req/s | p50 ms | p99 ms | unloaded p50 ms | workerd CPU ms/req | errors | KV reads/req |",
    "|---|---:|---:|---:|---:|---:|---:|---|",
    ...scenarios.map((s) => `| ${s.name} | ${bytes(s.rps)} | ${s.p50Ms} | ${s.p99Ms} | ${s.unloadedP50Ms} | ${s.workerdCpuMsPerRequest} | ${s.errors} | ${reads(s)} |`),
    "",
    "| against bare health | throughput | p50 | p99 | workerd CPU/req |",
    "|---|---:|---:|---:|---:|",
    ...ratios.map((x) => `| ${x.name} | ${x.throughput}× | ${x.p50}× | ${x.p99}× | ${x.workerdCpuPerRequest}× |`),
    "",
    `| against its floor (goal ${FLOOR_GOAL}× throughput) | floor | throughput | unloaded p50 | workerd CPU/req |`,
    "|---|---|---:|---:|---:|",
    ...floor.map((x) => `| ${x.name} | ${x.floor} | ${x.throughput}× (${x.met ? "ok" : "below"}) | ${x.unloadedP50}× | ${x.workerdCpuPerRequest}× |`),
    "",
    "| cores busy while measured | load generator | workerd | other processes |",
    "|---|---:|---:|---:|",
    ...scenarios.map((s) => `| ${s.name} | ${s.coresBusy.loadGenerator} | ${s.coresBusy.workerd} | ${s.coresBusy.otherProcesses} |`),
    "",
    "| experiments | figure |",
    "|---|---|",
    `| events route (purchase beacons of ${r.experiments.events.visitors} exposed visitors, ${r.experiments.events.concurrency} loops), accepted onto the queue | ` +
      `${bytes(r.experiments.events.eventsPerSecond)} events/s${eventsAgainstBare(r)}, p50 ${r.experiments.events.p50Ms} ms, p99 ${r.experiments.events.p99Ms} ms, statuses ${JSON.stringify(r.experiments.events.statuses)} |`,
    `| events queue: counted after it drained | ${bytes(r.experiments.events.queue.counted)} of ${bytes(r.experiments.events.accepted)} accepted, each once; ` +
      `${bytes(r.experiments.events.queue.countedWhenLoadEnded)} counted when the load ended; lag from the last accepted to the last counted ${r.experiments.events.queue.lagMs} ms (polled every ${r.experiments.events.queue.pollMs} ms) |`,
    `| CPU per accepted event | workerd ${r.experiments.events.workerdCpuMsPerEvent.whileAccepting} ms while accepting (route, queue and consumer), ${r.experiments.events.workerdCpuMsPerEvent.untilCounted} ms until counted; load generator ${r.experiments.events.clientCpuMsPerEvent} ms |`,
    `| results route, ${bytes(r.experiments.results.units)} units in ${r.experiments.results.shards} shards (${bytes(r.experiments.results.conversions)} clicks and purchases), ` +
      `covariates and ${r.experiments.results.segmentCells} segment cells | ` +
      `median ${r.experiments.results.medianMs} ms of ${r.experiments.results.resultsMs.join(", ")} ms (seeding took ${r.experiments.results.seedSeconds} s); ` +
      `${r.experiments.results.ratioToWithout}× the same units without (median ${r.experiments.results.withoutSegments.medianMs} ms) |`,
    "",
    "| segments CLI | figure |",
    "|---|---|",
    `| compute, generic CSV: ${bytes(r.segments.generic.orders)} orders of ${bytes(r.segments.generic.customers)} customers (${mb(r.segments.generic.fileBytes)}) | ` +
      `${r.segments.generic.seconds} s (${bytes(r.segments.generic.ordersPerSecond)} orders/s), peak memory ${r.segments.generic.peakMemoryMb} MB` +
      `${r.segments.generic.modelFitSeconds !== undefined ? `, of which the value model's fit ${r.segments.generic.modelFitSeconds} s` : ""} |`,
    `| compute, the same customers with twice the orders (${bytes(r.segments.sameCustomersTwiceTheOrders.orders)}, ${mb(r.segments.sameCustomersTwiceTheOrders.fileBytes)}) | ` +
      `${r.segments.sameCustomersTwiceTheOrders.seconds} s, peak memory ${r.segments.sameCustomersTwiceTheOrders.peakMemoryMb} MB |`,
    `| compute, Shopify export: ${bytes(r.segments.shopify.orders)} orders in ${bytes(r.segments.shopify.rows)} line-item rows (${mb(r.segments.shopify.fileBytes)}) | ` +
      `${r.segments.shopify.seconds} s (${bytes(r.segments.shopify.ordersPerSecond)} orders/s), peak memory ${r.segments.shopify.peakMemoryMb} MB |`,
    `| push ${bytes(r.segments.push.rows)} memberships (batches of 10,000) | ${r.segments.push.seconds} s (${bytes(r.segments.push.rowsPerSecond)} rows/s), ${bytes(r.segments.push.written)} written |`,
    `| push the same file again | ${r.segments.pushAgain.seconds} s (${bytes(r.segments.pushAgain.rowsPerSecond)} rows/s), ${bytes(r.segments.pushAgain.unchanged)} unchanged (no KV write) |`,
    "",
    "| bytes | raw | gzip -9 | brotli 11 | gzip budget |",
    "|---|---:|---:|---:|---|",
    sizeRow("snippet runtime (snippet/dist/runtime.js)", r.sizes.runtime, r.sizes.runtime.gzipBudget),
    sizeRow("whole snippet response (identified VIP)", r.sizes.identifiedResponse, r.sizes.identifiedResponse.gzipBudget),
    sizeRow("Worker bundle (wrangler deploy --dry-run; editor and schema in the static assets)", r.sizes.workerBundle, r.sizes.workerBundle.gzipBudget),
    "",
    ...edgeReport(r.edge),
    ...scenarios.filter((s) => s.errors).map((s) => `\nerrors in ${s.name}: ${s.errorSamples.join("; ")}`),
    "",
    `Written to ${join(OUT, "results.json")}`,
  ].join("\n");
}

// Run as `node bench/run.mjs`; imported by bench/profile.mjs for its Worker and load.
if (process.argv[1] === import.meta.filename) {
  try {
    await main();
  } catch (error) {
    console.error(`bench failed: ${error.message}`);
    process.exit(2);
  }
}
