/**
 * @module The bench's reference routes (`npm run bench`), served only when BENCH_ROUTES is "on" (wrangler.toml
 * has "off": a deployment answers 404 here as for any unknown route). They are the floor the snippet route is
 * measured against, on the same Worker, in the same run:
 *   GET /v1/bench/static.js   the runtime's bytes with the snippet's headers: serving the snippet with no decision;
 *   GET /v1/bench/kv.js       the same after exactly one KV get of a small value (BENCH_PROBE_KEY, which the bench
 *                             seeds): the unavoidable cost of an identified visitor, whose membership is one such get.
 */
import { Hono } from "hono";
import { RUNTIME_JS } from "../../snippet/dist/runtime";
import type { Env } from "../env";
import { BENCH_PROBE_KEY } from "../storage/keys";
import { JS_HEADERS } from "./snippet";

const STATIC_HEADERS = { ...JS_HEADERS, "server-timing": 'kv;desc="reads=0"' };
const KV_HEADERS = { ...JS_HEADERS, "server-timing": 'kv;desc="reads=1"' };

export const benchRoutes = new Hono<{ Bindings: Env }>()
  .get("/v1/bench/static.js", (c) => {
    if (c.env.BENCH_ROUTES !== "on") return c.notFound();
    return new Response(RUNTIME_JS, { status: 200, headers: STATIC_HEADERS });
  })
  .get("/v1/bench/kv.js", async (c) => {
    if (c.env.BENCH_ROUTES !== "on") return c.notFound();
    // Read as the membership is (JSON, no cacheTtl), and only read: the value does not change the body.
    await c.env.KV.get(BENCH_PROBE_KEY, { type: "json" });
    return new Response(RUNTIME_JS, { status: 200, headers: KV_HEADERS });
  });
