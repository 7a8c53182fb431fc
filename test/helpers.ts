/**
 * @module Shared helpers of the route tests: requests to the Worker through its real `fetch` (real KV,
 * real Durable Objects), fresh site ids, and signatures and KV keys computed here, independently of
 * src/platform/crypto.ts, so a drift in the Worker's crypto shows up as a failing test.
 */
import { env, exports } from "cloudflare:workers";
import { expect } from "vitest";
import type { VersionSummary } from "../src/core/config-history";

export type { VersionSummary };

export const ORIGIN = "https://valuebar.test";

/**
 * The reference store config of the product brief, verbatim: segments vip / high_returner /
 * bargain_hunter, a 50/50 VIP topbar test, a returns message for high returners, a US-only topbar
 * and a default shipping message with per-currency thresholds.
 */
export const STORE_CONFIG_TEXT =
  '{"segments":["vip","high_returner","bargain_hunter"],"campaigns":[{"id":"vip-express","placement":"topbar","priority":10,"audience":{"segments":{"any":["vip"]}},"variants":[{"id":"express","weight":50,"message":{"text":"Free express shipping on every order","link":{"url":"/pages/shipping","label":"Details"}}},{"id":"early","weight":50,"message":{"text":"Early access to the winter sale starts today"}}]},{"id":"returns-instore","placement":"returns","audience":{"segments":{"any":["high_returner"]}},"variants":[{"id":"a","weight":100,"message":{"text":"Free returns in any of our stores"}}]},{"id":"us-free-shipping","placement":"topbar","priority":1,"audience":{"countries":["US"]},"variants":[{"id":"a","weight":100,"message":{"text":"Free shipping to the US on orders over {{threshold}}","threshold":{"USD":5000}}}]}],"defaults":{"shipping":{"text":"Free shipping on orders over {{threshold}}","threshold":{"EUR":6000,"USD":7500}}}}';

/** The texts of STORE_CONFIG_TEXT that the decision tests look for. */
export const TEXT = {
  vipExpress: "Free express shipping on every order",
  vipEarly: "Early access to the winter sale starts today",
  returnsInStore: "Free returns in any of our stores",
  usTopbar: "Free shipping to the US on orders over $50.00",
  defaultShippingEur: "Free shipping on orders over €60.00",
  defaultShippingUsd: "Free shipping on orders over $75.00",
} as const;

/** Customers of the seeded store, by segment. */
export const CUSTOMER = { vip: "1001", bargainHunter: "1003", highReturner: "1004", unknown: "9999" } as const;

/**
 * A fresh site with the reference config published and three customers imported through the admin
 * API: a VIP, a bargain hunter and a high returner.
 */
export async function seedStore(): Promise<string> {
  const site = newSite("store");
  await publishConfig(site);
  await importMemberships(site, [
    { customer_id: CUSTOMER.vip, segments: ["vip"] },
    { customer_id: CUSTOMER.bargainHunter, segments: ["bargain_hunter"] },
    { customer_id: CUSTOMER.highReturner, segments: ["high_returner"] },
  ]);
  return site;
}

/** A site id no other test uses, so tests hold whether or not storage is isolated per file. */
export function newSite(prefix = "site"): string {
  return `${prefix}-${crypto.randomUUID().slice(0, 8)}`;
}

/** A request to the Worker, as a store or a browser would send it. */
export function call(path: string, init?: RequestInit): Promise<Response> {
  return exports.default.fetch(`${ORIGIN}${path}`, init);
}

/** A request to an admin route with the right bearer token. */
export function admin(path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${env.ADMIN_TOKEN}`);
  return call(path, { ...init, headers });
}

/** Publishes `config` (an object, or a JSON text sent as it is) and expects it to be accepted. */
export async function publishConfig(site: string, config: unknown = STORE_CONFIG_TEXT, note?: string): Promise<VersionSummary> {
  const res = await admin(`/admin/sites/${site}/config`, {
    method: "PUT",
    headers: { "content-type": "application/json", ...(note === undefined ? {} : { "x-valuebar-note": note }) },
    body: typeof config === "string" ? config : JSON.stringify(config),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<VersionSummary>();
}

/** Imports memberships as NDJSON, one object a row, and expects the import to be accepted. */
export async function importMemberships(site: string, rows: readonly Record<string, unknown>[]): Promise<ImportResult> {
  const res = await postNdjson(site, rows.map((row) => JSON.stringify(row)).join("\n"));
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<ImportResult>();
}

export function postNdjson(site: string, body: string, query = ""): Promise<Response> {
  return admin(`/admin/sites/${site}/segments${query}`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body });
}

export function postCsv(site: string, body: string): Promise<Response> {
  return admin(`/admin/sites/${site}/segments`, { method: "POST", headers: { "content-type": "text/csv; charset=utf-8" }, body });
}

const encoder = new TextEncoder();

/** Lowercase hex HMAC-SHA256 of `message` under `secret`, computed here with Web Crypto. */
export async function hmacSha256Hex(secret: string, message: string): Promise<string> {
  const key = await crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = await crypto.subtle.sign("HMAC", key, encoder.encode(message));
  return [...new Uint8Array(mac)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** What the store's server puts in the loader URL for a logged-in customer: `sig` of the customer id. */
export function signCustomer(customerId: string): Promise<string> {
  return hmacSha256Hex(env.SIGNING_SECRET, customerId);
}

/** The KV key of a customer's membership, per the documented layout `m:{site}:{hmac}`. */
export async function membershipKvKey(site: string, customerId: string): Promise<string> {
  return `m:${site}:${await hmacSha256Hex(env.SIGNING_SECRET, `membership\n${site}\n${customerId}`)}`;
}

/** Query string of a visitor request: signed customer, visitor id, country. */
export async function visitorQuery(options: { cid?: string; sig?: string; vid?: string; country?: string } = {}): Promise<string> {
  const params = new URLSearchParams();
  if (options.cid !== undefined) {
    params.set("cid", options.cid);
    params.set("sig", options.sig ?? (await signCustomer(options.cid)));
  } else if (options.sig !== undefined) {
    params.set("sig", options.sig);
  }
  if (options.vid !== undefined) params.set("vid", options.vid);
  if (options.country !== undefined) params.set("country", options.country);
  return params.toString();
}

/** A visitor id as the loader makes them: 32 hex characters. */
export function newVisitorId(): string {
  return crypto.randomUUID().replace(/-/g, "");
}

/** `reads=N` of the `server-timing` header, or null without one. */
export function kvReads(res: Response): number | null {
  const match = /kv;desc="reads=(\d+)"/.exec(res.headers.get("server-timing") ?? "");
  return match?.[1] === undefined ? null : Number(match[1]);
}

/** The error envelope, checked for shape, with its code and issues. */
export async function errorOf(res: Response): Promise<ErrorEnvelope["error"]> {
  expect(res.headers.get("content-type")).toMatch(/^application\/json/);
  const body = await res.json<ErrorEnvelope>();
  expect(body).toEqual({ error: expect.objectContaining({ code: expect.any(String), message: expect.any(String) }) });
  expect(Object.keys(body.error).every((k) => ["code", "message", "issues"].includes(k))).toBe(true);
  return body.error;
}

/**
 * The payload a snippet hands to the runtime: the JSON literal in `__vbr.run(...)`. Null for a no-op
 * snippet. The literal is parsed as JSON, so it is also proof that it is plain data, not code.
 */
export function snippetPayload(js: string): SnippetPayload | null {
  const start = js.lastIndexOf("__vbr.run(");
  if (start < 0) return null;
  const end = js.lastIndexOf(")})();");
  expect(end).toBeGreaterThan(start);
  return JSON.parse(js.slice(start + "__vbr.run(".length, end)) as SnippetPayload;
}


export interface ImportResult {
  written: number;
  removed: number;
  /** Rows identical to what the site already held: not written to KV again. */
  unchanged: number;
  unknownSegments?: string[];
}

export interface ErrorEnvelope {
  error: { code: string; message: string; issues?: { path?: string; line?: number; message: string }[] };
}

export interface ShownMessage {
  text: string;
  link?: { url: string; label?: string };
  dismissible: boolean;
}

export interface PlacementDecision {
  campaign: string | null;
  variant: string | null;
  message: ShownMessage;
}

export interface DecisionBody {
  visitor: { id: string; identified: boolean; returning: boolean; country: string | null; device: string };
  placements: { topbar: PlacementDecision | null; shipping: PlacementDecision | null; returns: PlacementDecision | null };
  exposures: { campaign: string; experiment: string; variant: string }[];
  newVisitorId?: string;
  /** For a signed-in customer: the events token (src/platform/events-token.ts). */
  eventsToken?: string;
}

export interface SnippetPayload {
  site: string;
  decision: Omit<DecisionBody, "newVisitorId" | "eventsToken">;
  newVisitorId?: string;
  consent?: false;
  preview?: true;
  /** For a signed-in customer: the events token the runtime keeps instead of the store's sig. */
  token?: string;
}
