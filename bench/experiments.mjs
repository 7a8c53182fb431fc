// @module The experiment side of `npm run bench`: how many events a second the events route accepts (beacons of
// exposed visitors, put on the events queue), whether every accepted one is counted exactly once once the queue has
// drained and how long that takes, and how long the results route takes for an experiment of 1,000,000 units spread
// over its 16 shards, with covariates and segments (CUPED and the per-segment table) and without.
import { createHmac } from "node:crypto";
import { readFileSync } from "node:fs";
import { Agent, request } from "node:http";

const EVENT_VISITORS = 2_000;
const EVENT_SECONDS = 5;
const EVENT_CONCURRENCY = 32;
const EVENTS_PER_UNIT_PER_HOUR = 60; // EVENTS_PER_UNIT_PER_HOUR in src/storage/experiment-shard.ts
const DRAIN_TIMEOUT_MS = 120_000;
const DRAIN_POLL_MS = 100;
const RESULT_UNITS = 1_000_000;
const RESULT_SHARDS = 16; // EXPERIMENT_SHARDS in src/storage/experiment-shard.ts
const RESULT_CONVERSIONS = 10_000;

/**
 * Exposes EVENT_VISITORS anonymous US visitors to the demo's US test through the snippet route, then sends purchase
 * beacons for them from EVENT_CONCURRENCY closed loops for EVENT_SECONDS: each one of 1 EUR with its own order id,
 * so the results route's EUR revenue is exactly the number of purchases counted. The route answers 202 once the
 * event is on the queue; the bench then waits for the queue to drain and fails unless every accepted purchase is
 * counted, exactly once. The lag is the time from the last accepted beacon to the last one counted.
 */
export async function measureEvents(url, token, edgeHeaders, workerdPid = null) {
  const agent = new Agent({ keepAlive: true, maxSockets: EVENT_CONCURRENCY });
  try {
    const visitors = Array.from({ length: EVENT_VISITORS }, (_, i) => `benchvisitor${String(i).padStart(8, "0")}`);
    await inParallel(visitors, EVENT_CONCURRENCY, (vid) => send(agent, "GET", `${url}/v1/s/demo.js?vid=${vid}&path=/`, edgeHeaders));
    const counted = async () => (await results(url, token, "demo", "us-free-shipping")).units.counted;
    const deadline = Date.now() + 30_000;
    while ((await counted()) < EVENT_VISITORS) {
      if (Date.now() > deadline) throw new Error(`only ${await counted()} of ${EVENT_VISITORS} exposures were recorded`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const before = await purchasesCounted(url, token);

    const latencies = [];
    const statuses = {};
    let next = 0;
    let lastAccepted = 0;
    const end = performance.now() + EVENT_SECONDS * 1000;
    const loop = async () => {
      while (performance.now() < end) {
        const n = next++;
        const vid = visitors[n % visitors.length];
        const started = performance.now();
        // As a checkout pixel sends it, naming the experiment the visitor was shown.
        const body = JSON.stringify({ type: "purchase", vid, value: 1, currency: "EUR", order_id: `bench-${n}`, experiments: ["us-free-shipping"] });
        const { status } = await send(agent, "POST", `${url}/v1/events/demo`, { "content-type": "text/plain;charset=UTF-8" }, body);
        const now = performance.now();
        latencies.push(now - started);
        statuses[status] = (statuses[status] ?? 0) + 1;
        if (status === 202) lastAccepted = Math.max(lastAccepted, now);
      }
    };
    const cpuAtStart = workerdCpuSeconds(workerdPid);
    const clientAtStart = process.cpuUsage();
    const started = performance.now();
    await Promise.all(Array.from({ length: EVENT_CONCURRENCY }, loop));
    const seconds = (performance.now() - started) / 1000;
    const cpuAtLoadEnd = workerdCpuSeconds(workerdPid);
    const client = process.cpuUsage(clientAtStart);
    const refused = Object.entries(statuses).filter(([status]) => status !== "202");
    if (refused.length > 0) throw new Error(`the events route refused beacons: ${JSON.stringify(Object.fromEntries(refused))}`);
    const accepted = statuses[202] ?? 0;
    // The shard counts at most EVENTS_PER_UNIT_PER_HOUR events of a unit an hour: more would be dropped, not lost.
    if (accepted > EVENT_VISITORS * EVENTS_PER_UNIT_PER_HOUR) throw new Error(`${accepted} purchases from ${EVENT_VISITORS} visitors pass the per-visitor hourly limit: raise EVENT_VISITORS`);
    const queue = await drained(url, token, before, accepted, lastAccepted);
    const cpuDrained = workerdCpuSeconds(workerdPid);
    // workerd's CPU for each accepted event: while the route took them (the consumer counting alongside), and in all
    // until the last was counted (the drain's polls of the results route included, so a little high).
    const perEvent = (cpu) => Math.round((cpu / accepted) * 1e6) / 1e3;
    const workerdCpuMsPerEvent = { whileAccepting: perEvent(cpuAtLoadEnd - cpuAtStart), untilCounted: perEvent(cpuDrained - cpuAtStart) };
    // The load generator's own CPU for each beacon (it shares the machine's cores with workerd).
    const clientCpuMsPerEvent = perEvent((client.user + client.system) / 1e6);
    latencies.sort((a, b) => a - b);
    const at = (q) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 100) / 100;
    return { visitors: EVENT_VISITORS, concurrency: EVENT_CONCURRENCY, eventsPerSecond: Math.round(latencies.length / seconds), p50Ms: at(0.5), p99Ms: at(0.99), statuses, accepted, queue, workerdCpuMsPerEvent, clientCpuMsPerEvent };
  } finally {
    agent.destroy();
  }
}

/** The purchases the results route counts for the demo's US test: its EUR revenue, 1 EUR each (value = sum / units). */
async function purchasesCounted(url, token) {
  const body = await results(url, token, "demo", "us-free-shipping");
  return Math.round((body.metrics.revenuePerVisitor.EUR?.variants ?? []).reduce((sum, v) => sum + v.value * v.units, 0));
}

/**
 * Polls the results route until the `accepted` purchases are all counted, and fails if more are (counted twice) or
 * if they are not all counted within DRAIN_TIMEOUT_MS. `lastAccepted`: performance.now() of the last 202.
 */
async function drained(url, token, before, accepted, lastAccepted) {
  let counted = (await purchasesCounted(url, token)) - before;
  const countedAtLastAccept = counted;
  while (counted < accepted) {
    if (performance.now() - lastAccepted > DRAIN_TIMEOUT_MS) throw new Error(`the queue did not drain: ${counted} of ${accepted} accepted purchases counted after ${DRAIN_TIMEOUT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, DRAIN_POLL_MS));
    counted = (await purchasesCounted(url, token)) - before;
  }
  const lagMs = Math.round(performance.now() - lastAccepted);
  if (counted !== accepted) throw new Error(`${counted} purchases counted for ${accepted} accepted: some counted twice`);
  return { counted, countedWhenLoadEnded: countedAtLastAccept, lagMs, pollMs: DRAIN_POLL_MS };
}

/** The site's segments in the results bench: a store's usual value segments. */
const RESULT_SEGMENTS = ["vip", "loyal", "at_risk", "bargain_hunter", "new_customer", "high_returner"];

/**
 * Publishes a site with two 50/50 experiments and writes RESULT_UNITS exposures straight into each one's 16 shards
 * (the Worker's own RPC methods, through Miniflare) with RESULT_CONVERSIONS clicks and purchases, then times the results
 * route three times for each, in turn:
 *   - "plain": exposures as before issue 14, with no covariate and no segments (the figure of earlier runs);
 *   - "hero": the same with what the Worker now stores: 40% anonymous visitors (the anonymous cell), 10% signed-in
 *     customers in no segment, the rest in one or two of RESULT_SEGMENTS (hashed as the Worker hashes them, with its
 *     secret), each customer with a covariate (net revenue of the year before). Its results carry CUPED for every
 *     metric and the per-segment table with Holm's correction.
 * The ratio of the two medians, measured in the same run, is what segments and covariates cost.
 */
export async function measureResults(url, token, namespace, signingSecret) {
  const site = "bench-results";
  const variants = [{ id: "a", weight: 50, message: { text: "A" } }, { id: "b", weight: 50, message: { text: "B" } }];
  const put = await fetch(`${url}/admin/sites/${site}/config`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({
      segments: RESULT_SEGMENTS,
      campaigns: [
        { id: "hero", placement: "topbar", variants },
        { id: "plain", placement: "shipping", variants },
      ],
    }),
  });
  if (!put.ok) throw new Error(`publishing the results site failed: ${put.status} ${await put.text()}`);
  const cells = await Promise.all(RESULT_SEGMENTS.map((segment) => segmentCellKey(signingSecret, site, segment)));

  const seedStarted = performance.now();
  await seedExperiment(namespace, site, "plain", () => ({}));
  const plainSeedSeconds = (performance.now() - seedStarted) / 1000;
  const heroStarted = performance.now();
  await seedExperiment(namespace, site, "hero", (i) => {
    const kind = i % 10;
    if (kind < 4) return { covariate: 0, segments: [":anonymous"] };
    // A year's net revenue, skewed as stores' are, deterministic per unit.
    const covariate = Math.round(((i * 2654435761) % 100_000) ** 2 / 1e7) / 10;
    if (kind === 4) return { covariate, segments: [":none"] };
    const first = cells[i % cells.length];
    return { covariate, segments: kind % 2 ? [first] : [first, cells[(i + 3) % cells.length]] };
  });
  const seedSeconds = (performance.now() - heroStarted) / 1000;

  const timings = { hero: [], plain: [] };
  let body;
  for (let run = 0; run < 3; run++) {
    for (const campaign of ["plain", "hero"]) {
      const started = performance.now();
      const answer = await results(url, token, site, campaign);
      timings[campaign].push(performance.now() - started);
      if (campaign === "hero") body = answer;
    }
  }
  if (body.units.counted !== RESULT_UNITS) throw new Error(`the results count ${body.units.counted} units, not ${RESULT_UNITS}`);
  const cellCount = body.segments?.cells.length ?? 0;
  if (cellCount !== RESULT_SEGMENTS.length + 2) throw new Error(`the results have ${cellCount} segment cells, not ${RESULT_SEGMENTS.length + 2}`);
  if (!body.metrics.revenuePerVisitor.EUR?.variants[1]?.cuped) throw new Error("the results have no CUPED figures");
  const median = (list) => Math.round([...list].sort((a, b) => a - b)[1] ?? 0);
  return {
    units: RESULT_UNITS,
    shards: RESULT_SHARDS,
    conversions: RESULT_CONVERSIONS,
    segmentCells: cellCount,
    seedSeconds: Math.round(seedSeconds * 10) / 10,
    resultsMs: timings.hero.map((t) => Math.round(t)),
    medianMs: median(timings.hero),
    withoutSegments: { seedSeconds: Math.round(plainSeedSeconds * 10) / 10, resultsMs: timings.plain.map((t) => Math.round(t)), medianMs: median(timings.plain) },
    ratioToWithout: Math.round((median(timings.hero) / Math.max(1, median(timings.plain))) * 100) / 100,
  };
}

/** RESULT_UNITS exposures of `campaign` over its shards, `extra(i)` adding each unit's covariate and segments. */
async function seedExperiment(namespace, site, campaign, extra) {
  const at = Date.now() - 3_600_000;
  const shards = Array.from({ length: RESULT_SHARDS }, (_, shard) => namespace.get(namespace.idFromName(`${site}\n${campaign}\n${shard}`)));
  const perShard = RESULT_UNITS / RESULT_SHARDS;
  await Promise.all(
    shards.map(async (stub, shard) => {
      for (let from = 0; from < perShard; from += 20_000) {
        const records = [];
        for (let i = from; i < Math.min(perShard, from + 20_000); i++) records.push({ unit: `unit-${shard}-${i}`, variant: i % 2 ? "b" : "a", at, ...extra(shard * perShard + i) });
        await stub.expose(records);
      }
      const converting = RESULT_CONVERSIONS / RESULT_SHARDS;
      for (let i = 0; i < converting; i++) {
        const unit = `unit-${shard}-${i * 7}`;
        const variant = (i * 7) % 2 ? "b" : "a";
        await stub.record({ kind: "click", unit, variant, at: at + 1000, windowMs: 72 * 3_600_000 });
        await stub.record({ kind: "purchase", unit, at: at + 2000, windowMs: 72 * 3_600_000, orderId: `${shard}-${i}`, value: 20 + (i % 80), currency: "EUR", capped: false });
      }
    }),
  );
  for (const stub of shards) stub[Symbol.dispose]?.();
}

/** A segment's cell key as the Worker stores it (segmentCellKey in src/storage/experiments.ts): 16 hex of an HMAC. */
function segmentCellKey(secret, site, segment) {
  return createHmac("sha256", secret).update(`segment\n${site}\n${segment}`).digest("hex").slice(0, 16);
}

/** CPU seconds workerd has used so far (Linux /proc, in USER_HZ ticks of 1/100 s), NaN without its pid. */
function workerdCpuSeconds(pid) {
  if (pid === null) return NaN;
  const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / 100;
}

async function results(url, token, site, campaign) {
  const res = await fetch(`${url}/admin/sites/${site}/experiments/${campaign}/results`, { headers: { authorization: `Bearer ${token}` } });
  if (!res.ok) throw new Error(`results of ${site}/${campaign} answered ${res.status}: ${await res.text()}`);
  return res.json();
}

async function inParallel(items, concurrency, work) {
  let next = 0;
  await Promise.all(Array.from({ length: concurrency }, async () => {
    while (next < items.length) await work(items[next++]);
  }));
}

function send(agent, method, target, headers = {}, body) {
  return new Promise((resolve, reject) => {
    const req = request(target, { method, agent, headers }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0 }));
    });
    req.on("error", reject);
    req.end(body);
  });
}
