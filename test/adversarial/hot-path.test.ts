/**
 * @module Adversarial: what an anonymous visitor can send to the public hot path (`/v1/s/{site}.js` and
 * `/v1/decide/{site}`) must never stall the Worker nor evict other sites' configs. One `it` per finding of
 * issue 9; each failed on the code before the fix. A hang counts as a failure: the old path matcher took about
 * 36 s of CPU for one request, so these tests carry a 10 s timeout (vitest also fails a test whose synchronous
 * work outlasted its timeout).
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { fetchWithEnv } from "../faults";
import type { DecisionBody } from "../helpers";
import { call, kvReads, newSite, newVisitorId, publishConfig, seedStore, snippetPayload } from "../helpers";

const HANG_LIMIT = { timeout: 10_000 };

/** A site whose only campaign shows "glob" in the top bar on the paths `patterns`. */
async function siteTargeting(patterns: string[]): Promise<string> {
  const site = newSite("glob");
  await publishConfig(site, {
    segments: [],
    campaigns: [{ id: "glob", placement: "topbar", audience: { paths: patterns }, variants: [{ id: "a", weight: 1, message: { text: "glob" } }] }],
    defaults: {},
  });
  return site;
}

// The reproduction: 510 slashes and a newline (which `.` in the old RegExp could not match, so every way
// of splitting the slashes among the five `.*` was tried before failing).
const HOSTILE_PATH = `${"/".repeat(510)}%0A`;

afterEach(() => {
  vi.useRealTimers();
});

describe("adversarial: the public hot path", () => {
  it("path targeting does not backtrack: /*/*/*/*/* against 510 slashes and a newline, through the decide route", HANG_LIMIT, async () => {
    const site = await siteTargeting(["/*/*/*/*/*"]);
    const res = await call(`/v1/decide/${site}?vid=${newVisitorId()}&path=${HOSTILE_PATH}`);
    expect(res.status).toBe(200);
    // `*` matches any characters, the newline included: the path has five slashes, so the campaign is shown.
    expect((await res.json<DecisionBody>()).placements.topbar?.campaign).toBe("glob");
  });

  it("path targeting does not backtrack: /*/*/*/*/* against 510 slashes and a newline, through the snippet route", HANG_LIMIT, async () => {
    const site = await siteTargeting(["/*/*/*/*/*"]);
    const res = await call(`/v1/s/${site}.js?vid=${newVisitorId()}&path=${HOSTILE_PATH}`);
    expect(res.status).toBe(200);
    expect(snippetPayload(await res.text())?.decision.placements.topbar?.campaign).toBe("glob");
  });

  it("device detection is not quadratic in the user agent: a 4 MB User-Agent of 'Android ' repeated, then 'Mobile'", HANG_LIMIT, async () => {
    const site = await siteTargeting(["/*"]);
    // Every "Android" made the old `Android(?!.*Mobile)` scan to the end of the header: about 20 s for 4 MB here.
    // (The platform caps request headers, but far below that cap a header still cost milliseconds of CPU.)
    const userAgent = `${"Android ".repeat(500_000)}Mobile`;
    const res = await fetchWithEnv({}, `/v1/decide/${site}?vid=${newVisitorId()}`, { headers: { "user-agent": userAgent } });
    expect(res.status).toBe(200);
    // Only the header's first characters are read, and there "Android" has no "Mobile" after it.
    expect((await res.json<DecisionBody>()).visitor.device).toBe("tablet");
  });

  // 10,001 requests: seconds of work, whatever the code does.
  it("10,001 unknown site ids do not clear a known site's cached config", { timeout: 60_000 }, async () => {
    const site = await seedStore();
    // Frozen clock: the known site's entry stays fresh (CONFIG_TTL_MS) however long the flood takes.
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() });
    const vid = newVisitorId();
    expect(kvReads(await call(`/v1/s/${site}.js?vid=${vid}`))).toBe(1);
    expect(kvReads(await call(`/v1/s/${site}.js?vid=${vid}`))).toBe(0);

    const flood = `flood-${crypto.randomUUID().slice(0, 8)}`;
    for (let batch = 0; batch < 10_001; batch += 100) {
      const ids = Array.from({ length: Math.min(100, 10_001 - batch) }, (_, i) => `${flood}-${batch + i}`);
      const answers = await Promise.all(ids.map((id) => call(`/v1/s/${id}.js?vid=${vid}`)));
      for (const res of answers) {
        expect(res.status).toBe(200);
        await res.body?.cancel();
      }
    }
    // The known site still answers from this isolate's memory: no KV read.
    expect(kvReads(await call(`/v1/s/${site}.js?vid=${vid}`))).toBe(0);
    // And an unknown id just asked about is remembered too: asking again costs no KV read either.
    expect(kvReads(await call(`/v1/s/${flood}-10000.js?vid=${vid}`))).toBe(0);
  });
});
