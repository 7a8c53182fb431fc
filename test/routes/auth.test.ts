/**
 * @module The admin bearer token on every admin route, the error envelope, the misconfigured
 * deployment, and the public extras: the demo store, the JSON Schema and unknown routes.
 */
import { env, exports } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import type { DecisionBody, ErrorEnvelope } from "../helpers";
import { admin, call, CUSTOMER, errorOf, hmacSha256Hex, importMemberships, newSite, ORIGIN, publishConfig, snippetPayload } from "../helpers";

const SITE = "auth-site";

/** Every admin route, with a body it would accept. */
const ADMIN_ROUTES: readonly { method: string; path: string; body?: string; type?: string }[] = [
  { method: "GET", path: `/admin/sites/${SITE}/config` },
  { method: "PUT", path: `/admin/sites/${SITE}/config`, body: '{"segments":[]}', type: "application/json" },
  { method: "GET", path: `/admin/sites/${SITE}/config/versions` },
  { method: "POST", path: `/admin/sites/${SITE}/config/rollback`, body: '{"version":1}', type: "application/json" },
  { method: "POST", path: `/admin/sites/${SITE}/segments`, body: '{"customer_id":"1","segments":["vip"]}', type: "application/x-ndjson" },
  { method: "GET", path: `/admin/sites/${SITE}/segments/1001` },
  { method: "DELETE", path: `/admin/sites/${SITE}/segments/1001` },
  { method: "GET", path: "/admin/no-such-route" },
];

function adminRequest(route: (typeof ADMIN_ROUTES)[number], authorization?: string, query = ""): Promise<Response> {
  const headers: Record<string, string> = {};
  if (authorization !== undefined) headers.authorization = authorization;
  if (route.type) headers["content-type"] = route.type;
  return call(`${route.path}${query}`, { method: route.method, headers, ...(route.body ? { body: route.body } : {}) });
}

async function expectUnauthorized(res: Response): Promise<void> {
  expect(res.status).toBe(401);
  expect(res.headers.get("www-authenticate")).toMatch(/^Bearer /);
  const body = await res.json<ErrorEnvelope>();
  expect(body).toStrictEqual({ error: { code: "UNAUTHORIZED", message: expect.any(String) } });
  expect(body.error.message).not.toContain(env.ADMIN_TOKEN);
}

/** The worker's own handler with a different deployment environment (same real KV and Durable Objects). */
function fetchWith(overrides: Partial<Record<keyof typeof env, unknown>>, path: string, init?: RequestInit): Promise<Response> {
  const deployment = { ...env, ...overrides } as typeof env;
  return Promise.resolve(worker.fetch(new Request(`${ORIGIN}${path}`, init), deployment, createExecutionContext()));
}

const routeName = (route: (typeof ADMIN_ROUTES)[number]) => `${route.method} ${route.path}`;

describe("auth: happy path", () => {
  it.each(["Bearer", "bearer", "BEARER"])("accepts the admin token after the scheme %s", async (scheme) => {
    const res = await call("/admin/sites/no-config-here/config", { headers: { authorization: `${scheme} ${env.ADMIN_TOKEN}` } });
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("NOT_FOUND");
  });

  it("accepts the token with extra spaces around it", async () => {
    const res = await call("/admin/sites/no-config-here/config", { headers: { authorization: `Bearer   ${env.ADMIN_TOKEN}  ` } });
    expect(res.status).toBe(404);
  });

  it("answers an unknown admin route with the token as 404 in the envelope", async () => {
    const res = await admin("/admin/no-such-route");
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("NOT_FOUND");
  });
});

describe("auth: errors", () => {
  const tokens: readonly [string, string | undefined][] = [
    ["no authorization header", undefined],
    ["an empty header", ""],
    ["a wrong token of the same length", `Bearer ${"x".repeat(env.ADMIN_TOKEN.length)}`],
    ["a token one character short", `Bearer ${env.ADMIN_TOKEN.slice(0, -1)}`],
    ["the token with a character more", `Bearer ${env.ADMIN_TOKEN}x`],
    ["a much shorter token", "Bearer abc"],
    ["the token in another case", `Bearer ${env.ADMIN_TOKEN.toUpperCase()}`],
    ["the token without a scheme", env.ADMIN_TOKEN],
    ["the token as Basic credentials", `Basic ${btoa(`admin:${env.ADMIN_TOKEN}`)}`],
    ["the token followed by a second one", `Bearer ${env.ADMIN_TOKEN} ${env.ADMIN_TOKEN}`],
    ["the scheme alone", "Bearer "],
  ];

  for (const route of ADMIN_ROUTES) {
    it.each(tokens)(`answers 401 to ${routeName(route)} with %s`, async (_name, authorization) => {
      await expectUnauthorized(await adminRequest(route, authorization));
    });
  }

  it("answers an unknown route with 404 in the error envelope", async () => {
    for (const [method, path] of [["GET", "/nope"], ["POST", "/v1/decide/some-site"], ["GET", "/v1/s/"], ["DELETE", "/v1/schema/config.json"]] as const) {
      const res = await call(path, { method });
      expect(res.status).toBe(404);
      const body = await res.json<ErrorEnvelope>();
      expect(body).toStrictEqual({ error: { code: "NOT_FOUND", message: expect.any(String) } });
    }
  });

  it("answers / with the service name and where its schema is", async () => {
    const res = await call("/");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: "valuebar", schema: "/v1/schema/config.json" });
  });
});

describe("auth: security", () => {
  it("changes nothing for any unauthenticated write", async () => {
    const site = newSite();
    await publishConfig(site);
    await importMemberships(site, [{ customer_id: CUSTOMER.vip, segments: ["vip"] }]);
    const writes = [
      call(`/admin/sites/${site}/config`, { method: "PUT", body: '{"segments":[]}' }),
      call(`/admin/sites/${site}/config/rollback`, { method: "POST", body: '{"version":1}' }),
      call(`/admin/sites/${site}/segments`, { method: "POST", headers: { "content-type": "application/x-ndjson" }, body: '{"customer_id":"1003","segments":["vip"]}' }),
      call(`/admin/sites/${site}/segments/${CUSTOMER.vip}`, { method: "DELETE", headers: { authorization: "Bearer nope" } }),
    ];
    for (const res of await Promise.all(writes)) expect(res.status).toBe(401);

    const versions = await admin(`/admin/sites/${site}/config/versions`);
    expect((await versions.json<{ versions: unknown[] }>()).versions.length).toBe(1);
    expect((await admin(`/admin/sites/${site}/segments/${CUSTOMER.vip}`)).status).toBe(200);
    expect((await admin(`/admin/sites/${site}/segments/1003`)).status).toBe(404);
  });

  it("does not take the token from the query string", async () => {
    const route = ADMIN_ROUTES[0];
    if (!route) throw new Error("no admin route");
    await expectUnauthorized(await adminRequest(route, undefined, `?token=${env.ADMIN_TOKEN}`));
    await expectUnauthorized(await adminRequest(route, undefined, `?access_token=${env.ADMIN_TOKEN}`));
  });

  it("checks the token before the site id, so an invalid site id is not a way in", async () => {
    await expectUnauthorized(await call("/admin/sites/Not_A_Site/config"));
  });

  it("keeps the admin routes closed when the deployment has no admin token", async () => {
    for (const token of [undefined, "", "short"]) {
      for (const authorization of ["Bearer ", `Bearer ${token ?? "undefined"}`, "Bearer undefined"]) {
        const res = await fetchWith({ ADMIN_TOKEN: token }, "/admin/sites/no-config-here/config", { headers: { authorization } });
        expect(res.status).toBe(500);
        const body = await res.json<ErrorEnvelope>();
        expect(body.error.code).toBe("BAD_ENVIRONMENT");
        expect(body.error.message).toMatch(/ADMIN_TOKEN/);
      }
    }
  });

  it("names a missing secret without echoing any secret's value", async () => {
    const res = await fetchWith({ SIGNING_SECRET: "too-short" }, "/admin/sites/no-config-here/config", {
      headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` },
    });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).toMatch(/SIGNING_SECRET/);
    expect(text).not.toContain("too-short");
    expect(text).not.toContain(env.ADMIN_TOKEN);
  });

  it("serves a no-op script and a BAD_ENVIRONMENT error when the signing secret is missing", async () => {
    const snippet = await fetchWith({ SIGNING_SECRET: undefined }, "/v1/s/any-site.js");
    expect(snippet.status).toBe(200);
    expect(snippet.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    expect(await snippet.text()).toBe("/* valuebar: unavailable */\n");

    const decision = await fetchWith({ SIGNING_SECRET: undefined }, "/v1/decide/any-site");
    expect(decision.status).toBe(500);
    expect((await errorOf(decision)).code).toBe("BAD_ENVIRONMENT");
  });
});

describe("demo store", () => {
  /** The snippet URL in the demo page's loader. */
  function loaderUrl(html: string): URL {
    const match = /"(https?:\/\/[^"]+\/v1\/s\/demo\.js\?[^"]*)"/.exec(html);
    if (!match?.[1]) throw new Error("the demo page has no loader with a snippet URL");
    return new URL(match[1]);
  }

  it("serves a store page with the snippet loader for an anonymous visitor", async () => {
    const res = await call("/demo");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toContain('localStorage.getItem(k)');
    expect(html).toContain("valuebar_vid");
    expect(html).toMatch(/data-valuebar="shipping"/);
    const url = loaderUrl(html);
    expect(url.origin).toBe(ORIGIN);
    expect(url.searchParams.has("cid")).toBe(false);
    expect(url.searchParams.has("sig")).toBe(false);
  });

  it("signs customer 1001 for /demo?as=vip, with a signature the Worker accepts", async () => {
    const html = await (await call("/demo?as=vip&country=US")).text();
    const url = loaderUrl(html);
    expect(url.searchParams.get("cid")).toBe("1001");
    expect(url.searchParams.get("sig")).toBe(await hmacSha256Hex(env.SIGNING_SECRET, "1001"));
    expect(url.searchParams.get("country")).toBe("US");
    expect(html).toContain('aria-current="page" data-persona="vip"');

    // The demo site, as a store would set it up: then the page's own URL identifies the VIP.
    await publishConfig("demo");
    await importMemberships("demo", [{ customer_id: "1001", segments: ["vip"] }]);
    const snippet = snippetPayload(await (await call(`${url.pathname}${url.search}&vid=demo-visitor-1`)).text());
    const decision: DecisionBody["placements"] | undefined = snippet?.decision.placements;
    expect(snippet?.decision.visitor.identified).toBe(true);
    expect(decision?.topbar?.campaign).toBe("vip-express");
  });

  it("does not reflect what it is given in ?as= or ?country=", async () => {
    const res = await call(`/demo?as=${encodeURIComponent('"><script>alert(1)</script>')}&country=${encodeURIComponent("<img src=x>")}`);
    const html = await res.text();
    expect(html).not.toContain("alert(1)");
    expect(html).not.toContain("<img src=x>");
    const url = loaderUrl(html);
    for (const name of ["cid", "sig", "country"]) expect(url.searchParams.has(name)).toBe(false);
  });

  it("is not served when DEMO_STORE is not on", async () => {
    const res = await fetchWith({ DEMO_STORE: "off" }, "/demo?as=vip");
    expect(res.status).toBe(404);
    const body = await res.text();
    expect(body).not.toContain("sig=");
  });
});

describe("config schema", () => {
  it("serves the config as JSON Schema with segments, campaigns, defaults and the order value cap", async () => {
    const res = await call("/v1/schema/config.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
    const schema = await res.json<JsonSchema>();
    expect(schema.$schema).toMatch(/json-schema\.org\/draft\/2020-12/);
    expect(schema.$id).toBe(`${ORIGIN}/v1/schema/config.json`);
    expect(schema.type).toBe("object");
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(["campaigns", "defaults", "orderValueCap", "segments"]);
    expect(schema.properties?.campaigns?.items?.properties?.placement?.enum).toEqual(["topbar", "shipping", "returns"]);
  });

  it("names the host it was asked on in $id, also after another host asked", async () => {
    await call("/v1/schema/config.json");
    const res = await exports.default.fetch(new Request("https://personalize.shop.example/v1/schema/config.json"));
    expect((await res.json<JsonSchema>()).$id).toBe("https://personalize.shop.example/v1/schema/config.json");
  });
});

interface JsonSchema {
  $schema?: string;
  $id?: string;
  type?: string;
  enum?: unknown[];
  items?: JsonSchema;
  properties?: Record<string, JsonSchema | undefined>;
}
