/**
 * @module The README's examples run as written, against the Worker under `wrangler dev` and the real `valuebar`
 * command: the shell blocks with the ADMIN_TOKEN line and the curl commands in bash (curl failing on any HTTP
 * error), the files they send made from the README's own examples (config.json is its config, members.ndjson and
 * members.csv the rows it shows under each command), the `npx valuebar` blocks with the orders exports and the rules
 * file they name, the options they use checked against `valuebar --help`, and the Shopify checkout pixel and the
 * `valuebar.track` lines in a JavaScript sandbox. (The Shopify theme snippet, the plain HTML loader, the slot CSS and
 * the Content-Security-Policy run in Chromium: test/browser.)
 *
 * What a reader would change, the test changes: `localhost:8787` and `https://valuebar.example.workers.dev` are this
 * test's Worker, `VALUEBAR_TOKEN=...` its admin token, and `npx valuebar` is the checkout's bin/valuebar.mjs (what npx
 * runs in a checkout after `npm install`). The curl examples work on the site `demo`, seeded as `npm start` seeds it.
 */
import { spawn } from "node:child_process";
import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { runInNewContext } from "node:vm";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunningWorker } from "../../scripts/dev-server.mjs";
import { ensureDevVars, freePort, root, seedDemo, startWorker } from "../../scripts/dev-server.mjs";
import { type CodeBlock, codeBlocks, README_SITE, README_WORKER, theBlock } from "../readme";
import { scratch, valuebar } from "./run";

const README = readFileSync(join(root, "README.md"), "utf8");
const blocks = codeBlocks(README);

let worker: RunningWorker;
let token: string;
let files: ReturnType<typeof scratch>;

/** Runs `script` in bash in the scratch folder; `npx valuebar` is the checkout's command. */
function bash(script: string, env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const preamble = [
    "set -euo pipefail",
    // Any HTTP error fails the example (curl alone exits 0 on a 400), and each answer ends its line.
    'curl() { command curl --silent --show-error --fail-with-body "$@"; echo; }',
    `npx() { if [ "$1" = valuebar ]; then shift; node ${JSON.stringify(join(root, "bin", "valuebar.mjs"))} "$@"; else echo "npx $1 is not a README example" >&2; return 1; fi; }`,
  ].join("\n");
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", `${preamble}\n${script}`], { cwd: files.dir, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk) => (stdout += String(chunk)));
    child.stderr.on("data", (chunk) => (stderr += String(chunk)));
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

/** The block's code with the README's Worker in place of this test's. */
const forThisWorker = (code: string) => code.replaceAll("localhost:8787", new URL(worker.url).host).replaceAll(README_WORKER, worker.url);

/**
 * The files the curl commands of `block` send (`--data @name`, `--data-binary @name`) that the README shows as the
 * comment lines right under the command, `# ` taken off.
 */
function filesShownUnder(block: CodeBlock): Map<string, string> {
  const found = new Map<string, string>();
  const lines = block.code.split("\n");
  lines.forEach((line, i) => {
    const name = /--data(?:-binary)? @(\S+)/.exec(line)?.[1];
    if (!name) return;
    const shown: string[] = [];
    for (let j = i + 1; (lines[j] ?? "").startsWith("# "); j++) shown.push((lines[j] ?? "").slice(2));
    if (shown.length) found.set(name, `${shown.join("\n")}\n`);
  });
  return found;
}

async function admin(path: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${worker.url}${path}`, { ...init, headers: { authorization: `Bearer ${token}`, ...init.headers } });
}

beforeAll(async () => {
  const vars = ensureDevVars();
  token = vars.ADMIN_TOKEN ?? "";
  files = scratch();
  // .dev.vars as `npm start` writes it: the example's comments (which name ADMIN_TOKEN) and fresh secrets.
  const example = readFileSync(join(root, ".dev.vars.example"), "utf8");
  files.file(".dev.vars", example.replace(/^ADMIN_TOKEN=.*$/m, `ADMIN_TOKEN=${token}`).replace(/^SIGNING_SECRET=.*$/m, `SIGNING_SECRET=${vars.SIGNING_SECRET ?? ""}`));
  worker = await startWorker({ port: await freePort(), persistTo: join(files.dir, "state") });
  await seedDemo(worker.url, token);
  // The README's own site, my-store (a site comes into being with its first config): a copy of the demo store.
  const demo = readFileSync(join(root, "src", "demo", "config.json"), "utf8");
  const published = await admin(`/admin/sites/${README_SITE}/config`, { method: "PUT", headers: { "content-type": "application/json" }, body: demo });
  if (!published.ok) throw new Error(`publishing ${README_SITE} failed: ${published.status} ${await published.text()}`);
});

afterAll(async () => {
  await worker?.stop();
});

describe("the README's examples, run as written", () => {
  it("the ADMIN_TOKEN line reads the token from .dev.vars, whose comments also name ADMIN_TOKEN", async () => {
    const line = blocks.flatMap((b) => b.code.split("\n")).filter((l) => l.startsWith("TOKEN="));
    expect(line.length).toBeGreaterThan(0);
    expect(new Set(line).size).toBe(1);
    expect(readFileSync(join(files.dir, ".dev.vars"), "utf8")).toMatch(/^#.*ADMIN_TOKEN/m);
    const run = await bash(`${line[0]}\nprintf %s "$TOKEN"`);
    expect(run).toMatchObject({ code: 0, stdout: token });
  });

  it("the curl commands publish the README's config, list the versions, roll back, import its NDJSON and CSV rows, and send a signed refund", async () => {
    const curls = blocks.filter((b) => b.lang === "sh" && b.code.includes("curl "));
    expect(curls.map((b) => b.code.match(/curl .*?localhost:8787(\S*)/g)?.length)).toEqual([3, 2, 1]);
    // config.json is the README's config example; members.ndjson and members.csv the rows shown under their commands.
    files.file("config.json", theBlock(README, "json", '"campaigns"').code);
    for (const block of curls) for (const [name, text] of filesShownUnder(block)) files.file(name, text);
    expect(readFileSync(join(files.dir, "members.csv"), "utf8")).toMatch(/^customer_id,segments/);

    const run = await bash(curls.map((b) => forThisWorker(b.code)).join("\n"));
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: "" });
    // The refund, signed in shell with openssl, was taken (a wrong signature would have failed curl with 401).
    expect(run.stdout).toMatch(/\{"queued":1,"experiments":\[/);

    const versions = (await (await admin("/admin/sites/demo/config/versions")).json()) as { versions: { version: number; note: string }[] };
    expect(versions.versions.map((v) => v.note)).toContain("winter sale");
    const live = (await (await admin("/admin/sites/demo/config")).json()) as { campaigns: { id: string }[] };
    // The rollback made the demo's seeded config live again.
    expect(live.campaigns.map((c) => c.id)).toContain("us-free-shipping");
    const member = (await (await admin("/admin/sites/demo/segments/123")).json()) as { segments: string[] };
    expect(member.segments).toEqual(["vip", "high_returner"]);
  });

  it("the valuebar commands compute segments from both exports and push them, with the options valuebar --help lists", async () => {
    const block = theBlock(README, "sh", "npx valuebar segments compute");
    // The exports the commands name: Shopify's (the test's fixtures) and one in the generic layout the README's table gives.
    copyFileSync(join(root, "test", "fixtures", "shopify-orders.csv"), files.path("orders_export.csv"));
    copyFileSync(join(root, "test", "fixtures", "shopify-customers.csv"), files.path("customers_export.csv"));
    const columns = [...README.matchAll(/^\| `(\w+)` \| (?:yes|no) \|/gm)].map((m) => m[1]);
    expect(columns).toEqual(["customer_id", "order_id", "created_at", "total", "currency", "discount", "refunded"]);
    const orders = [
      ["c1", "1001", "2026-05-01", "59.90", "EUR", "0", "0"],
      ["c1", "1002", "2026-06-01T10:00:00Z", "120.00", "EUR", "10.00", "0"],
      ["c2", "1003", "2026-06-02 10:00:00 +0200", "35.00", "EUR", "", ""],
      ["c3", "1004", "2026-06-03", "80.00", "EUR", "0", "20.00"],
    ];
    files.file("orders.csv", [columns, ...orders].map((row) => row.join(",")).join("\n") + "\n");

    const script = forThisWorker(block.code).replace(/^export VALUEBAR_TOKEN=\.\.\./m, `export VALUEBAR_TOKEN=${token}`);
    const run = await bash(script);
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/Wrote \d+ customer\(s\) in at least one segment to memberships\.ndjson/) });
    const pushed = (await (await admin(`/admin/sites/${README_SITE}/segments`)).json()) as { customers: number };
    expect(pushed.customers).toBeGreaterThan(0);

    // Every option of a README command is one the command knows.
    const known = new Set((await valuebar(["--help"])).stdout.match(/--[a-z][a-z-]*/g));
    const commands = [...blocks.flatMap((b) => b.code.split("\n")), ...[...README.matchAll(/`(npx valuebar [^`]+)`/g)].map((m) => m[1] ?? "")].filter((l) => l.includes("npx valuebar"));
    const options = new Set(commands.flatMap((c) => c.match(/--[a-z][a-z-]*/g) ?? []));
    expect(options.size).toBeGreaterThan(5);
    // `--help` prints the help, which does not list itself.
    expect([...options].filter((option) => option != "--help" && !known.has(option))).toEqual([]);
  });

  it("the rules start from `segments rules`, and the README's rules file computes", async () => {
    const rules = await bash("npx valuebar segments rules > rules.json && cat rules.json");
    expect(rules.code).toBe(0);
    expect((JSON.parse(rules.stdout) as { segments: unknown[] }).segments.length).toBeGreaterThan(0);
    files.file("rules.json", theBlock(README, "json", '"not_in"').code);
    const run = await bash("npx valuebar segments compute --orders orders_export.csv --customers customers_export.csv --rules rules.json --out custom.ndjson");
    expect({ code: run.code, stderr: run.stderr }).toEqual({ code: 0, stderr: expect.stringMatching(/big_basket/) });
  });

  it("the Shopify checkout pixel sends a purchase the Worker counts for the experiment the shopper was shown", async () => {
    // The README's pixel posts to its site my-store, a copy of the demo store here: the shopper saw its US test.
    const vid = "pixelvisitor0001";
    expect((await fetch(`${worker.url}/v1/s/${README_SITE}.js?country=US&currency=USD&vid=${vid}`)).status).toBe(200);
    await expect
      .poll(async () => ((await (await admin(`/admin/sites/${README_SITE}/experiments/us-free-shipping/results`)).json()) as { units: { counted: number } }).units.counted, { timeout: 10_000 })
      .toBe(1);

    const pixel = theBlock(README, "js", "checkout_completed").code;
    // What the runtime kept in the store's storage, as the pixel reads it (Shopify's browser.localStorage is async).
    const stored: Record<string, string> = { valuebar_vid: vid, valuebar_experiments: JSON.stringify({ "us-free-shipping": Date.now() }) };
    const handlers = new Map<string, (event: unknown) => Promise<void>>();
    const sent: Promise<Response>[] = [];
    runInNewContext(pixel, {
      analytics: { subscribe: (name: string, handler: (event: unknown) => Promise<void>) => handlers.set(name, handler) },
      browser: { localStorage: { getItem: async (key: string) => stored[key] ?? null } },
      fetch: (url: string, init: RequestInit) => {
        const answer = fetch(url.replace(README_WORKER, worker.url), init);
        sent.push(answer);
        return answer;
      },
    });
    await handlers.get("checkout_completed")?.({ data: { checkout: { totalPrice: { amount: "42.50", currencyCode: "USD" }, order: { id: 5001 }, token: "c1" } } });
    expect(sent).toHaveLength(1);
    const answer = await sent[0];
    expect(answer?.status).toBe(202);
    expect(await answer?.json()).toEqual({ outcomes: { "us-free-shipping": "queued" } });
    // Counted when the queue delivers it to the Worker's consumer, about a second later.
    await expect
      .poll(
        async () =>
          ((await (await admin(`/admin/sites/${README_SITE}/experiments/us-free-shipping/results`)).json()) as { metrics: { purchase: { variants: { conversions: number }[] } } }).metrics.purchase.variants.reduce(
            (n, v) => n + v.conversions,
            0,
          ),
        { timeout: 10_000 },
      )
      .toBe(1);
  });

  it("the valuebar.track lines do nothing where the runtime is not there, and call it where it is", () => {
    const track = theBlock(README, "js", "valuebar?.track?.").code;
    expect(() => runInNewContext(track, { window: {} })).not.toThrow();
    const calls: unknown[][] = [];
    runInNewContext(track, { window: { valuebar: { track: (...args: unknown[]) => calls.push(args) } } });
    expect(calls).toEqual([["add_to_cart"], ["purchase", { value: 42.5, currency: "EUR", order_id: "1001" }]]);
  });
});

describe("the README's guardrails example", () => {
  it("is a campaign the config schema accepts, with the guardrails it names", async () => {
    const { parseConfig } = await import("../../src/core/config-schema");
    const campaign = JSON.parse(theBlock(README, "json", '"guardrails"').code) as unknown;
    const result = parseConfig({ campaigns: [campaign] });
    expect(result.ok && result.config.campaigns[0]?.experiment?.guardrails).toEqual(["netRevenuePerVisitor", "refundRate"]);
  });
});
