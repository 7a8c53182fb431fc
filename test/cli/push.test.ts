/**
 * @module `valuebar segments push` against the real Worker (wrangler dev: workerd with local KV and Durable
 * Objects), through a small proxy that can answer 429 or 503 in its place, delay answers, and counts the rows
 * that reached the Worker. Covers retries, an interrupted push resuming without duplicates or losses,
 * rejected rows by line, --strict, and --replace.
 */
import { spawn } from "node:child_process";
import { createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from "node:http";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningWorker } from "../../scripts/dev-server.mjs";
import { ensureDevVars, freePort, root, startWorker } from "../../scripts/dev-server.mjs";
import { scratch, start, valuebar } from "./run";

let worker: RunningWorker;
let token: string;
let proxy: FaultProxy;
let siteCount = 0;

interface Fault {
  status: number;
  headers?: Record<string, string>;
}

/** Forwards to the Worker, except where a test asks for a fault; counts the rows of imports that reached it. */
interface FaultProxy {
  url: string;
  /** Answer the next imports (after `after` more pass) with these faults, in order. */
  fail(faults: Fault[], after?: number): void;
  /** Answer every import with this status from now on (null: stop). */
  failAll(status: number | null): void;
  /** Hold each answer this long. */
  delay(ms: number): void;
  /** Replace the Worker's answer to the next import with this one. */
  answerNext(status: number, body: unknown): void;
  /** Forward the next `count` imports to the Worker, then answer 503 in place of its answer (lost on the way). */
  loseAnswers(count: number): void;
  /** Rows of each import the Worker acknowledged (2xx), in order; dry runs (`?dry_run=1`) write nothing and are not counted. */
  acknowledged: number[];
  /** Import requests that reached the proxy. */
  requests: number;
  reset(): void;
  close(): Promise<void>;
}

async function startProxy(target: string): Promise<FaultProxy> {
  let queue: Fault[] = [];
  let passBefore = 0;
  let always: number | null = null;
  let hold = 0;
  let canned: { status: number; body: unknown } | null = null;
  let lose = 0;
  const state = {
    acknowledged: [] as number[],
    requests: 0,
  };
  const server = createServer(async (req: IncomingMessage, res: ServerResponse) => {
    let body = "";
    for await (const chunk of req) body += String(chunk);
    const isImport = req.method === "POST" && /\/segments(\?|$)/.test(req.url ?? "");
    if (isImport) {
      state.requests++;
      if (hold) await new Promise((resolve) => setTimeout(resolve, hold));
      const fault = always !== null ? { status: always } : passBefore > 0 ? (passBefore--, undefined) : queue.shift();
      if (fault) {
        res.writeHead(fault.status, { "content-type": "application/json", ...fault.headers });
        return void res.end(JSON.stringify({ error: { code: fault.status === 429 ? "RATE_LIMITED" : "UNAVAILABLE", message: "injected by the test proxy" } }));
      }
      if (canned) {
        const answer = canned;
        canned = null;
        res.writeHead(answer.status, { "content-type": "application/json" });
        return void res.end(JSON.stringify(answer.body));
      }
    }
    const upstream = httpRequest(`${target}${req.url}`, { method: req.method, headers: req.headers }, (up) => {
      // Bytes, not text: the answer may be compressed.
      const parts: Buffer[] = [];
      up.on("data", (chunk: Buffer) => parts.push(chunk));
      up.on("end", () => {
        if (isImport && (up.statusCode ?? 500) < 300 && !/[?&]dry_run=1/.test(req.url ?? "")) state.acknowledged.push(body.trim().split("\n").length);
        if (isImport && lose > 0) {
          lose--;
          res.writeHead(503, { "content-type": "application/json" });
          return void res.end(JSON.stringify({ error: { code: "UNAVAILABLE", message: "answer lost by the test proxy" } }));
        }
        res.writeHead(up.statusCode ?? 502, up.headers);
        res.end(Buffer.concat(parts));
      });
    });
    upstream.on("error", () => {
      res.writeHead(502);
      res.end();
    });
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (!address || typeof address === "string") throw new Error("the proxy has no port");
  return {
    url: `http://127.0.0.1:${address.port}`,
    fail: (faults, after = 0) => {
      queue = [...faults];
      passBefore = after;
    },
    failAll: (status) => void (always = status),
    delay: (ms) => void (hold = ms),
    answerNext: (status, body) => void (canned = { status, body }),
    loseAnswers: (count) => void (lose = count),
    get acknowledged() {
      return state.acknowledged;
    },
    get requests() {
      return state.requests;
    },
    reset: () => {
      queue = [];
      passBefore = 0;
      always = null;
      hold = 0;
      canned = null;
      lose = 0;
      state.acknowledged = [];
      state.requests = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  token = ensureDevVars().ADMIN_TOKEN ?? "";
  const files = scratch();
  worker = await startWorker({ port: await freePort(), persistTo: join(files.dir, "state") });
  proxy = await startProxy(worker.url);
});

afterAll(async () => {
  await proxy?.close();
  await worker?.stop();
});

const auth = () => ({ authorization: `Bearer ${token}` });

/** A new site with the demo config. */
async function newSite(): Promise<string> {
  const site = `push-${++siteCount}-${Date.now().toString(36)}`;
  const config = readFileSync(join(root, "src", "demo", "config.json"), "utf8");
  const res = await fetch(`${worker.url}/admin/sites/${site}/config`, { method: "PUT", headers: { ...auth(), "content-type": "application/json" }, body: config });
  expect(res.status, await res.text()).toBe(200);
  proxy.reset();
  return site;
}

const SEGMENTS = ["vip", "valuable", "at_risk", "occasional"];
/** `count` members, customer `c{i}` in one segment chosen by i. */
function members(count: number, from = 0, shift = 0): string {
  let text = "";
  for (let i = from; i < from + count; i++) text += `${JSON.stringify({ customer_id: `c${i}`, segments: [SEGMENTS[(i + shift) % SEGMENTS.length]] })}\n`;
  return text;
}

async function countsOf(site: string): Promise<{ customers: number; bySegment: Record<string, number> }> {
  const res = await fetch(`${worker.url}/admin/sites/${site}/segments`, { headers: auth() });
  const body = (await res.json()) as { customers: number; segments: { segment: string; members: number }[] };
  return { customers: body.customers, bySegment: Object.fromEntries(body.segments.map((s) => [s.segment, s.members])) };
}

async function segmentsOf(site: string, customerId: string): Promise<string[] | null> {
  const res = await fetch(`${worker.url}/admin/sites/${site}/segments/${customerId}`, { headers: auth() });
  if (res.status === 404) return null;
  return ((await res.json()) as { segments: string[] }).segments;
}

const pushArgs = (file: string, site: string, ...more: string[]) => ["segments", "push", file, "--site", site, "--url", proxy.url, ...more];
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe("segments push", () => {
  it("pushes in batches of at most 10,000 with progress, and retries 429 and 503 with backoff", async () => {
    const site = await newSite();
    const files = scratch();
    const file = files.file("m.ndjson", members(25_000));
    proxy.fail([{ status: 429, headers: { "retry-after": "1" } }, { status: 503 }]);
    const run = await valuebar(pushArgs(file, site), { VALUEBAR_TOKEN: token });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^429 Too Many Requests: retrying in 1\.0 s \(attempt 2 of 7\)$/m);
    // The second retry waits 1 s with jitter (x 0.5 to 1): 0.5 to 1.0 s.
    expect(run.stderr).toMatch(/^503 Service Unavailable: retrying in (0\.[5-9]|1\.0) s \(attempt 3 of 7\)$/m);
    // Progress, one line per batch when stderr is not a terminal.
    expect(run.stderr).toMatch(/^ 40% 10,000\/25,000 rows, [\d,]+ rows\/s: lines 1-10,000 done$/m);
    expect(run.stderr).toMatch(/^100% 25,000\/25,000 rows, [\d,]+ rows\/s: lines 20,001-25,000 done$/m);
    expect(run.stderr).toMatch(/^Pushed 25,000 row\(s\) to site push-\S+ in [\d.]+ s: 25,000 set, 0 unchanged \(no KV write\), 0 removed \(no segments\), 0 rejected\.$/m);
    expect(proxy.acknowledged).toEqual([10_000, 10_000, 5_000]);
    expect(await countsOf(site)).toEqual({ customers: 25_000, bySegment: { vip: 6250, valuable: 6250, at_risk: 6250, occasional: 6250, high_returner: 0, bargain_hunter: 0, new: 0 } });
    expect(existsSync(`${file}.checkpoint.json`)).toBe(false);
  }, 120_000);

  it("stops when the Worker stays down, and resumes from its checkpoint without duplicates or losses", async () => {
    const site = await newSite();
    const files = scratch();
    const file = files.file("m.ndjson", members(12_000));
    // Two batches pass, then the Worker is "down" for good.
    proxy.fail(Array.from({ length: 10 }, () => ({ status: 503 })), 2);
    const first = await valuebar(pushArgs(file, site, "--batch-size", "3000", "--retries", "2"), { VALUEBAR_TOKEN: token });
    expect(first.code, first.stderr).toBe(75);
    expect(first.stderr).toMatch(/Giving up after 3 attempt\(s\): 503 Service Unavailable\. The checkpoint .*m\.ndjson\.checkpoint\.json holds every acknowledged batch: run the same command again to resume at line 6,001\.$/m);
    expect(JSON.parse(readFileSync(`${file}.checkpoint.json`, "utf8"))).toMatchObject({ nextLine: 6001, totals: { rows: 6000 } });
    expect((await countsOf(site)).customers).toBe(6000);

    proxy.fail([]);
    const second = await valuebar(pushArgs(file, site, "--batch-size", "3000"), { VALUEBAR_TOKEN: token });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toMatch(/^Resuming from the checkpoint .*: 6,000 row\(s\) already pushed, going on at line 6,001\.$/m);
    // Every row reached the Worker exactly once.
    expect(proxy.acknowledged).toEqual([3000, 3000, 3000, 3000]);
    expect(second.stderr).toMatch(/Pushed 12,000 row\(s\) .*: 12,000 set, 0 unchanged/);
    expect((await countsOf(site)).customers).toBe(12_000);
    expect(await segmentsOf(site, "c11999")).toEqual([SEGMENTS[11999 % 4]]);
    expect(existsSync(`${file}.checkpoint.json`)).toBe(false);
  }, 120_000);

  it("finishes the batch in flight on Ctrl-C, and the next run sends only the rest", async () => {
    const site = await newSite();
    const files = scratch();
    const file = files.file("m.ndjson", members(5000));
    proxy.delay(300);
    const running = start(pushArgs(file, site, "--batch-size", "500"), { VALUEBAR_TOKEN: token });
    await running.waitFor(/lines 1-500 done/);
    running.child.kill("SIGINT");
    const first = await running.done;
    expect(first.code, first.stderr).toBe(130);
    expect(first.stderr).toMatch(/Stopping after the batch in flight/);
    expect(first.stderr).toMatch(/^Interrupted\. The checkpoint .* run the same command again to resume at line \d/m);
    const done = sum(proxy.acknowledged);
    expect(done).toBeGreaterThanOrEqual(500);
    expect(done).toBeLessThan(5000);

    proxy.delay(0);
    const second = await valuebar(pushArgs(file, site, "--batch-size", "500"), { VALUEBAR_TOKEN: token });
    expect(second.code, second.stderr).toBe(0);
    expect(sum(proxy.acknowledged)).toBe(5000);
    expect(second.stderr).toMatch(/Pushed 5,000 row\(s\) .*: 5,000 set, 0 unchanged/);
    expect((await countsOf(site)).customers).toBe(5000);
  }, 120_000);

  it("costs no KV writes when the same file is pushed again", async () => {
    const site = await newSite();
    const files = scratch();
    const file = files.file("m.ndjson", members(2000));
    expect((await valuebar(pushArgs(file, site), { VALUEBAR_TOKEN: token })).code).toBe(0);
    const again = await valuebar(pushArgs(file, site), { VALUEBAR_TOKEN: token });
    expect(again.stderr).toMatch(/Pushed 2,000 row\(s\) .*: 0 set, 2,000 unchanged \(no KV write\)/);
  }, 60_000);

  it("reports rejected rows by their line in the file and pushes the rest; --strict sends nothing", async () => {
    const site = await newSite();
    const files = scratch();
    const lines = members(6).trim().split("\n");
    lines.splice(2, 0, "{not json");
    lines.splice(5, 0, JSON.stringify({ customer_id: "x1", segments: ["<b>VIP</b>"] }));
    lines.push(JSON.stringify({ customer_id: "c0", segments: ["vip"] }));
    const file = files.file("m.ndjson", `${lines.join("\n")}\n`);

    const strict = await valuebar(pushArgs(file, site, "--strict"), { VALUEBAR_TOKEN: token });
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe(
      `valuebar: 3 bad row(s) in ${file}; --strict: nothing sent\n` +
        "  line 3: not valid JSON\n" +
        `  line 6: segments.0: "<b>VIP</b>" is not a segment id (lowercase letters, digits, '-', '_')\n` +
        `  line 9: customer_id: customer "c0" is already on line 1\n`,
    );
    expect(proxy.requests).toBe(0);

    const lenient = await valuebar(pushArgs(file, site), { VALUEBAR_TOKEN: token });
    expect(lenient.code, lenient.stderr).toBe(0);
    expect(lenient.stderr).toMatch(/^3 bad row\(s\) will not be sent \(--strict stops on any\):\n {2}line 3: not valid JSON$/m);
    expect(lenient.stderr).toMatch(/Pushed 6 row\(s\) .*, 3 rejected\.\nRejected rows:\n {2}line 3: not valid JSON\n {2}line 6: segments\.0: .*\n {2}line 9: customer_id: customer "c0" is already on line 1\n/);
    expect((await countsOf(site)).customers).toBe(6);
  }, 60_000);

  it("maps rows the Worker rejects back to their lines in the file, and sends the rest of the batch again", async () => {
    const site = await newSite();
    const files = scratch();
    const file = files.file("m.ndjson", `\n${members(4)}`);
    proxy.answerNext(400, { error: { code: "INVALID_IMPORT", message: "1 line(s) are invalid", issues: [{ line: 2, path: "segments", message: "refused here" }] } });
    const run = await valuebar(pushArgs(file, site), { VALUEBAR_TOKEN: token });
    expect(run.code, run.stderr).toBe(0);
    // Body line 2 is file line 3: the file starts with a blank line.
    expect(run.stderr).toMatch(/3 row\(s\) .*, 1 rejected\.\nRejected rows:\n {2}line 3: segments: refused here\n/);
    expect(await segmentsOf(site, "c1")).toBeNull();
    expect((await countsOf(site)).customers).toBe(3);
  }, 60_000);

  it("with --replace removes the members the file no longer lists, and nobody when rows were rejected", async () => {
    const site = await newSite();
    const files = scratch();
    expect((await valuebar(pushArgs(files.file("a.ndjson", members(300)), site), { VALUEBAR_TOKEN: token })).code).toBe(0);

    const withBadRow = files.file("bad.ndjson", `${members(200, 0, 1)}{oops\n`);
    const refused = await valuebar(pushArgs(withBadRow, site, "--replace"), { VALUEBAR_TOKEN: token });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/--replace: nobody was removed, because 1 row\(s\) were rejected/);
    expect((await countsOf(site)).customers).toBe(300);

    // 100 of 300 members (33%): above the share --replace removes without asking, so --yes.
    const run = await valuebar(pushArgs(files.file("b.ndjson", members(200, 0, 1)), site, "--replace", "--yes", "--batch-size", "50"), { VALUEBAR_TOKEN: token });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^--replace: removed 100 member\(s\) not in this file$/m);
    expect(run.stderr).toMatch(/, 100 removed by --replace, 0 rejected\.$/m);
    expect((await countsOf(site)).customers).toBe(200);
    expect(await segmentsOf(site, "c250")).toBeNull();
    expect(await segmentsOf(site, "c10")).toEqual([SEGMENTS[11 % 4]]);
  }, 60_000);

  it("refuses a folder, and a checkpoint it could not write, before sending anything", async () => {
    const site = await newSite();
    const files = scratch();
    const folder = await valuebar(pushArgs(files.dir, site), { VALUEBAR_TOKEN: token });
    expect(folder.stderr).toBe(`valuebar: ${files.dir} is not a file\n`);
    const file = files.file("m.ndjson", members(10));
    const noCheckpoint = await valuebar(pushArgs(file, site, "--checkpoint", files.path("no/such/dir/c.json")), { VALUEBAR_TOKEN: token });
    expect(noCheckpoint.code).toBe(1);
    expect(noCheckpoint.stderr).toMatch(/^valuebar: cannot write the checkpoint .*c\.json: ENOENT$/m);
    expect(proxy.requests).toBe(0);
  }, 60_000);

  it("reads a row that expired while a --replace push was stopped as a removal, and still replaces", async () => {
    const site = await newSite();
    const files = scratch();
    expect((await valuebar(pushArgs(files.file("a.ndjson", members(30)), site), { VALUEBAR_TOKEN: token })).code).toBe(0);
    const soon = new Date(Date.now() + 3_000).toISOString();
    const file = files.file("b.ndjson", `${members(10)}${JSON.stringify({ customer_id: "c10", segments: ["vip"], expires_at: soon })}\n`);
    proxy.reset();
    proxy.fail(Array.from({ length: 5 }, () => ({ status: 503 })), 1);
    const first = await valuebar(pushArgs(file, site, "--replace", "--batch-size", "5", "--retries", "0"), { VALUEBAR_TOKEN: token });
    expect(first.code, first.stderr).toBe(75);
    // On once c10's expires_at has passed (the CLI and the Worker read the same clock).
    await expect.poll(() => Date.now(), { timeout: 10_000, interval: 100 }).toBeGreaterThan(Date.parse(soon));
    proxy.fail([]);
    const second = await valuebar(pushArgs(file, site, "--replace", "--yes", "--batch-size", "5"), { VALUEBAR_TOKEN: token });
    expect(second.code, second.stderr).toBe(0);
    // c0-c9 are as the site holds them; c10's row expired meanwhile, so it removes c10; --replace removes c11-c29.
    expect(second.stderr).toMatch(/Pushed 11 row\(s\) .*: 0 set, 10 unchanged \(no KV write\), 1 removed \(no segments, 1 of them expired\), 19 removed by --replace, 0 rejected\.$/m);
    expect((await countsOf(site)).customers).toBe(10);
    expect(await segmentsOf(site, "c10")).toBeNull();
  }, 60_000);

  // Issue 9: a checkpoint older than the Worker's record of its push resumed as if it were the newest.
  it("resumes from the Worker's record of the push when the checkpoint is older, so no older row overwrites a later write", async () => {
    const site = await newSite();
    const files = scratch();
    const file = files.file("m.ndjson", members(12_000));
    const checkpoint = `${file}.checkpoint.json`;
    const args = pushArgs(file, site, "--batch-size", "3000", "--retries", "0");
    // Run 1: two batches, then the Worker is "down": the checkpoint stands at line 6,001. A copy of it is kept.
    proxy.fail(Array.from({ length: 5 }, () => ({ status: 503 })), 2);
    expect((await valuebar(args, { VALUEBAR_TOKEN: token })).code).toBe(75);
    const old = readFileSync(checkpoint, "utf8");
    expect(JSON.parse(old)).toMatchObject({ nextLine: 6001 });
    // Run 2 resumes and gets one batch further: the Worker acknowledged up to line 9,001.
    proxy.fail(Array.from({ length: 5 }, () => ({ status: 503 })), 1);
    expect((await valuebar(args, { VALUEBAR_TOKEN: token })).code).toBe(75);
    expect(JSON.parse(readFileSync(checkpoint, "utf8"))).toMatchObject({ nextLine: 9001 });
    // Meanwhile another writer (a CDP) moves c7000, whose line the push already wrote.
    const cdp = await fetch(`${worker.url}/admin/sites/${site}/segments`, {
      method: "POST",
      headers: { ...auth(), "content-type": "application/x-ndjson" },
      body: JSON.stringify({ customer_id: "c7000", segments: ["high_returner"] }),
    });
    expect(cdp.status).toBe(200);
    // The old checkpoint comes back (a restored backup, a second machine with the same file).
    writeFileSync(checkpoint, old);
    proxy.fail([]);
    const sent = proxy.acknowledged.length;
    const third = await valuebar(pushArgs(file, site, "--batch-size", "3000"), { VALUEBAR_TOKEN: token });
    expect(third.code, third.stderr).toBe(0);
    // The CDP's later write stands, and only the rows past the Worker's record were sent.
    expect(await segmentsOf(site, "c7000")).toEqual(["high_returner"]);
    expect(proxy.acknowledged.slice(sent)).toEqual([3000]);
    expect(third.stderr).toMatch(/^The Worker acknowledged this push up to line 9,001, past the checkpoint \(line 6,001\): resuming at line 9,001\.$/m);
    expect(third.stderr).toMatch(/Pushed 12,000 row\(s\) .*, 3,000 acknowledged before this run's checkpoint, 0 rejected\.$/m);
    expect((await countsOf(site)).customers).toBe(12_000);
  }, 120_000);

  it("goes on from the Worker's record when a batch's answer was lost and its retry is refused as acknowledged", async () => {
    const site = await newSite();
    const files = scratch();
    const file = files.file("m.ndjson", members(300));
    // The first batch reaches the Worker, but its answer does not come back: the CLI sends it again.
    proxy.loseAnswers(1);
    const run = await valuebar(pushArgs(file, site, "--batch-size", "100"), { VALUEBAR_TOKEN: token });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^The Worker has acknowledged this push up to line 101 already \(another copy of the push, or an answer lost on the way\): going on from there\.$/m);
    // Each batch was written once; the refused retry wrote nothing.
    expect(proxy.acknowledged).toEqual([100, 100, 100]);
    expect(run.stderr).toMatch(/Pushed 300 row\(s\) .*: 200 set, .*, 100 acknowledged before this run's checkpoint, 0 rejected\.$/m);
    expect((await countsOf(site)).customers).toBe(300);
  }, 60_000);

  // Issue 11: the README's `--replace` example removed every member the file did not list (the demo's personas),
  // with exit 0 and no warning.
  describe("--replace asks before removing more than --max-remove-share; --dry-run sends no write", () => {
    const personas = JSON.parse(readFileSync(join(root, "src", "demo", "personas.json"), "utf8")) as { customerId: string; segments: string[] }[];

    /** A site with the demo config and its seven personas, as `npm start` seeds them. */
    async function demoSite(): Promise<string> {
      const site = await newSite();
      const seeded = await fetch(`${worker.url}/admin/sites/${site}/segments`, {
        method: "POST",
        headers: { ...auth(), "content-type": "application/x-ndjson" },
        body: personas.map((p) => JSON.stringify({ customer_id: p.customerId, segments: p.segments })).join("\n"),
      });
      expect(seeded.status, await seeded.text()).toBe(200);
      return site;
    }

    async function personasOf(site: string): Promise<(string[] | null)[]> {
      return Promise.all(personas.map((p) => segmentsOf(site, p.customerId)));
    }

    it("stops before removing 6 of the demo's 7 personas and removes nobody without --yes; --yes removes them", async () => {
      const site = await demoSite();
      const files = scratch();
      const file = files.file("vip-only.ndjson", `${JSON.stringify({ customer_id: "1001", segments: ["vip"] })}\n`);

      const stopped = await valuebar(pushArgs(file, site, "--replace"), { VALUEBAR_TOKEN: token });
      expect(stopped.code, stopped.stderr).toBe(1);
      expect(stopped.stderr).toMatch(/^--replace: 6 of the site's 7 members \(86%\) are not in this file and would be removed\.$/m);
      expect(stopped.stderr).toMatch(
        /^valuebar: --replace removed nobody: 6 of 7 members \(86%\) is more than --max-remove-share 10% and there is no terminal to ask on\. Run the same command again with --yes to remove them \(it goes on at the removal, sending no row again\), or with a higher --max-remove-share\.$/m,
      );
      expect(await personasOf(site)).toEqual(personas.map((p) => p.segments));
      expect((await countsOf(site)).customers).toBe(7);
      // The push stands at its removal: the rows are not sent again.
      expect(existsSync(`${file}.checkpoint.json`)).toBe(true);

      const requests = proxy.requests;
      const removed = await valuebar(pushArgs(file, site, "--replace", "--yes"), { VALUEBAR_TOKEN: token });
      expect(removed.code, removed.stderr).toBe(0);
      expect(proxy.requests).toBe(requests);
      expect(removed.stderr).toMatch(/^--replace: removed 6 member\(s\) not in this file$/m);
      expect((await countsOf(site)).customers).toBe(1);
      expect(await segmentsOf(site, "1001")).toEqual(["vip"]);
      expect(await segmentsOf(site, "1002")).toBeNull();
    }, 60_000);

    it("removes without asking up to --max-remove-share", async () => {
      const site = await demoSite();
      const files = scratch();
      const six = personas.slice(0, 6).map((p) => JSON.stringify({ customer_id: p.customerId, segments: p.segments }));
      const file = files.file("six.ndjson", `${six.join("\n")}\n`);
      // 1 of 7 (14%): above the default 10%, within 20%.
      const run = await valuebar(pushArgs(file, site, "--replace", "--max-remove-share", "20"), { VALUEBAR_TOKEN: token });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/^--replace: 1 of the site's 7 members \(14%\) are not in this file and would be removed\.$/m);
      expect(run.stderr).toMatch(/^--replace: removed 1 member\(s\) not in this file$/m);
      expect((await countsOf(site)).customers).toBe(6);
      const bad = await valuebar(pushArgs(file, site, "--replace", "--max-remove-share", "ten"), { VALUEBAR_TOKEN: token });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toBe("valuebar: --max-remove-share must be a percentage from 0 to 100, e.g. 10\n");
    }, 60_000);

    it.skipIf(!existsSync("/usr/bin/script"))("asks on a terminal, and removes only on yes", async () => {
      const site = await demoSite();
      const files = scratch();
      const file = files.file("vip-only.ndjson", `${JSON.stringify({ customer_id: "1001", segments: ["vip"] })}\n`);
      const onTerminal = async (answer: string) => {
        // `script` runs the command on a pseudo-terminal: the command sees a TTY and reads the answer from it.
        const command = [process.execPath, join(root, "bin", "valuebar.mjs"), ...pushArgs(file, site, "--replace")].map((a) => `'${a}'`).join(" ");
        const child = spawn("script", ["-qec", command, "/dev/null"], { cwd: root, env: { ...process.env, VALUEBAR_TOKEN: token }, stdio: ["pipe", "pipe", "pipe"] });
        let output = "";
        // What the terminal shows: without carriage returns and the cursor moves readline draws the prompt with.
        const shown = () => output.replace(/\r|\x1b\[[0-9;]*[A-Za-z]/g, "");
        const asked = new Promise<void>((resolve) => child.stdout.on("data", (chunk) => ((output += String(chunk)), /\[y\/N\] $/.test(shown()) && resolve())));
        const code = new Promise<number | null>((resolve) => child.on("close", resolve));
        // A command that never asks ends without a prompt: the assertion below says so.
        await Promise.race([asked, code]);
        expect(shown()).toMatch(/^Remove 6 of 7 members \(86%\)\? \[y\/N\] $/m);
        child.stdin.write(`${answer}\n`);
        return { code: await code, output: shown() };
      };
      const no = await onTerminal("n");
      expect(no.code, no.output).toBe(1);
      expect(no.output).toMatch(/^valuebar: --replace removed nobody: you answered no\. Run the same command again to be asked again, or with --yes\.$/m);
      expect((await countsOf(site)).customers).toBe(7);
      const yes = await onTerminal("y");
      expect(yes.code, yes.output).toBe(0);
      expect(yes.output).toMatch(/^--replace: removed 6 member\(s\) not in this file$/m);
      expect((await countsOf(site)).customers).toBe(1);
    }, 60_000);

    it("--dry-run checks the file against the site and says what a push would do, writing nothing", async () => {
      const site = await demoSite();
      const files = scratch();
      const rows = [
        { customer_id: "1001", segments: ["valuable"] },
        { customer_id: "1002", segments: ["valuable"] },
        { customer_id: "1005", segments: [] },
        { customer_id: "2001", segments: ["vip", "gold"] },
      ];
      const text = `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
      const before = await countsOf(site);
      const run = await valuebar(pushArgs(files.file("m.ndjson", text), site, "--replace", "--dry-run"), { VALUEBAR_TOKEN: token });
      expect(run.code, run.stderr).toBe(0);
      expect(run.stderr).toMatch(/^Dry run, nothing written: 4 row\(s\) checked against site push-\S+: 2 would be set, 1 unchanged, 1 removed \(no segments\), 0 rejected\.$/m);
      expect(run.stderr).toMatch(/^Segments the site's config does not use \(no message targets them until the config lists them\): gold$/m);
      // 1001, 1002 and 1005 are in the file: the other four personas are not.
      expect(run.stderr).toMatch(/^--replace would remove 4 of the site's 7 members \(57%\): above --max-remove-share 10%, so the push would ask first \(or need --yes\)\.$/m);

      const withBadRow = files.file("bad.ndjson", `${text}{oops\n`);
      const bad = await valuebar(pushArgs(withBadRow, site, "--replace", "--dry-run"), { VALUEBAR_TOKEN: token });
      expect(bad.code, bad.stderr).toBe(0);
      expect(bad.stderr).toMatch(/^ {2}line 5: not valid JSON$/m);
      expect(bad.stderr).toMatch(/, 1 rejected\.$/m);
      expect(bad.stderr).toMatch(/^--replace would remove nobody: 1 row\(s\) were rejected, and those customers would lose their segments\.$/m);

      // Nothing written: not a row, not a removal, no checkpoint; only dry runs reached the Worker.
      expect(await countsOf(site)).toEqual(before);
      expect(await personasOf(site)).toEqual(personas.map((p) => p.segments));
      expect(await segmentsOf(site, "2001")).toBeNull();
      expect(existsSync(files.path("m.ndjson.checkpoint.json"))).toBe(false);
      expect(proxy.acknowledged).toEqual([]);
    }, 60_000);
  });

  it("stops at once on a wrong token or site, without retrying", async () => {
    const site = await newSite();
    const files = scratch();
    const file = files.file("m.ndjson", members(10));
    const wrongToken = await valuebar(pushArgs(file, site), { VALUEBAR_TOKEN: "not-a-token" });
    expect(wrongToken.code).toBe(1);
    expect(wrongToken.stderr).toMatch(/^valuebar: the Worker refused the push \(401 UNAUTHORIZED\): /m);
    expect(proxy.requests).toBe(1);
    const noSite = await valuebar(pushArgs(file, "no-such-site"), { VALUEBAR_TOKEN: token });
    expect(noSite.stderr).toMatch(/refused the push \(404 NOT_FOUND\): no site "no-such-site"/);
  }, 60_000);
});
