/**
 * @module Per-client rate limits of the public routes, with the real rate limiting binding as wrangler.toml
 * configures it: past the limit one client (one `cf-connecting-ip`) gets 429 with Retry-After (a script that does
 * nothing for the snippet, the JSON envelope for decide and events), other clients do not; requests without a client
 * IP and deployments with RATE_LIMITS = "off" are not limited; a failing limiter lets requests through.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import wranglerToml from "../../wrangler.toml?raw";
import { RATE_LIMIT_PERIOD_SECONDS } from "../../src/http/rate-limit";
import { fetchWithEnv } from "../faults";
import { call, errorOf, newSite, publishConfig } from "../helpers";

/** The `simple` limit of the `[[ratelimits]]` binding `name` in wrangler.toml. */
function configured(name: string): { limit: number; period: number } {
  const match = new RegExp(`name\\s*=\\s*"${name}"[^[]*?simple\\s*=\\s*\\{\\s*limit\\s*=\\s*(\\d+)\\s*,\\s*period\\s*=\\s*(\\d+)\\s*\\}`).exec(wranglerToml);
  if (!match) throw new Error(`no [[ratelimits]] ${name} in wrangler.toml`);
  return { limit: Number(match[1]), period: Number(match[2]) };
}

/** An IP no other test uses: every client has its own budget. */
const newClient = () => `2001:db8::${crypto.randomUUID().slice(0, 4)}:${crypto.randomUUID().slice(0, 4)}`;

/**
 * Sends `request` as one client until it is refused, at most twice the limit: the windows are aligned to the clock,
 * so requests spanning a window's end may get up to twice the limit through, never more (while they take less than
 * a period). The first `limit` always pass.
 */
async function untilLimited(limit: number, request: (i: number) => Promise<Response>): Promise<{ accepted: number; refused: Response | undefined }> {
  for (let i = 0; i <= 2 * limit; i++) {
    const res = await request(i);
    if (res.status === 429) return { accepted: i, refused: res };
    await res.body?.cancel();
  }
  return { accepted: 2 * limit + 1, refused: undefined };
}

/** A real binding, counted: every call passes to it (or, with `fail`, is refused as a failing binding would). */
function countedLimiter(binding: RateLimit | undefined, fail = false): RateLimit & { calls: number } {
  const counted = {
    calls: 0,
    async limit(options: RateLimitOptions): Promise<RateLimitOutcome> {
      counted.calls++;
      if (fail) throw new Error("injected failure: rate limiter");
      if (!binding) throw new Error("no binding");
      return binding.limit(options);
    },
  };
  return counted;
}

describe("rate limits: configured", () => {
  it("are generous and answer Retry-After of their period", () => {
    const pages = configured("PAGE_RATE_LIMIT");
    const events = configured("EVENT_RATE_LIMIT");
    expect(pages.limit).toBeGreaterThanOrEqual(300);
    expect(events.limit).toBeGreaterThanOrEqual(100);
    expect([pages.period, events.period]).toEqual([RATE_LIMIT_PERIOD_SECONDS, RATE_LIMIT_PERIOD_SECONDS]);
  });
});

describe("rate limits: one client past the limit", () => {
  it("gets a 429 script that does nothing from the snippet route, with Retry-After; another client does not", async () => {
    const { limit } = configured("PAGE_RATE_LIMIT");
    const client = newClient();
    const { accepted, refused } = await untilLimited(limit, () => call("/v1/s/Not_A_Site.js", { headers: { "cf-connecting-ip": client } }));
    expect(accepted).toBeGreaterThanOrEqual(limit);
    expect(refused?.status).toBe(429);
    expect(refused?.headers.get("retry-after")).toBe(String(RATE_LIMIT_PERIOD_SECONDS));
    expect(refused?.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await refused?.text()).toMatch(/^\/\* valuebar: rate limited \*\/\n$/);
    expect((await call("/v1/s/Not_A_Site.js", { headers: { "cf-connecting-ip": newClient() } })).status).toBe(200);
  });

  it("gets 429 RATE_LIMITED from the decide route, which shares the snippet's limit", async () => {
    const { limit } = configured("PAGE_RATE_LIMIT");
    const client = newClient();
    const { refused } = await untilLimited(limit, (i) => call(i % 2 ? "/v1/s/Not_A_Site.js" : "/v1/decide/Not_A_Site", { headers: { "cf-connecting-ip": client } }));
    const decide = refused?.headers.get("content-type")?.startsWith("application/json") ? refused : await call("/v1/decide/Not_A_Site", { headers: { "cf-connecting-ip": client } });
    expect(decide?.status).toBe(429);
    expect(decide?.headers.get("retry-after")).toBe(String(RATE_LIMIT_PERIOD_SECONDS));
    expect(decide?.headers.get("access-control-allow-origin")).toBe("*");
    if (decide) expect((await errorOf(decide)).code).toBe("RATE_LIMITED");
  });

  it("gets 429 RATE_LIMITED from the events route before any work, with Retry-After", async () => {
    const { limit } = configured("EVENT_RATE_LIMIT");
    const site = newSite("limited");
    await publishConfig(site, { campaigns: [] });
    const client = newClient();
    const { accepted, refused } = await untilLimited(limit, () =>
      call(`/v1/events/${site}`, { method: "POST", headers: { "cf-connecting-ip": client }, body: JSON.stringify({ type: "add_to_cart", vid: "visitor-0001", experiments: [] }) }),
    );
    expect(accepted).toBeGreaterThanOrEqual(limit);
    expect(refused?.status).toBe(429);
    expect(refused?.headers.get("retry-after")).toBe(String(RATE_LIMIT_PERIOD_SECONDS));
    if (refused) expect((await errorOf(refused)).code).toBe("RATE_LIMITED");
  });
});

describe("rate limits: not applied", () => {
  it("to a request without a client IP (a test or a local tool calling the Worker directly)", async () => {
    const limiter = countedLimiter(env.EVENT_RATE_LIMIT);
    const res = await fetchWithEnv({ EVENT_RATE_LIMIT: limiter }, "/v1/events/Not_A_Site", { method: "POST", body: "{}" });
    expect(res.status).toBe(404);
    expect(limiter.calls).toBe(0);
  });

  it('with RATE_LIMITS = "off" (the bench, a local soak)', async () => {
    const pages = countedLimiter(env.PAGE_RATE_LIMIT);
    const res = await fetchWithEnv({ PAGE_RATE_LIMIT: pages, RATE_LIMITS: "off" }, "/v1/s/Not_A_Site.js", { headers: { "cf-connecting-ip": newClient() } });
    expect(res.status).toBe(200);
    expect(pages.calls).toBe(0);
  });

  it("when the limiter itself fails: the storefront still gets its snippet", async () => {
    const pages = countedLimiter(env.PAGE_RATE_LIMIT, true);
    const res = await fetchWithEnv({ PAGE_RATE_LIMIT: pages }, "/v1/s/Not_A_Site.js", { headers: { "cf-connecting-ip": newClient() } });
    expect(res.status).toBe(200);
    expect(pages.calls).toBe(1);
  });

  it("is a misconfiguration when a binding is missing and the limits are on: BAD_ENVIRONMENT, and a no-op snippet", async () => {
    const decide = await fetchWithEnv({ EVENT_RATE_LIMIT: undefined }, "/v1/decide/some-site");
    expect(decide.status).toBe(500);
    const error = await errorOf(decide);
    expect(error.code).toBe("BAD_ENVIRONMENT");
    expect(error.message).toContain("EVENT_RATE_LIMIT");
    const snippet = await fetchWithEnv({ EVENT_RATE_LIMIT: undefined }, "/v1/s/some-site.js");
    expect(snippet.status).toBe(200);
    expect(await snippet.text()).toMatch(/^\/\* valuebar: unavailable \*\/\n$/);
    expect((await fetchWithEnv({ EVENT_RATE_LIMIT: undefined, PAGE_RATE_LIMIT: undefined, RATE_LIMITS: "off" }, "/v1/decide/Not_A_Site")).status).toBe(404);
  });
});
