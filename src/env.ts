/**
 * @module The Worker's bindings and secrets: one `Env` type, validated at the edge so a misconfigured
 * deployment answers a clear BAD_ENVIRONMENT instead of failing somewhere deep inside.
 */
import * as z from "zod/mini";
import type { EdgeSitesResult } from "./core/edge-sites";
import { parseEdgeSites } from "./core/edge-sites";
import type { EventsMessage } from "./storage/event-queue";
import type { ExperimentShard } from "./storage/experiment-shard";
import type { SiteAdmin } from "./storage/site-admin";

export interface Env {
  /** Live configs (`config:{site}`) and memberships (`m:{site}:{hmac}`). */
  KV: KVNamespace;
  /** One object per site: config versions (SQLite) and the writer of imports. */
  SITE_ADMIN: DurableObjectNamespace<SiteAdmin>;
  /** Experiment counts: one object per (site, experiment, shard), see storage/experiment-shard.ts. */
  EXPERIMENTS: DurableObjectNamespace<ExperimentShard>;
  /** The events queue (`[[queues.producers]]`): the events route enqueues, the Worker's `queue()` counts. */
  EVENTS: Queue<EventsMessage>;
  /** Bearer token for /admin routes (`wrangler secret put ADMIN_TOKEN`). */
  ADMIN_TOKEN: string;
  /** Key of the customer-id signatures and of the membership keys (`wrangler secret put SIGNING_SECRET`). */
  SIGNING_SECRET: string;
  /** "on" serves the demo storefront at /demo. */
  DEMO_STORE?: string;
  /** Per-client limit of the snippet and decide routes (`[[ratelimits]]` in wrangler.toml), keyed by client IP. */
  PAGE_RATE_LIMIT?: RateLimit;
  /** Per-client limit of the events route. */
  EVENT_RATE_LIMIT?: RateLimit;
  /**
   * The static files `npm run build` writes (wrangler.toml `[assets]`): the editor's page, script and style, and the
   * config's JSON Schema. The Worker reads the page and the schema through it; the rest is served without it.
   */
  ASSETS?: Fetcher;
  /** "off" turns the rate limits off (the bench, a local soak); anything else leaves them on. */
  RATE_LIMITS?: string;
  /** "on" serves the bench's reference routes (src/routes/bench.ts); wrangler.toml has "off". */
  BENCH_ROUTES?: string;
  /**
   * Edge-rendered mode: store hostname -> `{ site, origin }` (src/core/edge-sites.ts). An object when wrangler.toml
   * holds it as a table, JSON text when set with `--var` or in the dashboard; unknown until validated.
   */
  EDGE_SITES?: unknown;
}

/**
 * Values that are placeholders, never secrets: the ones in `.dev.vars.example` (old and new) all say "change-me".
 * `npm start` writes random values instead, so a deployment holding one was set up from the example by hand.
 */
const PLACEHOLDER = /change-me/i;

const secret = (name: string) =>
  z.string().check(
    z.minLength(16, `${name} must be at least 16 characters`),
    z.refine((value) => !PLACEHOLDER.test(value), `${name} is the placeholder of .dev.vars.example: set a random value (wrangler secret put ${name})`),
  );

const SecretsSchema = z
  .object({ ADMIN_TOKEN: secret("ADMIN_TOKEN"), SIGNING_SECRET: secret("SIGNING_SECRET") })
  .check(
    // The stores hold SIGNING_SECRET: were it also the owner's token, every store could administer every site.
    z.refine((env) => env.ADMIN_TOKEN !== env.SIGNING_SECRET, { message: "ADMIN_TOKEN must differ from SIGNING_SECRET (the stores hold SIGNING_SECRET)", path: ["ADMIN_TOKEN"] }),
  );

// Isolate-wide: an env object is the same for every request of a deployment, so validate it once.
const checked = new WeakMap<object, string | null>();

/** Null when the deployment is configured; else what is wrong (names only, never values). */
export function environmentProblem(env: Env): string | null {
  let problem = checked.get(env);
  if (problem === undefined) {
    const result = SecretsSchema.safeParse(env);
    problem = result.success
      ? null
      : result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ");
    if (!env.KV || !env.SITE_ADMIN || !env.EXPERIMENTS || !env.EVENTS) {
      problem = [problem, "KV, SITE_ADMIN, EXPERIMENTS and EVENTS bindings are required"].filter(Boolean).join("; ");
    }
    if (env.RATE_LIMITS !== "off" && (!env.PAGE_RATE_LIMIT || !env.EVENT_RATE_LIMIT)) {
      problem = [problem, 'PAGE_RATE_LIMIT and EVENT_RATE_LIMIT bindings are required (see wrangler.toml), or RATE_LIMITS = "off"'].filter(Boolean).join("; ");
    }
    checked.set(env, problem);
  }
  return problem;
}

// Isolate-wide, like `checked`: the table is the deployment's, the same for every request.
const edgeTables = new WeakMap<object, EdgeSitesResult>();

/**
 * The edge-mode table, validated on first use. Kept apart from `environmentProblem`: a mistake in it stops the
 * stores served in edge mode (their pages answer BAD_ENVIRONMENT), not the snippet and admin routes of every site.
 */
export function edgeSites(env: Env): EdgeSitesResult {
  let table = edgeTables.get(env);
  if (table === undefined) {
    table = parseEdgeSites(env.EDGE_SITES);
    edgeTables.set(env, table);
  }
  return table;
}
