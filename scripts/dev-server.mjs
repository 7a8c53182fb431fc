// @module Starting the Worker locally with `wrangler dev` (workerd with local KV and Durable Object
// storage) and seeding the demo site. Used by `npm start`, the browser tests and the bench.
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The secrets `wrangler dev` needs, each a fresh random value unless .dev.vars holds a usable one. */
const SECRETS = ["ADMIN_TOKEN", "SIGNING_SECRET"];

/** What the Worker refuses (src/env.ts): the placeholders of .dev.vars.example say "change-me". */
const refused = (value) => value === undefined || value.length < 16 || /change-me/i.test(value);

function readVars(text) {
  const vars = {};
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*([A-Z_][A-Z0-9_]*)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (match) vars[match[1]] = match[2];
  }
  return vars;
}

/**
 * Makes sure .dev.vars holds secrets the Worker accepts; returns its values. A missing file is written from
 * .dev.vars.example with fresh random secrets; in an existing one, a placeholder (or a missing secret, or
 * ADMIN_TOKEN equal to SIGNING_SECRET) is replaced by a random value, saying so. Other lines stay as they are.
 */
export function ensureDevVars() {
  const file = join(root, ".dev.vars");
  const existed = existsSync(file);
  let text = readFileSync(existed ? file : join(root, ".dev.vars.example"), "utf8");
  const vars = readVars(text);
  const replaced = [];
  for (const name of SECRETS) {
    const value = vars[name];
    const duplicate = name === "SIGNING_SECRET" && value === vars.ADMIN_TOKEN;
    if (!refused(value) && !duplicate) continue;
    const fresh = `${name.toLowerCase().replace("_", "-")}-${randomBytes(24).toString("hex")}`;
    const line = new RegExp(`^\\s*${name}\\s*=.*$`, "m");
    text = line.test(text) ? text.replace(line, `${name}=${fresh}`) : `${text.replace(/\n?$/, "\n")}${name}=${fresh}\n`;
    vars[name] = fresh;
    if (existed) replaced.push(name);
  }
  if (!existed) {
    try {
      // Exclusive create: when two processes start at once, the one that loses reads the winner's secrets.
      writeFileSync(file, text, { flag: "wx" });
    } catch (error) {
      if (error.code === "EEXIST") return ensureDevVars();
      throw error;
    }
    console.log("Wrote .dev.vars with fresh random ADMIN_TOKEN and SIGNING_SECRET.");
  } else if (replaced.length > 0) {
    writeFileSync(file, text); console.log(`.dev.vars: replaced ${replaced.join(" and ")} (missing, a placeholder, or equal to ADMIN_TOKEN: values the Worker refuses) with a fresh random value.`);
  }
  return vars;
}

/** A free TCP port on 127.0.0.1. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `wrangler dev` on `port` and resolves once it answers. `vars` are passed as `--var NAME:VALUE`
 * (they win over .dev.vars).
 * @returns {Promise<{url: string, pid: number, stop: () => Promise<void>, output: () => string}>}
 */
export async function startWorker({ port, persistTo, vars = {}, quiet = true, timeoutMs = 90_000 } = {}) {
  // The demo store is built in locally (wrangler.toml's define leaves it out of a deployment).
  const args = ["wrangler", "dev", "--ip", "127.0.0.1", "--port", String(port ?? 8787), "--inspector-port", String(await freePort()), "--define", "__DEMO__:true"];
  if (persistTo) args.push("--persist-to", persistTo);
  for (const [name, value] of Object.entries(vars)) args.push("--var", `${name}:${value}`);
  const child = spawn("npx", args, {
    cwd: root,
    env: { ...process.env, CLOUDFLARE_CF_FETCH_ENABLED: "false", WRANGLER_SEND_METRICS: "false", FORCE_COLOR: "0" },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  let log = "";
  const collect = (chunk) => {
    log += chunk;
    if (log.length > 200_000) log = log.slice(-100_000);
    if (!quiet) process.stdout.write(chunk);
  };
  child.stdout.on("data", collect);
  child.stderr.on("data", collect);
  const url = `http://127.0.0.1:${port ?? 8787}`;
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once("exit", () => resolve());
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {
        resolve();
      }
      setTimeout(() => {
        try {
          process.kill(-child.pid, "SIGKILL");
        } catch {
          // already gone
        }
      }, 5_000).unref();
    });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`wrangler dev exited (${child.exitCode}):\n${log}`);
    try {
      const res = await fetch(`${url}/`);
      if (res.ok) return { url, pid: child.pid, stop, output: () => log };
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  await stop();
  throw new Error(`wrangler dev did not answer on ${url} within ${timeoutMs} ms:\n${log}`);
}

/** The demo site's config and one membership per persona, through the admin API. */
export async function seedDemo(url, token) {
  const headers = { authorization: `Bearer ${token}` };
  const config = JSON.parse(readFileSync(join(root, "src/demo/config.json"), "utf8"));
  const personas = JSON.parse(readFileSync(join(root, "src/demo/personas.json"), "utf8"));
  const live = await fetch(`${url}/admin/sites/demo/config`, { headers });
  const liveConfig = live.ok ? await live.json() : null;
  if (!liveConfig || JSON.stringify(liveConfig) !== JSON.stringify(parse(config))) {
    const res = await fetch(`${url}/admin/sites/demo/config`, {
      method: "PUT",
      headers: { ...headers, "content-type": "application/json", "x-valuebar-note": "Demo config (seeded by npm start)" },
      body: JSON.stringify(config),
    });
    if (!res.ok) throw new Error(`seeding the demo config failed: ${res.status} ${await res.text()}`);
  }
  const ndjson = personas.map((p) => JSON.stringify({ customer_id: p.customerId, segments: p.segments })).join("\n");
  const res = await fetch(`${url}/admin/sites/demo/segments`, {
    method: "POST",
    headers: { ...headers, "content-type": "application/x-ndjson" },
    body: ndjson,
  });
  if (!res.ok) throw new Error(`seeding the demo memberships failed: ${res.status} ${await res.text()}`);
  return { personas, config };
}

// The config as the Worker returns it: defaults filled in, so a re-seed can see it is unchanged.
function parse(config) {
  return { segments: [], campaigns: [], defaults: {}, ...config };
}
