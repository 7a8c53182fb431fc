// @module The experiment side of `npm run bench`: how many events a second the events route takes (beacons of
// exposed visitors, each counted in its experiment's shard), and how long the results route takes for an
// experiment of 1,000,000 units spread over its 16 shards.
import { Agent, request } from "node:http";

const EVENT_VISITORS = 2_000;
const EVENT_SECONDS = 5;
const EVENT_CONCURRENCY = 32;
const RESULT_UNITS = 1_000_000;
const RESULT_SHARDS = 16; // EXPERIMENT_SHARDS in src/storage/experiment-shard.ts
const RESULT_CONVERSIONS = 10_000;

/**
 * Exposes EVENT_VISITORS anonymous US visitors to the demo's US test through the snippet route, then sends
 * add-to-cart beacons for them from EVENT_CONCURRENCY closed loops for EVENT_SECONDS.
 */
export async function measureEvents(url, token, edgeHeaders) {
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

    const latencies = [];
    const statuses = {};
    let next = 0;
    const end = performance.now() + EVENT_SECONDS * 1000;
    const loop = async () => {
      while (performance.now() < end) {
        const vid = visitors[next++ % visitors.length];
        const started = performance.now();
        // As the runtime sends it: the experiments the visitor was shown.
        const body = JSON.stringify({ type: "add_to_cart", vid, experiments: ["us-free-shipping"] });
        const { status } = await send(agent, "POST", `${url}/v1/events/demo`, { "content-type": "text/plain;charset=UTF-8" }, body);
        latencies.push(performance.now() - started);
        statuses[status] = (statuses[status] ?? 0) + 1;
      }
    };
    const started = performance.now();
    await Promise.all(Array.from({ length: EVENT_CONCURRENCY }, loop));
    const seconds = (performance.now() - started) / 1000;
    const refused = Object.entries(statuses).filter(([status]) => status !== "200");
    if (refused.length > 0) throw new Error(`the events route refused beacons: ${JSON.stringify(Object.fromEntries(refused))}`);
    latencies.sort((a, b) => a - b);
    const at = (q) => Math.round((latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0) * 100) / 100;
    return { visitors: EVENT_VISITORS, concurrency: EVENT_CONCURRENCY, eventsPerSecond: Math.round(latencies.length / seconds), p50Ms: at(0.5), p99Ms: at(0.99), statuses };
  } finally {
    agent.destroy();
  }
}

/**
 * Publishes a site with a 50/50 experiment, writes RESULT_UNITS exposures straight into its 16 shards (the
 * Worker's own RPC methods, through Miniflare) with RESULT_CONVERSIONS clicks and purchases, then times the
 * results route three times.
 */
export async function measureResults(url, token, namespace) {
  const site = "bench-results";
  const put = await fetch(`${url}/admin/sites/${site}/config`, {
    method: "PUT",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: JSON.stringify({ campaigns: [{ id: "hero", placement: "topbar", variants: [{ id: "a", weight: 50, message: { text: "A" } }, { id: "b", weight: 50, message: { text: "B" } }] }] }),
  });
  if (!put.ok) throw new Error(`publishing the results site failed: ${put.status} ${await put.text()}`);

  const at = Date.now() - 3_600_000;
  const seedStarted = performance.now();
  const shards = Array.from({ length: RESULT_SHARDS }, (_, shard) => namespace.get(namespace.idFromName(`${site}\nhero\n${shard}`)));
  const perShard = RESULT_UNITS / RESULT_SHARDS;
  await Promise.all(
    shards.map(async (stub, shard) => {
      for (let from = 0; from < perShard; from += 20_000) {
        const records = [];
        for (let i = from; i < Math.min(perShard, from + 20_000); i++) records.push({ unit: `unit-${shard}-${i}`, variant: i % 2 ? "b" : "a", at });
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
  const seedSeconds = (performance.now() - seedStarted) / 1000;

  const timings = [];
  let body;
  for (let run = 0; run < 3; run++) {
    const started = performance.now();
    body = await results(url, token, site, "hero");
    timings.push(performance.now() - started);
  }
  if (body.units.counted !== RESULT_UNITS) throw new Error(`the results count ${body.units.counted} units, not ${RESULT_UNITS}`);
  timings.sort((a, b) => a - b);
  return { units: RESULT_UNITS, shards: RESULT_SHARDS, conversions: RESULT_CONVERSIONS, seedSeconds: Math.round(seedSeconds * 10) / 10, resultsMs: timings.map((t) => Math.round(t)), medianMs: Math.round(timings[1] ?? 0) };
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
