/**
 * @module The bench's reference routes (src/routes/bench.ts): off as deployed (404 like any unknown route, with
 * wrangler.toml's BENCH_ROUTES = "off"), and with BENCH_ROUTES = "on" the runtime's bytes with the snippet's
 * headers, after no KV read (static) or exactly one (kv).
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import wranglerToml from "../../wrangler.toml?raw";
import { RUNTIME_JS } from "../../snippet/dist/runtime";
import { BENCH_PROBE_KEY } from "../../src/storage/keys";
import { faultyKv, fetchWithEnv } from "../faults";
import { call, errorOf, kvReads } from "../helpers";

const ROUTES = ["/v1/bench/static.js", "/v1/bench/kv.js"] as const;

describe("bench reference routes: off", () => {
  it('wrangler.toml deploys them off (BENCH_ROUTES = "off")', () => {
    expect(wranglerToml).toMatch(/^BENCH_ROUTES = "off"$/m);
    expect(env.BENCH_ROUTES).toBe("off");
  });

  it.each(ROUTES)("%s answers 404 like an unknown route, and reads nothing", async (path) => {
    const unknown = await call("/v1/no-such-route");
    const kv = faultyKv(env.KV, () => undefined);
    const res = await fetchWithEnv({ KV: kv }, path);
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe((await errorOf(unknown)).code);
    expect(kv.calls).toEqual([]);
  });
});

describe('bench reference routes: BENCH_ROUTES = "on"', () => {
  it.each([
    [ROUTES[0], 0],
    [ROUTES[1], 1],
  ] as const)("%s serves the runtime's bytes with the snippet's headers after %i KV read(s)", async (path, reads) => {
    await env.KV.put(BENCH_PROBE_KEY, JSON.stringify({ segments: ["vip"] }));
    const snippet = await call("/v1/s/no-such-site.js");
    await snippet.body?.cancel();
    const kv = faultyKv(env.KV, () => undefined);
    const res = await fetchWithEnv({ KV: kv, BENCH_ROUTES: "on" }, path);
    expect(res.status).toBe(200);
    for (const header of ["content-type", "cache-control", "x-content-type-options"]) expect(res.headers.get(header)).toBe(snippet.headers.get(header));
    const body = new Uint8Array(await res.arrayBuffer());
    expect(body.byteLength).toBe(new TextEncoder().encode(RUNTIME_JS).byteLength);
    expect(new TextDecoder().decode(body)).toBe(RUNTIME_JS);
    expect(kvReads(res)).toBe(reads);
    expect(kv.calls.map((c) => `${c.op} ${c.key}`)).toEqual(reads ? [`get ${BENCH_PROBE_KEY}`] : []);
  });
});
