/**
 * @module GET /v1/decide/{site}: the decision as JSON for headless storefronts. The same decisions
 * as the snippet; a customer is known only by a valid signature, and nothing tells an attacker
 * whether a customer id exists.
 */
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { fetchWithEnv } from "../faults";
import type { DecisionBody } from "../helpers";
import {
  call,
  CUSTOMER,
  errorOf,
  importMemberships,
  kvReads,
  membershipKvKey,
  newSite,
  newVisitorId,
  publishConfig,
  seedStore,
  signCustomer,
  TEXT,
  visitorQuery,
} from "../helpers";

interface Decided {
  res: Response;
  text: string;
  body: DecisionBody;
}

async function decide(site: string, query = ""): Promise<Decided> {
  const res = await call(`/v1/decide/${site}${query ? `?${query}` : ""}`);
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return { res, text, body: JSON.parse(text) as DecisionBody };
}

/** A seeded store whose live config this isolate already holds, so KV reads count only the visitor's. */
async function warmStore(): Promise<string> {
  const site = await seedStore();
  expect(kvReads((await decide(site, "vid=warm-up-visitor")).res)).toBe(1);
  return site;
}

afterEach(() => {
  vi.useRealTimers();
});

describe("decide: happy path", () => {
  it("answers {visitor, placements: {topbar, shipping, returns}, exposures} with no-store and CORS headers", async () => {
    const site = await seedStore();
    const vid = newVisitorId();
    const { res, body } = await decide(site, `vid=${vid}&country=DE`);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("server-timing")).toMatch(/^kv;desc="reads=\d+"$/);
    expect(body).toEqual({
      visitor: { id: vid, identified: false, returning: true, country: "DE", device: "desktop" },
      placements: {
        topbar: null,
        shipping: { campaign: null, variant: null, message: { text: TEXT.defaultShippingEur, dismissible: false } },
        returns: null,
      },
      exposures: [],
    });
  });

  it("gives a signed-in VIP one of the vip-express variants in the topbar", async () => {
    const site = await seedStore();
    const { body } = await decide(site, await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId() }));
    expect(body.visitor.identified).toBe(true);
    const topbar = body.placements.topbar;
    expect(topbar?.campaign).toBe("vip-express");
    if (topbar?.variant === "express") {
      expect(topbar.message).toEqual({ text: TEXT.vipExpress, link: { url: "/pages/shipping", label: "Details" }, dismissible: true });
    } else {
      expect(topbar?.variant).toBe("early");
      expect(topbar?.message).toEqual({ text: TEXT.vipEarly, dismissible: true });
    }
  });

  it("gives the VIP campaign precedence over the US campaign to a VIP in the US", async () => {
    const site = await seedStore();
    const { body } = await decide(site, await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId(), country: "US" }));
    expect(body.placements.topbar?.campaign).toBe("vip-express");
    expect(body.placements.shipping?.message.text).toBe(TEXT.defaultShippingUsd);
  });

  it("buckets on the customer id: the same variant for every visitor id, both variants across customers", async () => {
    const site = await seedStore();
    const customers = Array.from({ length: 24 }, (_, i) => `vip-${i}`);
    await importMemberships(site, customers.map((customer_id) => ({ customer_id, segments: ["vip"] })));

    const seen = new Set<string | null | undefined>();
    for (const customer of customers) {
      const variants = new Set<string | null | undefined>();
      for (let i = 0; i < 3; i++) {
        const { body } = await decide(site, await visitorQuery({ cid: customer, vid: newVisitorId() }));
        variants.add(body.placements.topbar?.variant);
      }
      expect(variants.size, customer).toBe(1);
      seen.add([...variants][0]);
    }
    expect([...seen].sort()).toEqual(["early", "express"]);
  });

  it("gives a high returner the in-store returns message", async () => {
    const site = await seedStore();
    const { body } = await decide(site, await visitorQuery({ cid: CUSTOMER.highReturner, vid: newVisitorId() }));
    expect(body.placements.returns).toEqual({ campaign: "returns-instore", variant: "a", message: { text: TEXT.returnsInStore, dismissible: false } });
  });

  it("gives an anonymous visitor from the US the US topbar, formatted as $50.00", async () => {
    const site = await seedStore();
    const { body } = await decide(site, `vid=${newVisitorId()}&country=us`);
    expect(body.visitor.country).toBe("US");
    expect(body.placements.topbar).toEqual({ campaign: "us-free-shipping", variant: "a", message: { text: TEXT.usTopbar, dismissible: true } });
  });

  it("takes the country from the request when the store does not say", async () => {
    const site = await seedStore();
    const res = await call(`/v1/decide/${site}?vid=${newVisitorId()}`, { cf: { country: "US" } } as RequestInit);
    expect((await res.json<DecisionBody>()).placements.topbar?.campaign).toBe("us-free-shipping");
  });

  it("formats amounts for the visitor's locale and currency", async () => {
    const site = await seedStore();
    const german = await decide(site, `vid=${newVisitorId()}&country=DE&locale=de-DE`);
    expect(german.body.placements.shipping?.message.text).toBe("Free shipping on orders over 60,00\u00a0€");
    const dollars = await decide(site, `vid=${newVisitorId()}&currency=USD`);
    expect(dollars.body.placements.shipping?.message.text).toBe(TEXT.defaultShippingUsd);
  });

  it("skips a message whose amounts are not in the store's currency rather than show a wrong one", async () => {
    const site = await seedStore();
    const { body } = await decide(site, `vid=${newVisitorId()}&country=US&currency=GBP`);
    expect(body.placements.topbar).toBeNull();
    expect(body.placements.shipping).toBeNull();
  });

  it("hands out a newVisitorId when the request has no usable visitor id", async () => {
    const site = await seedStore();
    for (const query of ["", "vid=short", "vid=has%20space%20inside"]) {
      const { body } = await decide(site, query);
      expect(body.newVisitorId).toMatch(/^[0-9a-f]{32}$/);
      expect(body.visitor).toMatchObject({ id: body.newVisitorId, returning: false });
    }
    const known = await decide(site, "vid=visitor-0001");
    expect(known.body.newVisitorId).toBeUndefined();
  });

  it("reads KV once for the config, then not at all for an anonymous visitor and once for a signed-in one", async () => {
    const site = await seedStore();
    expect(kvReads((await decide(site, `vid=${newVisitorId()}`)).res)).toBe(1);
    expect(kvReads((await decide(site, `vid=${newVisitorId()}`)).res)).toBe(0);
    expect(kvReads((await decide(site, await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId() }))).res)).toBe(1);
    expect(kvReads((await decide(site, await visitorQuery({ cid: CUSTOMER.unknown, vid: newVisitorId() }))).res)).toBe(1);
  });

  it("picks up a config published from elsewhere once this isolate's 5 s cache has expired", async () => {
    const site = await seedStore();
    const vid = newVisitorId();
    expect((await decide(site, `vid=${vid}&country=DE`)).body.placements.topbar).toBeNull();

    // Another location publishes: KV changes, but this isolate was not told.
    const config = { segments: [], campaigns: [{ id: "sale", placement: "topbar", variants: [{ id: "a", weight: 1, message: { text: "Sale" } }] }], defaults: {} };
    await env.KV.put(`config:${site}`, JSON.stringify({ version: 2, publishedAt: new Date().toISOString(), config }));
    expect((await decide(site, `vid=${vid}&country=DE`)).body.placements.topbar).toBeNull();

    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 5_001 });
    const later = await decide(site, `vid=${vid}&country=DE`);
    expect(kvReads(later.res)).toBe(1);
    expect(later.body.placements.topbar?.message.text).toBe("Sale");
  });
});

describe("decide: bots get the baseline and are never enrolled (issue 14, the same rule as edge mode)", () => {
  const GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)";
  const BROWSER = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36";

  /** The VIP's decision for a request with this User-Agent and `cf.botManagement`. */
  async function vipDecision(site: string, userAgent: string, botManagement?: Record<string, unknown>): Promise<DecisionBody> {
    const init = { headers: { "user-agent": userAgent }, ...(botManagement ? { cf: { botManagement } } : {}) } as RequestInit;
    const res = await fetchWithEnv({}, `/v1/decide/${site}?${await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId() })}`, init);
    expect(res.status).toBe(200);
    return res.json<DecisionBody>();
  }

  it.each([
    ["a crawler's User-Agent", GOOGLEBOT, undefined],
    ["Cloudflare's verified bot, with a browser's User-Agent", BROWSER, { verifiedBot: true }],
    ["a bot score in Cloudflare's likely-automated band (under 30)", BROWSER, { score: 12 }],
  ])("%s: anonymous, no consent, no exposure, even with the VIP's valid signature", async (_, userAgent, botManagement) => {
    const site = await seedStore();
    const bot = await vipDecision(site, userAgent, botManagement);
    expect(bot.visitor.identified).toBe(false);
    expect(bot.exposures).toEqual([]);
    expect(bot.placements.topbar?.campaign).not.toBe("vip-express");
  });

  it("a browser, or a score of 30 and above: the VIP's experiment, enrolled", async () => {
    const site = await seedStore();
    for (const botManagement of [undefined, { score: 30, verifiedBot: false }, { score: 95 }]) {
      const human = await vipDecision(site, BROWSER, botManagement);
      expect(human.visitor.identified).toBe(true);
      expect(human.exposures.map((e) => e.campaign)).toEqual(["vip-express"]);
    }
  });
});

describe("decide: errors and fail-open", () => {
  it("answers 404 in the error envelope for an unknown site", async () => {
    const res = await call(`/v1/decide/${newSite("nowhere")}?vid=visitor-0001`);
    expect(res.status).toBe(404);
    expect(await errorOf(res)).toEqual({ code: "NOT_FOUND", message: expect.stringContaining("no site") });
  });

  it.each(["Bad_Site", "a".repeat(65), "%3Cscript%3E"])("answers 404 for the site id %s", async (site) => {
    const res = await call(`/v1/decide/${site}`);
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("NOT_FOUND");
  });

  it("answers the default decision when the customer's membership in KV is not valid JSON", async () => {
    const site = await seedStore();
    await env.KV.put(await membershipKvKey(site, CUSTOMER.vip), "{not json");
    const { body, res } = await decide(site, await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId(), country: "DE" }));
    expect(res.headers.get("server-timing")).toMatch(/, degraded$/);
    expect(body.placements).toEqual({
      topbar: null,
      shipping: { campaign: null, variant: null, message: { text: TEXT.defaultShippingEur, dismissible: false } },
      returns: null,
    });
  });

  it("answers an empty decision when the site's live config in KV is not valid JSON", async () => {
    const site = newSite();
    await env.KV.put(`config:${site}`, "{");
    const { body } = await decide(site, "vid=visitor-0001");
    expect(body.placements).toEqual({ topbar: null, shipping: null, returns: null });
  });

  it("keeps answering from the last known config while KV holds a broken one, without reading it on every request", async () => {
    const site = await seedStore();
    const query = `vid=${newVisitorId()}&country=DE`;
    const before = await decide(site, query);
    expect(before.body.placements.shipping?.message.text).toBe(TEXT.defaultShippingEur);

    await env.KV.put(`config:${site}`, "{");
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + 5_001 });
    expect(before.res.headers.get("server-timing")).not.toContain("degraded");
    const failed = await decide(site, query);
    expect(kvReads(failed.res)).toBe(1);
    expect(failed.res.headers.get("server-timing")).toBe('kv;desc="reads=1", degraded');
    expect(failed.text).toBe(before.text);
    const next = await decide(site, query);
    expect(kvReads(next.res)).toBe(0);
    expect(next.text).toBe(before.text);
  });

  it("answers an empty decision, not a 500, when the live config in KV has an unexpected shape", async () => {
    const site = newSite();
    await env.KV.put(`config:${site}`, JSON.stringify({ version: 1, publishedAt: "2026-01-01T00:00:00Z" }));
    const res = await call(`/v1/decide/${site}?vid=visitor-0001`);
    expect(res.status).toBe(200);
    expect((await res.json<DecisionBody>()).placements).toEqual({ topbar: null, shipping: null, returns: null });
  });
});

describe("decide: security", () => {
  it.each([
    ["no sig", (q: URLSearchParams) => q.delete("sig")],
    ["a sig that is not 64 hex characters", (q: URLSearchParams) => q.set("sig", "deadbeef")],
    ["a sig of the customer id with another secret", (q: URLSearchParams) => q.set("sig", "a".repeat(64))],
  ])("treats a VIP with %s as anonymous", async (_name, tamper) => {
    const site = await warmStore();
    const vid = newVisitorId();
    const query = new URLSearchParams(await visitorQuery({ cid: CUSTOMER.vip, vid }));
    tamper(query);
    const tampered = await decide(site, query.toString());
    const anonymous = await decide(site, `vid=${vid}`);
    expect(tampered.body.visitor.identified).toBe(false);
    expect(tampered.body.placements.topbar).toBeNull();
    expect(tampered.text).toBe(anonymous.text);
    expect(kvReads(tampered.res)).toBe(0);
  });

  it("does not let one customer's sig open another customer's segments", async () => {
    const site = await warmStore();
    const vid = newVisitorId();
    const sigOfHighReturner = await signCustomer(CUSTOMER.highReturner);
    const { body, text } = await decide(site, await visitorQuery({ cid: CUSTOMER.vip, sig: sigOfHighReturner, vid }));
    expect(body.visitor.identified).toBe(false);
    expect(body.placements.topbar).toBeNull();
    expect(body.placements.returns).toBeNull();
    expect(text).toBe((await decide(site, `vid=${vid}`)).text);
  });

  it("answers a non-existent customer with a wrong sig byte for byte like an anonymous visitor", async () => {
    const site = await warmStore();
    const vid = newVisitorId();
    const wrongSig = await signCustomer("not-this-customer");
    const anonymous = await decide(site, `vid=${vid}`);
    const missing = await decide(site, await visitorQuery({ cid: CUSTOMER.unknown, sig: wrongSig, vid }));
    const existing = await decide(site, await visitorQuery({ cid: CUSTOMER.vip, sig: wrongSig, vid }));
    expect(missing.text).toBe(anonymous.text);
    expect(existing.text).toBe(anonymous.text);
    expect(missing.res.headers.get("server-timing")).toBe(anonymous.res.headers.get("server-timing"));
    expect(existing.res.headers.get("server-timing")).toBe(anonymous.res.headers.get("server-timing"));
  });

  it("reads KV the same for a signed customer in no segment as for one in a segment", async () => {
    const site = await warmStore();
    const member = await decide(site, await visitorQuery({ cid: CUSTOMER.bargainHunter, vid: newVisitorId() }));
    const nobody = await decide(site, await visitorQuery({ cid: CUSTOMER.unknown, vid: newVisitorId() }));
    expect(member.body.visitor.identified).toBe(true);
    expect(nobody.body.visitor.identified).toBe(true);
    expect(kvReads(member.res)).toBe(kvReads(nobody.res));
  });

  it("reveals nothing to someone guessing customer ids without a sig", async () => {
    const site = await warmStore();
    const vid = newVisitorId();
    const anonymous = await decide(site, `vid=${vid}`);
    for (let id = 995; id <= 1010; id++) {
      const guess = await decide(site, `cid=${id}&vid=${vid}`);
      expect(guess.text).toBe(anonymous.text);
      expect(guess.res.headers.get("server-timing")).toBe(anonymous.res.headers.get("server-timing"));
    }
  });

  it("never echoes the customer id or its signature", async () => {
    const site = await seedStore();
    const sig = await signCustomer(CUSTOMER.vip);
    const { text } = await decide(site, `cid=${CUSTOMER.vip}&sig=${sig}&vid=visitor-0001`);
    expect(text).not.toContain(sig);
    expect(text).not.toContain(`"${CUSTOMER.vip}"`);
  });

  it("ignores a customer id longer than 128 characters even when signed", async () => {
    const site = await warmStore();
    const longId = "c".repeat(129);
    const { body, res } = await decide(site, await visitorQuery({ cid: longId, vid: newVisitorId() }));
    expect(body.visitor.identified).toBe(false);
    expect(kvReads(res)).toBe(0);
  });

  it("serves marketer markup as plain JSON text", async () => {
    const site = newSite();
    await publishConfig(site, { defaults: { topbar: { text: "<script>alert(1)</script> <img src=x onerror=alert(1)>" } } });
    const { res, body } = await decide(site, "vid=visitor-0001");
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(body.placements.topbar?.message.text).toBe("<script>alert(1)</script> <img src=x onerror=alert(1)>");
  });
});
