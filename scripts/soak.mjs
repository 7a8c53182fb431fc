// @module `npm run soak`: the Worker under `wrangler dev` (workerd with local KV and Durable Objects, fresh storage)
// driven for a bounded time on loopback by mixed traffic: anonymous and identified snippets, the decide route,
// beacons, imports, publishes and rollbacks at the same time. Then it checks that nothing was lost: every
// exposure the Worker decided was counted exactly once (per experiment and variant, against the results route),
// and every import row the Worker acknowledged reads back. It prints requests served, statuses, p50/p99 per kind
// and workerd's memory at start and end, and exits 1 on any 5xx, network error or loss.
//
//   npm run soak -- [--seconds 60] [--concurrency 16] [--only "snippet anonymous,publish"] [--json]
// (--only keeps those kinds of traffic from the mix, e.g. to see which one memory grows with).
import { createHmac, randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { freePort, startWorker } from "./dev-server.mjs";

const SITE = "soak";
/** Visitors reuse ids from a pool, as returning shoppers do: their repeated exposures must count once. */
const VISITOR_POOL = 4_000;
const BASE_CUSTOMERS = 1_000;
const MEMORY_SAMPLE_MS = 10_000;
const SEGMENTS = ["vip", "regular", "bargain_hunter"];
/** Share of each kind of request in the mix (the rest of the weight is anonymous snippets). */
const MIX = [
  ["snippet identified", 20],
  ["decide", 5],
  ["event", 22],
  ["import", 6],
  ["publish", 3],
  ["rollback", 2],
  ["snippet anonymous", 42],
];

const { values: options } = parseArgs({
  options: {
    seconds: { type: "string", default: "60" },
    concurrency: { type: "string", default: "16" },
    only: { type: "string" },
    json: { type: "boolean", default: false },
  },
});
const ONLY = options.only?.split(",").map((kind) => kind.trim());
const unknownKinds = ONLY?.filter((kind) => !MIX.some(([name]) => name === kind)) ?? [];
if (unknownKinds.length) {
  console.error(`unknown kind(s) for --only: ${unknownKinds.join(", ")}; the kinds are: ${MIX.map(([name]) => name).join(", ")}`);
  process.exit(2);
}
const SECONDS = Number(options.seconds);
const CONCURRENCY = Number(options.concurrency);
if (!(SECONDS > 0 && SECONDS <= 3600) || !(CONCURRENCY >= 1 && CONCURRENCY <= 256)) {
  console.error("usage: npm run soak -- [--seconds 1..3600] [--concurrency 1..256] [--json]");
  process.exit(2);
}

/** The soak site's config, version `n`: two experiments that never change (so assignment never moves) and texts that do. */
function soakConfig(n) {
  return {
    segments: SEGMENTS,
    campaigns: [
      {
        id: "vip-test", placement: "topbar", audience: { segments: { any: ["vip"] } },
        variants: [
          { id: "express", weight: 50, message: { text: "Free express shipping for VIPs", link: { url: "/pages/shipping" } } },
          { id: "early", weight: 50, message: { text: "VIP early access starts today" } },
        ],
      },
      {
        id: "returns-test", placement: "returns",
        variants: [
          { id: "control", weight: 30, control: true },
          { id: "free", weight: 70, message: { text: "Free returns within 60 days" } },
        ],
      },
      {
        id: "bargain-bar", placement: "topbar", audience: { segments: { any: ["bargain_hunter"] } },
        variants: [{ id: "a", weight: 100, message: { text: `This week's deals, edition ${n}` } }],
      },
    ],
    defaults: { topbar: { text: `Welcome to the store (version ${n})` }, returns: { text: "Returns within 30 days" } },
  };
}

/** Latencies and statuses per kind of request. */
class Tally {
  constructor() {
    this.kinds = new Map();
    this.networkErrors = [];
    this.problems = [];
  }
  add(kind, status, ms) {
    let entry = this.kinds.get(kind);
    if (!entry) this.kinds.set(kind, (entry = { latencies: [], statuses: {} }));
    entry.latencies.push(ms);
    entry.statuses[status] = (entry.statuses[status] ?? 0) + 1;
  }
  problem(text) {
    if (this.problems.length < 50) this.problems.push(text);
    else if (this.problems.length === 50) this.problems.push("... more problems left out");
  }
  summary() {
    const kinds = {};
    for (const [kind, { latencies, statuses }] of this.kinds) {
      latencies.sort((a, b) => a - b);
      const at = (q) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 10) / 10;
      kinds[kind] = { requests: latencies.length, statuses, p50Ms: at(0.5), p99Ms: at(0.99) };
    }
    return kinds;
  }
}

const sign = (secret, customerId) => createHmac("sha256", secret).update(customerId).digest("hex");

/** The JSON payload of a snippet (`__vbr.run(...)`), or null for a no-op snippet. */
function snippetPayload(js) {
  const start = js.lastIndexOf("__vbr.run(");
  const end = js.lastIndexOf(")})();");
  return start < 0 || end < start ? null : JSON.parse(js.slice(start + "__vbr.run(".length, end));
}

/** workerd's resident memory in bytes: the workerd process inside wrangler dev's process group. */
function workerdMemory(groupId) {
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const comm = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (comm === "workerd" && Number(fields[2]) === groupId) {
        const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${entry}/status`, "utf8"))?.[1];
        return rss === undefined ? null : Number(rss) * 1024;
      }
    } catch {
      // the process ended while we looked
    }
  }
  return null;
}

async function main() {
  const secrets = { ADMIN_TOKEN: `soak-admin-${randomBytes(16).toString("hex")}`, SIGNING_SECRET: `soak-signing-${randomBytes(16).toString("hex")}` };
  const persist = mkdtempSync(join(tmpdir(), "valuebar-soak-"));
  const log = (line) => {
    if (!options.json) console.log(line);
  };
  log(`Starting the Worker (wrangler dev, fresh storage in ${persist})...`);
  // Rate limits off: all of this comes from one address, which would be one very busy shopper.
  const worker = await startWorker({ port: await freePort(), persistTo: persist, vars: { ...secrets, RATE_LIMITS: "off", DEMO_STORE: "off" } });
  let report;
  try {
    report = await soak(worker, secrets, log);
  } finally {
    await worker.stop();
    rmSync(persist, { recursive: true, force: true });
  }
  if (options.json) console.log(JSON.stringify(report, null, 2));
  else printReport(report);
  process.exit(report.ok ? 0 : 1);
}

async function soak(worker, secrets, log) {
  const { url } = worker;
  const admin = { authorization: `Bearer ${secrets.ADMIN_TOKEN}` };
  const tally = new Tally();

  /** One request, timed and tallied; network errors are recorded, never thrown. */
  async function send(kind, path, init = {}) {
    const started = performance.now();
    try {
      const res = await fetch(`${url}${path}`, { ...init, signal: AbortSignal.timeout(30_000) });
      const body = await res.text();
      tally.add(kind, res.status, performance.now() - started);
      if (res.status >= 500) tally.problem(`${kind} ${path.split("?")[0]}: ${res.status} ${body.slice(0, 200)}`);
      return { status: res.status, body };
    } catch (error) {
      tally.add(kind, "network", performance.now() - started);
      tally.networkErrors.push(`${kind}: ${error.cause?.message ?? error.message}`);
      return { status: 0, body: "" };
    }
  }

  // The site: version 1 of the config and the base customers.
  let versions = 0;
  const publish = async (kind) => {
    const res = await send(kind, `/admin/sites/${SITE}/config`, {
      method: "PUT",
      headers: { ...admin, "content-type": "application/json", "x-valuebar-note": "soak" },
      body: JSON.stringify(soakConfig(versions + 1)),
    });
    // 202: the version is recorded and KV still owes it to the stores (the object's alarm retries the write).
    if (res.status === 200 || res.status === 202) versions = Math.max(versions, JSON.parse(res.body).version);
    else if (res.status < 500 && res.status !== 0) tally.problem(`${kind}: ${res.status} ${res.body.slice(0, 200)}`);
    return res;
  };
  const setup = await publish("setup");
  if (setup.status !== 200) throw new Error(`publishing the soak config failed: ${setup.status} ${setup.body}`);

  /** customer id -> segments, for every row the Worker acknowledged (each customer is imported at most once, so the last ack is the truth). */
  const acknowledged = new Map();
  const customers = [];
  let importCount = 0;
  const importRows = async (kind, rows) => {
    const res = await send(kind, `/admin/sites/${SITE}/segments`, {
      method: "POST",
      headers: { ...admin, "content-type": "application/x-ndjson" },
      body: rows.map((row) => JSON.stringify(row)).join("\n"),
    });
    if (res.status === 200) {
      for (const row of rows) {
        acknowledged.set(row.customer_id, row.segments);
        if (row.segments.length) customers.push(row.customer_id);
      }
    } else if (res.status !== 0 && res.status < 500) tally.problem(`${kind}: ${res.status} ${res.body.slice(0, 200)}`);
    return res;
  };
  const newRows = (n) =>
    Array.from({ length: n }, () => {
      const id = `c${++importCount}`;
      const segments = SEGMENTS.filter(() => Math.random() < 0.35);
      return { customer_id: id, segments };
    });
  for (let i = 0; i < BASE_CUSTOMERS; i += 500) await importRows("setup", newRows(500));

  // What the soak was told: per experiment, unit -> variant (a unit given two variants is a bug of assignment).
  const decided = new Map();
  const exposed = []; // units with an exposure, for beacons: { query, unitKey, campaign, variant }
  const noteDecision = (decision, unit, identity) => {
    for (const exposure of decision?.exposures ?? []) {
      let units = decided.get(exposure.experiment);
      if (!units) decided.set(exposure.experiment, (units = new Map()));
      const before = units.get(unit);
      if (before !== undefined && before !== exposure.variant) tally.problem(`unit ${unit} was given ${before} and then ${exposure.variant} of ${exposure.experiment}`);
      units.set(unit, exposure.variant);
      if (exposed.length < 20_000) exposed.push({ identity, campaign: exposure.campaign, variant: exposure.variant, experiments: decision.exposures.map((e) => e.campaign) });
    }
  };

  const visitor = () => `soakvisitor${String(Math.floor(Math.random() * VISITOR_POOL)).padStart(6, "0")}`;
  const identified = () => {
    const cid = customers[Math.floor(Math.random() * customers.length)] ?? "c1";
    return { cid, sig: sign(secrets.SIGNING_SECRET, cid), vid: visitor() };
  };

  const actions = {
    async "snippet anonymous"() {
      // One visitor in ten has not consented: never enrolled, never counted.
      const consent = Math.random() >= 0.1;
      const vid = consent ? visitor() : `noconsent${randomBytes(8).toString("hex")}`;
      const res = await send("snippet anonymous", `/v1/s/${SITE}.js?vid=${vid}&path=/products/socks${consent ? "" : "&consent=0"}`);
      if (res.status !== 200) return;
      const payload = checkSnippet(res.body, tally);
      if (payload && !consent && payload.decision.exposures.length) tally.problem(`a visitor without consent was enrolled: ${vid}`);
      if (payload && consent) noteDecision(payload.decision, `visitor\n${vid}`, { vid });
    },
    async "snippet identified"() {
      const who = identified();
      const res = await send("snippet identified", `/v1/s/${SITE}.js?cid=${who.cid}&sig=${who.sig}&vid=${who.vid}&path=/`);
      if (res.status !== 200) return;
      const payload = checkSnippet(res.body, tally);
      if (!payload) return;
      // Beacons identify a signed-in customer as the runtime does: with the events token, never the sig.
      if (!payload.token) tally.problem(`no events token for the signed-in customer ${who.cid}`);
      noteDecision(payload.decision, `customer\n${who.cid}`, { token: payload.token, vid: who.vid });
    },
    async decide() {
      const who = Math.random() < 0.5 ? identified() : { vid: visitor() };
      const query = new URLSearchParams(who).toString();
      const res = await send("decide", `/v1/decide/${SITE}?${query}&path=/`);
      if (res.status !== 200) return;
      const decision = JSON.parse(res.body);
      // A headless store's server sends the events token decide gave it (or signs with cid and sig itself).
      noteDecision(decision, who.cid ? `customer\n${who.cid}` : `visitor\n${who.vid}`, who.cid ? { token: decision.eventsToken, vid: who.vid } : who);
    },
    async event() {
      const seen = exposed[Math.floor(Math.random() * exposed.length)];
      if (!seen) return actions["snippet anonymous"]();
      const roll = Math.random();
      const body =
        roll < 0.4 ? { type: "click", campaign: seen.campaign, variant: seen.variant } :
        roll < 0.75 ? { type: "add_to_cart" } :
        { type: "purchase", value: Math.round(Math.random() * 20_000) / 100, currency: "EUR", order_id: randomBytes(6).toString("hex") };
      const res = await send("event", `/v1/events/${SITE}`, { method: "POST", headers: { "content-type": "text/plain" }, body: JSON.stringify(eventBody(body, seen)) });
      // 429 is the per-visitor limit of the events route doing its job.
      if (res.status >= 400 && res.status < 500 && res.status !== 429) tally.problem(`event: ${res.status} ${res.body.slice(0, 200)}`);
    },
    async import() {
      await importRows("import", newRows(20 + Math.floor(Math.random() * 180)));
    },
    async publish() {
      await publish("publish");
    },
    async rollback() {
      if (versions < 2) return publish("publish");
      const version = 1 + Math.floor(Math.random() * (versions - 1));
      const res = await send("rollback", `/admin/sites/${SITE}/config/rollback`, {
        method: "POST",
        headers: { ...admin, "content-type": "application/json" },
        body: JSON.stringify({ version, note: "soak rollback" }),
      });
      if (res.status === 200 || res.status === 202) versions = Math.max(versions, JSON.parse(res.body).version);
      else if (res.status !== 0 && res.status < 500) tally.problem(`rollback: ${res.status} ${res.body.slice(0, 200)}`);
    },
  };
  const mix = ONLY ? MIX.filter(([kind]) => ONLY.includes(kind)) : MIX;
  const total = mix.reduce((sum, [, weight]) => sum + weight, 0);
  const pick = () => {
    let roll = Math.random() * total;
    for (const [kind, weight] of mix) if ((roll -= weight) < 0) return kind;
    return mix[mix.length - 1][0];
  };

  const memoryStart = workerdMemory(worker.pid);
  // workerd's memory every MEMORY_SAMPLE_MS, to tell a plateau (the heap sizing itself) from steady growth.
  const memorySamples = [];
  const sampler = setInterval(() => memorySamples.push(workerdMemory(worker.pid)), MEMORY_SAMPLE_MS);
  log(`Soaking for ${SECONDS} s with ${CONCURRENCY} connections...`);
  const started = performance.now();
  const end = started + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) await actions[pick()]();
    }),
  );
  clearInterval(sampler);
  const seconds = (performance.now() - started) / 1000;
  const memoryEnd = workerdMemory(worker.pid);

  log("Checking exposures and imports...");
  const exposures = await checkExposures(url, admin, decided, tally);
  const imports = await checkImports(url, admin, acknowledged, tally);

  const kinds = tally.summary();
  const requests = Object.values(kinds).reduce((sum, k) => sum + k.requests, 0);
  const serverErrors = Object.values(kinds).reduce((sum, k) => sum + Object.entries(k.statuses).filter(([s]) => Number(s) >= 500).reduce((a, [, n]) => a + n, 0), 0);
  const ok = serverErrors === 0 && tally.networkErrors.length === 0 && tally.problems.length === 0 && exposures.lost === 0 && exposures.extra === 0 && imports.lost === 0;
  return {
    ok,
    date: new Date().toISOString(),
    machine: { cores: availableParallelism(), cpu: cpus()[0]?.model ?? "unknown", node: process.version },
    server: "wrangler dev (workerd, local KV and Durable Objects)",
    seconds: Math.round(seconds * 10) / 10,
    concurrency: CONCURRENCY,
    requests,
    requestsPerSecond: Math.round(requests / seconds),
    serverErrors,
    networkErrors: tally.networkErrors.length,
    kinds,
    versionsPublished: versions,
    exposures,
    imports,
    workerdMemory: { startBytes: memoryStart, endBytes: memoryEnd, everyTenSeconds: memorySamples },
    problems: [...tally.problems, ...tally.networkErrors.slice(0, 10)],
  };
}

/**
 * The body of an event for a unit the soak saw exposed, identified and addressed as the runtime sends it: the
 * events token of a signed-in customer (else the visitor id), and the experiments its decision showed.
 */
function eventBody(body, seen) {
  return { ...body, ...seen.identity, experiments: seen.experiments };
}

/** The snippet is valid JavaScript with a payload; null (and a problem) otherwise. */
function checkSnippet(js, tally) {
  try {
    new Function(js); // parses only
  } catch (error) {
    tally.problem(`a snippet is not valid JavaScript: ${error.message}`);
    return null;
  }
  const payload = snippetPayload(js);
  if (!payload) tally.problem(`a snippet for the soak site did nothing: ${js.slice(0, 120)}`);
  return payload;
}

/**
 * Every experiment's units per variant, from the results route, against the units the soak was told it exposed.
 * Exposures are written in the background, so this waits (up to 30 s) for the counts to settle.
 */
async function checkExposures(url, admin, decided, tally) {
  const expected = {};
  for (const [experiment, units] of decided) {
    const perVariant = {};
    for (const variant of units.values()) perVariant[variant] = (perVariant[variant] ?? 0) + 1;
    expected[experiment] = perVariant;
  }
  const read = async () => {
    const counted = {};
    for (const experiment of Object.keys(expected)) {
      const campaign = experiment.split(":")[0];
      const res = await fetch(`${url}/admin/sites/${SITE}/experiments/${campaign}/results`, { headers: admin });
      if (!res.ok) throw new Error(`results of ${campaign}: ${res.status} ${await res.text()}`);
      const results = await res.json();
      counted[experiment] = { variants: Object.fromEntries(results.metrics.clickThrough.variants.map((v) => [v.variant, v.units])), multiple: results.units.multipleVariants };
    }
    return counted;
  };
  const deadline = Date.now() + 30_000;
  let counted = await read();
  const same = () => Object.entries(expected).every(([e, perVariant]) => Object.entries(perVariant).every(([v, n]) => counted[e]?.variants[v] === n));
  while (!same() && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 500));
    counted = await read();
  }
  let lost = 0;
  let extra = 0;
  let decidedUnits = 0;
  for (const [experiment, perVariant] of Object.entries(expected)) {
    const variants = new Set([...Object.keys(perVariant), ...Object.keys(counted[experiment]?.variants ?? {})]);
    for (const variant of variants) {
      const want = perVariant[variant] ?? 0;
      const got = counted[experiment]?.variants[variant] ?? 0;
      decidedUnits += want;
      if (got < want) lost += want - got;
      if (got > want) extra += got - want;
      if (got !== want) tally.problem(`${experiment}/${variant}: ${want} unit(s) exposed, ${got} counted`);
    }
    if (counted[experiment]?.multiple) tally.problem(`${experiment}: ${counted[experiment].multiple} unit(s) counted in several variants`);
  }
  return { experiments: Object.keys(expected).length, unitsDecided: decidedUnits, lost, extra, expected, counted };
}

/** Every acknowledged import row, read back through the admin API. */
async function checkImports(url, admin, acknowledged, tally) {
  const rows = [...acknowledged];
  let readBack = 0;
  let lost = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: 16 }, async () => {
      while (next < rows.length) {
        const [customerId, segments] = rows[next++];
        const res = await fetch(`${url}/admin/sites/${SITE}/segments/${encodeURIComponent(customerId)}`, { headers: admin });
        const got = res.status === 200 ? (await res.json()).segments : (await res.body?.cancel(), []);
        if (res.status !== 200 && res.status !== 404) {
          tally.problem(`reading back ${customerId}: ${res.status}`);
          lost++;
        } else if (JSON.stringify([...got].sort()) === JSON.stringify([...segments].sort())) readBack++;
        else {
          lost++;
          tally.problem(`customer ${customerId}: imported ${JSON.stringify(segments)}, reads back ${JSON.stringify(got)}`);
        }
      }
    }),
  );
  return { rowsAcknowledged: rows.length, readBack, lost };
}

function printReport(r) {
  const mb = (bytes) => (bytes === null ? "unknown" : `${(bytes / 1_048_576).toFixed(1)} MB`);
  console.log(`\nSoak: ${r.seconds} s, ${r.concurrency} connections, ${r.requests.toLocaleString("en")} requests (${r.requestsPerSecond}/s) on ${r.machine.cores} cores (${r.machine.cpu})`);
  console.log("kind                  requests   p50 ms   p99 ms   statuses");
  for (const [kind, k] of Object.entries(r.kinds)) {
    console.log(`${kind.padEnd(20)} ${String(k.requests).padStart(9)} ${String(k.p50Ms).padStart(8)} ${String(k.p99Ms).padStart(8)}   ${JSON.stringify(k.statuses)}`);
  }
  console.log(`5xx: ${r.serverErrors}, network errors: ${r.networkErrors}, versions published: ${r.versionsPublished}`);
  console.log(`exposures: ${r.exposures.unitsDecided} unit(s) decided in ${r.exposures.experiments} experiment(s); lost ${r.exposures.lost}, counted twice or unasked ${r.exposures.extra}`);
  console.log(`imports: ${r.imports.rowsAcknowledged} row(s) acknowledged, ${r.imports.readBack} read back, ${r.imports.lost} lost`);
  console.log(`workerd memory: ${mb(r.workerdMemory.startBytes)} at start, ${mb(r.workerdMemory.endBytes)} at the end`);
  if (r.workerdMemory.everyTenSeconds.length) console.log(`  every 10 s: ${r.workerdMemory.everyTenSeconds.map(mb).join(", ")}`);
  if (r.problems.length) console.log(`problems:\n  ${r.problems.join("\n  ")}`);
  console.log(r.ok ? "OK: no 5xx, nothing lost." : "FAILED: see above.");
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
