/**
 * @module The events token: what the runtime keeps for a signed-in customer instead of the store's permanent `sig`.
 * The Worker hands it out with an identified decision; the events route counts it as that customer for a few
 * days; it opens nothing else (not the snippet, not decide), not another site, and not once expired or altered.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { EVENTS_TOKEN_TTL_MS } from "../../src/platform/events-token";
import { experimentAggregates, unitKey } from "../../src/storage/experiments";
import type { DecisionBody } from "../helpers";
import { eventThroughQueue } from "../queue";
import { call, CUSTOMER, importMemberships, newSite, newVisitorId, publishConfig, seedStore, signCustomer, snippetPayload, visitorQuery } from "../helpers";

/** A beacon, and what it queued delivered to the consumer at once (test/queue.ts), so its counts can be read. */
async function beacon(site: string, body: unknown): Promise<Response> {
  return (await eventThroughQueue(site, body)).response;
}

/** A seeded store whose VIP was shown vip-express through the snippet: the site, and the snippet's events token. */
async function vipWithToken(): Promise<{ site: string; token: string }> {
  const site = await seedStore();
  const js = await (await call(`/v1/s/${site}.js?${await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId() })}`)).text();
  const token = snippetPayload(js)?.token ?? "";
  await expect.poll(async () => (await experimentAggregates(env, site, "vip-express")).variants.length).toBe(1);
  return { site, token };
}

/** The units of `site`'s vip-express that added to cart: what a counted add_to_cart changes. */
const addedToCart = async (site: string) => (await experimentAggregates(env, site, "vip-express")).variants.reduce((n, v) => n + v.addedToCart, 0);

const addToCart = (token: string, vid = newVisitorId()) => ({ type: "add_to_cart", vid, token, experiments: ["vip-express"] });

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/** Hex as base64url without padding, computed here, independently of src/platform/events-token.ts. */
function base64url(hex: string): string {
  const bits = [...hex].map((d) => parseInt(d, 16).toString(2).padStart(4, "0")).join("");
  return (bits.match(/.{1,6}/g) ?? []).map((six) => ALPHABET[parseInt(six.padEnd(6, "0"), 2)]).join("");
}

describe("events token: handed out", () => {
  it("comes with a signed-in customer's snippet and decision, names their unit (never the customer id) and expires in a week", async () => {
    const { site, token } = await vipWithToken();
    const unit = await unitKey(env.SIGNING_SECRET, { customerId: CUSTOMER.vip, visitorId: "" });
    const [named, expiry, mac] = token.split(".");
    expect(named).toBe(base64url(unit));
    expect(Number(expiry) * 1000 - Date.now()).toBeGreaterThan(EVENTS_TOKEN_TTL_MS - 60_000);
    expect(Number(expiry) * 1000 - Date.now()).toBeLessThanOrEqual(EVENTS_TOKEN_TTL_MS);
    expect(mac).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(token).not.toContain(CUSTOMER.vip);
    const decided = await (await call(`/v1/decide/${site}?${await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId() })}`)).json<DecisionBody>();
    expect(decided.eventsToken?.split(".")[0]).toBe(base64url(unit));
  });

  it("is not handed to an anonymous visitor, to a wrong sig, nor without consent (the browser keeps nothing then)", async () => {
    const site = await seedStore();
    const vid = newVisitorId();
    const payloads = await Promise.all(
      [`vid=${vid}`, await visitorQuery({ cid: CUSTOMER.vip, sig: await signCustomer("someone-else"), vid }), `${await visitorQuery({ cid: CUSTOMER.vip, vid })}&consent=0`].map(
        async (query) => snippetPayload(await (await call(`/v1/s/${site}.js?${query}`)).text()),
      ),
    );
    expect(payloads.map((p) => p?.token)).toEqual([undefined, undefined, undefined]);
  });
});

describe("events token: counted", () => {
  it("counts a conversion as the customer, from a device that has never seen them (a checkout pixel)", async () => {
    const { site, token } = await vipWithToken();
    expect(await (await beacon(site, addToCart(token))).json()).toEqual({ outcomes: { "vip-express": "queued" } });
    expect(await addedToCart(site)).toBe(1);
  });

  it("counts as the visitor (here: not exposed) once expired, when altered or spelled otherwise, or on another site", async () => {
    const { site, token } = await vipWithToken();
    const other = newSite("other");
    await publishConfig(other, { segments: ["vip"], campaigns: [{ id: "vip-express", placement: "topbar", variants: [{ id: "x", weight: 1, message: { text: "x" } }, { id: "y", weight: 1, message: { text: "y" } }] }] });
    await importMemberships(other, [{ customer_id: CUSTOMER.vip, segments: ["vip"] }]);
    await call(`/v1/decide/${other}?${await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId() })}`);
    await expect.poll(async () => (await experimentAggregates(env, other, "vip-express")).variants.length).toBe(1);
    const flipped = token.slice(0, -1) + (token.endsWith("0") ? "1" : "0");
    const [unit, expiry, mac] = token.split(".");
    const longer = `${unit}.${Number(expiry) + 86_400}.${mac}`;
    // The same bytes spelled otherwise: the last base64url character carries bits no byte uses.
    const respelled = (text: string) => text.slice(0, -1) + ALPHABET[ALPHABET.indexOf(text.slice(-1)) ^ 1];
    expect(atob(respelled(unit ?? "").replace(/-/g, "+").replace(/_/g, "/"))).toBe(atob((unit ?? "").replace(/-/g, "+").replace(/_/g, "/")));
    for (const [where, body] of [
      [site, addToCart(flipped)],
      [site, addToCart(longer)],
      [other, addToCart(token)],
      [site, addToCart(token.toUpperCase())],
      [site, addToCart(`${respelled(unit ?? "")}.${expiry}.${mac}`)],
      [site, addToCart(`${unit}.${expiry}.${respelled(mac ?? "")}`)],
    ] as const) {
      expect(await (await beacon(where, body)).json()).toEqual({ outcomes: { "vip-express": "queued" } });
    }
    vi.useFakeTimers({ toFake: ["Date"], now: Date.now() + EVENTS_TOKEN_TTL_MS + 1000 });
    try {
      expect(await (await beacon(site, addToCart(token))).json()).toEqual({ outcomes: { "vip-express": "queued" } });
    } finally {
      vi.useRealTimers();
    }
    // Queued, and counted as a visitor never exposed: nowhere.
    expect([await addedToCart(site), await addedToCart(other)]).toEqual([0, 0]);
  });

  it("opens nothing but the events route: neither it nor the unit key it carries passes as a sig", async () => {
    const { site, token } = await vipWithToken();
    const [, , mac = ""] = token.split(".");
    const unit = await unitKey(env.SIGNING_SECRET, { customerId: CUSTOMER.vip, visitorId: "" });
    const vid = newVisitorId();
    const anonymous = await (await call(`/v1/decide/${site}?vid=${vid}`)).json<DecisionBody>();
    const asSig = (cid: string, sig: string) => new URLSearchParams({ cid, sig }).toString();
    for (const query of [
      asSig(CUSTOMER.vip, token),
      asSig(CUSTOMER.vip, mac),
      asSig(unit, mac),
      `cid=${CUSTOMER.vip}&token=${token}`,
      // The unit key is the HMAC of "unit\ncustomer\n{id}" under the same secret: a sig of that "customer id".
      asSig(`unit\ncustomer\n${CUSTOMER.vip}`, unit),
    ]) {
      const decided = await (await call(`/v1/decide/${site}?${query}&vid=${vid}`)).json<DecisionBody>();
      expect(decided.visitor.identified).toBe(false);
      expect(decided.placements).toEqual(anonymous.placements);
    }
  });

  it("still takes a store server's signed cid and sig", async () => {
    const { site } = await vipWithToken();
    const body = { type: "add_to_cart", cid: CUSTOMER.vip, sig: await signCustomer(CUSTOMER.vip), experiments: ["vip-express"] };
    expect(await (await beacon(site, body)).json()).toEqual({ outcomes: { "vip-express": "queued" } });
    expect(await addedToCart(site)).toBe(1);
  });
});
