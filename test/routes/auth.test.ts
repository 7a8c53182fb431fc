/**
 * @module The admin bearer token on every admin route, in the error envelope, and the misconfigured deployment.
 * (The demo store, the JSON Schema and unknown routes are tested beside their code: test/demo/page.test.ts,
 * test/routes/schema.test.ts, test/index.test.ts.)
 */
import { env } from "cloudflare:workers";
import { createExecutionContext } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import worker from "../../src/index";
import type { ErrorEnvelope } from "../helpers";
import { admin, call, CUSTOMER, errorOf, importMemberships, newSite, ORIGIN, publishConfig } from "../helpers";

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
