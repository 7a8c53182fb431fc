// @module `node bench/profile.mjs`: where the snippet route's time goes. Serves the same bundle as `npm run bench`
// (bench/run.mjs's Worker, routes and load), opens workerd's DevTools inspector and records a V8 CPU profile of the
// Worker's isolate while 32 loops load one route, for each route named (default: both snippet routes and their
// floors). Prints each profile's self time by source file of the bundle and by function, and the inclusive time of
// the functions that take most; the raw profiles go to bench/out/profile-*.cpuprofile (Chrome DevTools opens them).
//
//   node bench/profile.mjs [--seconds 5] [--top 25] [--only "snippet anonymous,static runtime"]
//   node bench/profile.mjs --edge [--only "edge anonymous"]   edge mode's routes (bench/edge.mjs) instead
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { Agent } from "node:http";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { root, seedDemo } from "../scripts/dev-server.mjs";
import { edgeScenarioLoad, newEdgeTally, readDemoConfig, runEdgeSlice, startEdgeBench } from "./edge.mjs";
import { bundleDeployable, EDGE_HEADERS, newTally, processCpuSeconds, readRuntime, runSlice, scenarioList, startWorker } from "./run.mjs";

const OUT = join(root, "bench/out");
const CONCURRENCY = 32;
const DEFAULT_ROUTES = ["static runtime", "snippet anonymous", "static runtime + KV get", "snippet identified"];
const EDGE_ROUTES = ["pass-through", "edge anonymous", "edge identified"];

const { values: args } = parseArgs({
  options: { seconds: { type: "string", default: "5" }, top: { type: "string", default: "25" }, only: { type: "string" }, edge: { type: "boolean", default: false } },
});

async function main() {
  const secrets = { ADMIN_TOKEN: `bench-admin-${randomBytes(12).toString("hex")}`, SIGNING_SECRET: `bench-signing-${randomBytes(12).toString("hex")}` };
  const runtime = readRuntime();
  const bundle = await bundleDeployable();
  const mapFile = `${bundle.path}.map`;
  const sections = existsSync(mapFile) ? sourceMapped(JSON.parse(readFileSync(mapFile, "utf8"))) : bundleSections(readFileSync(bundle.path, "utf8"));
  const target = args.edge ? await edgeTarget(bundle, secrets) : await snippetTarget(bundle, secrets, runtime);
  const { worker } = target;
  try {
    const wanted = args.only ? args.only.split(",").map((s) => s.trim()) : args.edge ? EDGE_ROUTES : DEFAULT_ROUTES;
    const scenarios = target.scenarios.filter((s) => wanted.includes(s.name));
    const inspector = await connect(await worker.inspector());
    try {
      await inspector.send("Profiler.enable");
      // 100 µs between samples (V8's default is 1 ms): a request takes 50 to 500 µs of CPU.
      await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
      await mkdir(OUT, { recursive: true });
      for (const scenario of scenarios) {
        const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
        try {
          await target.load(scenario, agent, 1_000, target.tally()); // warm-up: JIT, config cache, connections
          const tally = target.tally();
          await inspector.send("Profiler.start");
          const cpuBefore = processCpuSeconds(worker.pid);
          await target.load(scenario, agent, Number(args.seconds) * 1000, tally);
          const workerdCpu = processCpuSeconds(worker.pid) - cpuBefore;
          const { profile } = await inspector.send("Profiler.stop");
          const file = join(OUT, `profile-${scenario.name.replace(/\W+/g, "-")}.cpuprofile`);
          await writeFile(file, JSON.stringify(profile));
          console.log(summary(scenario.name, profile, { requests: target.answered(tally), errors: tally.errors }, workerdCpu, sections, Number(args.top), file));
        } finally {
          agent.destroy();
        }
      }
    } finally {
      inspector.close();
    }
  } finally {
    await target.stop();
  }
}

/** The snippet routes and their floors on bench/run.mjs's Worker. */
async function snippetTarget(bundle, secrets, runtime) {
  const worker = await startWorker(bundle.path, secrets, { inspectorPort: 0 });
  try {
    await seedDemo(worker.url, secrets.ADMIN_TOKEN);
    await worker.seedBenchProbe();
  } catch (error) {
    await worker.stop();
    throw error;
  }
  return {
    worker,
    scenarios: scenarioList(worker.url, secrets.SIGNING_SECRET, runtime),
    tally: newTally,
    answered: (tally) => tally.latencies.length,
    load: (scenario, agent, ms, tally) => runSlice(scenario, agent, ms, CONCURRENCY, tally),
    stop: () => worker.stop(),
  };
}

/** Edge mode's routes (bench/edge.mjs): the Worker with EDGE_SITES, its origin in a second workerd. */
async function edgeTarget(bundle, secrets) {
  const bench = await startEdgeBench({
    startWorker: (edgeSites) => startWorker(bundle.path, secrets, { inspectorPort: 0, edgeSites }),
    seed: (url) => seedDemo(url, secrets.ADMIN_TOKEN),
    signingSecret: secrets.SIGNING_SECRET,
    cfHeaders: EDGE_HEADERS,
    demoConfig: readDemoConfig(root),
  });
  return {
    worker: bench.worker,
    scenarios: bench.scenarios,
    tally: newEdgeTally,
    answered: (tally) => tally.total.length,
    load: (scenario, agent, ms, tally) => runEdgeSlice(scenario, agent, ms, CONCURRENCY, tally, edgeScenarioLoad),
    stop: () => bench.stop(),
  };
}

/** A DevTools protocol session with the Worker's isolate, over workerd's inspector websocket. */
async function connect(inspectorUrl) {
  const listUrl = new URL("/json/list", inspectorUrl.href.replace(/^ws/, "http"));
  const targets = await (await fetch(listUrl)).json();
  const target = targets.find((t) => t.title?.includes("valuebar") || t.id?.includes("valuebar")) ?? targets[0];
  if (!target) throw new Error(`no inspector target at ${listUrl}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    socket.addEventListener("open", resolve, { once: true });
    socket.addEventListener("error", () => reject(new Error(`cannot open ${target.webSocketDebuggerUrl}`)), { once: true });
  });
  let nextId = 1;
  const pending = new Map();
  socket.addEventListener("message", (event) => {
    const message = JSON.parse(String(event.data));
    const waiter = pending.get(message.id);
    if (!waiter) return;
    pending.delete(message.id);
    if (message.error) waiter.reject(new Error(`${message.error.message} (${JSON.stringify(message.error.data ?? "")})`));
    else waiter.resolve(message.result);
  });
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve, reject });
        socket.send(JSON.stringify({ id, method, params }));
      }),
    close: () => socket.close(),
  };
}

/**
 * Where a position of the bundle comes from, by its source map (wrangler writes one beside a minified bundle):
 * (line, column) → "src/file.ts:line", or the source file alone when `withLine` is false.
 */
function sourceMapped({ sources, mappings }) {
  const lines = [];
  let source = 0;
  let sourceLine = 0;
  for (const text of mappings.split(";")) {
    const segments = [];
    let column = 0;
    for (const segment of text ? text.split(",") : []) {
      const fields = vlq(segment);
      column += fields[0];
      if (fields.length < 4) continue;
      source += fields[1];
      sourceLine += fields[2];
      segments.push([column, source, sourceLine]);
    }
    lines.push(segments);
  }
  return (line, column = 0, withLine = false) => {
    const segments = lines[line] ?? [];
    let found;
    for (const segment of segments) {
      if (segment[0] > column) break;
      found = segment;
    }
    found ??= segments[0];
    if (!found) return "(bundle)";
    const file = (sources[found[1]] ?? "?").replace(/^(\.\.\/)+/, "").replace(/^.*node_modules\//, "npm:");
    return withLine ? `${file}:${found[2] + 1}` : file;
  };
}

const BASE64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** The numbers of one source-map segment (base64 VLQ). */
function vlq(segment) {
  const values = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64.indexOf(char);
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
      continue;
    }
    values.push(value & 1 ? -(value >>> 1) : value >>> 1);
    value = 0;
    shift = 0;
  }
  return values;
}

/** The bundle's `// src/...` markers (esbuild names each module it inlines when it does not minify): line → source file. */
function bundleSections(code) {
  const marks = [];
  code.split("\n").forEach((line, i) => {
    const match = /^\/\/ ((?:src|snippet|node_modules)\/\S+)$/.exec(line);
    if (match) marks.push({ line: i, file: match[1].replace(/^node_modules\/(\.pnpm\/)?/, "npm:") });
  });
  return (line, _column, withLine = false) => {
    let file = "(bundle)";
    for (const mark of marks) {
      if (mark.line > line) break;
      file = mark.file;
    }
    return withLine ? `${file} (bundle line ${line + 1})` : file;
  };
}

/** Self time by file and by function, inclusive time by function, per request. */
function summary(name, profile, { requests, errors }, workerdCpu, fileOf, top, file) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  // Function names are the bundle's (minified ones are short); the place is the source's.
  const label = (n) => {
    const { functionName, url, lineNumber, columnNumber } = n.callFrame;
    if (!url) return functionName || "(anonymous)";
    const where = url.endsWith("index.js") ? fileOf(lineNumber, columnNumber, true) : `${url.replace(/^.*\//, "")}:${lineNumber + 1}`;
    return `${functionName || "(anonymous)"} ${where}`;
  };
  const fileLabel = (n) => {
    const { functionName, url, lineNumber, columnNumber } = n.callFrame;
    if (!url) return functionName.startsWith("(") ? functionName : `(native) ${functionName}`;
    return url.endsWith("index.js") ? fileOf(lineNumber, columnNumber) : url.replace(/^.*\//, "");
  };
  const self = new Map();
  const byFile = new Map();
  const inclusive = new Map();
  let total = 0;
  let idle = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    const node = nodes.get(id);
    if (!node) return;
    total += dt;
    if (node.callFrame.functionName === "(idle)") {
      idle += dt;
      return;
    }
    add(self, label(node), dt);
    add(byFile, fileLabel(node), dt);
    const seen = new Set();
    for (let at = id; at !== undefined; at = parent.get(at)) {
      const key = label(nodes.get(at));
      if (!seen.has(key)) {
        seen.add(key);
        add(inclusive, key, dt);
      }
    }
  });
  const busy = total - idle;
  const perRequest = (us) => (requests ? `${(us / requests).toFixed(1)} µs/req` : "");
  const share = (us) => `${((100 * us) / Math.max(busy, 1)).toFixed(1)}%`;
  const rows = (map, n) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([key, us]) => `  ${share(us).padStart(6)}  ${perRequest(us).padStart(14)}  ${key}`);
  return [
    `\n== ${name}: ${requests} requests (${errors} errors) in ${(total / 1e6).toFixed(2)} s; workerd CPU ${perRequest(workerdCpu * 1e6)} ` +
      `(the whole process, profiler included); isolate busy ${(busy / 1e3).toFixed(0)} ms (${perRequest(busy)}, sampled on the wall clock), idle ${(idle / 1e3).toFixed(0)} ms`,
    "self time by source:",
    ...rows(byFile, 15),
    "self time by function:",
    ...rows(self, top),
    "inclusive time by function:",
    ...rows(inclusive, top),
    `profile: ${file}`,
  ].join("\n");
}

function add(map, key, value) {
  map.set(key, (map.get(key) ?? 0) + value);
}

try {
  await main();
} catch (error) {
  console.error(`profile failed: ${error.message}`);
  process.exit(2);
}
