/**
 * @module Roles on the admin API: the owner issues site-scoped tokens for editors, analysts and importers; each
 * route lets exactly the roles that need it through; a token works only on its site and stops working when
 * revoked; every change lands in the audit log with who did it.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, call, errorOf, newSite, publishConfig, STORE_CONFIG_TEXT } from "../helpers";

type Role = "editor" | "analyst" | "importer";

async function issue(site: string, name: string, role: Role): Promise<string> {
  const res = await admin(`/admin/sites/${site}/tokens`, { method: "POST", body: JSON.stringify({ name, role }) });
  expect(res.status, await res.clone().text()).toBe(201);
  const body = await res.json<{ name: string; role: string; token: string }>();
  expect(body).toMatchObject({ name, role });
  expect(body.token).toMatch(/^vb_[0-9a-f]{64}$/);
  return body.token;
}

function as(token: string, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${token}`);
  return call(path, { ...init, headers });
}

/** A site with a config, an experiment, and one token per role (and a saved draft with `draft`). */
async function siteWithTokens({ draft = false } = {}) {
  const site = newSite("roles");
  await publishConfig(site);
  if (draft) expect((await admin(`/admin/sites/${site}/draft`, { method: "PUT", body: STORE_CONFIG_TEXT })).status).toBe(200);
  const tokens = { editor: await issue(site, "eddie", "editor"), analyst: await issue(site, "ann", "analyst"), importer: await issue(site, "ivan", "importer") };
  return { site, tokens };
}

const json = (body: unknown, method = "POST"): RequestInit => ({ method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });
const ndjson = (body: string): RequestInit => ({ method: "POST", headers: { "content-type": "application/x-ndjson" }, body });

describe("access: what each role may do", () => {
  const routes: [string, (site: string) => [string, RequestInit], Record<Role, number>][] = [
    ["read the config", (site) => [`/admin/sites/${site}/config`, {}], { editor: 200, analyst: 200, importer: 403 }],
    ["list versions", (site) => [`/admin/sites/${site}/config/versions`, {}], { editor: 200, analyst: 200, importer: 403 }],
    ["publish a config", (site) => [`/admin/sites/${site}/config`, { ...json(JSON.parse(STORE_CONFIG_TEXT), "PUT") }], { editor: 200, analyst: 403, importer: 403 }],
    ["roll back", (site) => [`/admin/sites/${site}/config/rollback`, json({ version: 1 })], { editor: 200, analyst: 403, importer: 403 }],
    // A preview link shows the draft to whoever holds it: a write in effect, so not for an analyst.
    ["make a preview link", (site) => [`/admin/sites/${site}/draft/preview-link`, json({})], { editor: 200, analyst: 403, importer: 403 }],
    ["preview a visitor's decision", (site) => [`/admin/sites/${site}/preview`, json({})], { editor: 200, analyst: 200, importer: 403 }],
    ["read results", (site) => [`/admin/sites/${site}/experiments/vip-express/results`, {}], { editor: 200, analyst: 200, importer: 403 }],
    ["import segments", (site) => [`/admin/sites/${site}/segments`, ndjson('{"customer_id":"1","segments":["vip"]}')], { editor: 403, analyst: 403, importer: 200 }],
    ["look up a customer", (site) => [`/admin/sites/${site}/segments/1`, {}], { editor: 403, analyst: 403, importer: 404 }],
    ["remove a customer", (site) => [`/admin/sites/${site}/segments/1`, { method: "DELETE" }], { editor: 403, analyst: 403, importer: 200 }],
    ["end a --replace push", (site) => [`/admin/sites/${site}/segments/sweep?sync=unknown-push`, { method: "POST" }], { editor: 403, analyst: 403, importer: 404 }],
    ["read the audit log", (site) => [`/admin/sites/${site}/audit`, {}], { editor: 200, analyst: 200, importer: 403 }],
    ["list tokens", (site) => [`/admin/sites/${site}/tokens`, {}], { editor: 403, analyst: 403, importer: 403 }],
    ["issue a token", (site) => [`/admin/sites/${site}/tokens`, json({ name: "x", role: "editor" })], { editor: 403, analyst: 403, importer: 403 }],
  ];

  it.each(routes)("%s", async (_name, route, expected) => {
    const { site, tokens } = await siteWithTokens({ draft: true });
    for (const role of ["editor", "analyst", "importer"] as const) {
      const [path, init] = route(site);
      const res = await as(tokens[role], path, init);
      expect(res.status, `${role}: ${await res.clone().text()}`).toBe(expected[role]);
      if (res.status === 403) expect((await errorOf(res)).code).toBe("FORBIDDEN");
    }
  });

  it("lets an analyst read but never publish: the live config stays as it was", async () => {
    const { site, tokens } = await siteWithTokens();
    const res = await as(tokens.analyst, `/admin/sites/${site}/config`, json({ segments: [], campaigns: [] }, "PUT"));
    expect(res.status).toBe(403);
    const versions = await (await admin(`/admin/sites/${site}/config/versions`)).json<{ versions: unknown[] }>();
    expect(versions.versions).toHaveLength(1);
  });
});

describe("access: tokens", () => {
  it("works only on the site it was issued for", async () => {
    const { tokens } = await siteWithTokens();
    const other = newSite("other");
    await publishConfig(other);
    const res = await as(tokens.editor, `/admin/sites/${other}/config`);
    expect(res.status).toBe(401);
    expect((await errorOf(res)).code).toBe("UNAUTHORIZED");
  });

  it("stops working when the owner revokes it, and the list never shows a token", async () => {
    const { site, tokens } = await siteWithTokens();
    const listed = await (await admin(`/admin/sites/${site}/tokens`)).json<{ tokens: Record<string, unknown>[] }>();
    expect(listed.tokens.map((t) => [t.name, t.role, t.createdBy])).toEqual([
      ["ann", "analyst", "admin"],
      ["eddie", "editor", "admin"],
      ["ivan", "importer", "admin"],
    ]);
    expect(JSON.stringify(listed)).not.toContain(tokens.editor);
    expect((await admin(`/admin/sites/${site}/tokens/eddie`, { method: "DELETE" })).status).toBe(200);
    expect((await as(tokens.editor, `/admin/sites/${site}/config`)).status).toBe(401);
    expect((await admin(`/admin/sites/${site}/tokens/eddie`, { method: "DELETE" })).status).toBe(404);
  });

  it.each([
    [{ name: "Ana Smith", role: "editor" }, "name"],
    [{ name: "ana", role: "owner" }, "role"],
    [{ name: "ana" }, "role"],
    [{ name: "ana", role: "editor", sites: ["*"] }, ""],
    [{ name: "admin", role: "editor" }, "name"],
  ])("refuses the token request %j, naming the field", async (body, path) => {
    const site = newSite("tok");
    const res = await admin(`/admin/sites/${site}/tokens`, json(body));
    expect(res.status).toBe(400);
    if (path) expect((await errorOf(res)).issues?.map((i) => i.path)).toContain(path);
  });

  it("refuses a second token of the same name with 409", async () => {
    const site = newSite("tok");
    await issue(site, "ana", "editor");
    const res = await admin(`/admin/sites/${site}/tokens`, json({ name: "ana", role: "analyst" }));
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("CONFLICT");
  });

  it("refuses unknown tokens without creating anything for the site they name", async () => {
    const { listDurableObjectIds } = await import("cloudflare:test");
    const before = (await listDurableObjectIds(env.SITE_ADMIN)).length;
    for (let i = 0; i < 5; i++) {
      const res = await as(`vb_${String(i).repeat(64)}`, `/admin/sites/${newSite("probe")}/config`);
      expect(res.status).toBe(401);
    }
    expect((await listDurableObjectIds(env.SITE_ADMIN)).length).toBe(before);
  });

  it("answers 401 to a token that was never issued, without saying which part is wrong", async () => {
    const { site } = await siteWithTokens();
    const res = await as(`vb_${"0".repeat(64)}`, `/admin/sites/${site}/config`);
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toMatch(/^Bearer/);
  });
});

describe("access: the audit log", () => {
  it("records who published, rolled back, imported and issued tokens, newest first", async () => {
    const { site, tokens } = await siteWithTokens();
    await as(tokens.editor, `/admin/sites/${site}/config`, { ...json(JSON.parse(STORE_CONFIG_TEXT), "PUT"), headers: { "content-type": "application/json", "x-valuebar-note": "winter sale" } });
    await as(tokens.editor, `/admin/sites/${site}/config/rollback`, json({ version: 1 }));
    await as(tokens.importer, `/admin/sites/${site}/segments`, ndjson('{"customer_id":"1","segments":["vip"]}\n{"customer_id":"2","segments":[]}'));
    await as(tokens.importer, `/admin/sites/${site}/segments/1`, { method: "DELETE" });
    const { entries } = await (await as(tokens.analyst, `/admin/sites/${site}/audit`)).json<{ entries: { at: string; actor: string; action: string; summary: string }[] }>();
    expect(entries.map((e) => [e.actor, e.action, e.summary])).toEqual([
      ["ivan (importer)", "segments.delete", "removed one customer's segments"],
      ["ivan (importer)", "segments.import", "imported 2 row(s): 1 customer(s) set (0 unchanged), 1 removed"],
      ["eddie (editor)", "config.rollback", "version 3 is live: Rollback to version 1"],
      ["eddie (editor)", "config.publish", "version 2 is live: winter sale"],
      ['admin (owner)', "token.create", 'issued token "ivan" with the importer role'],
      ['admin (owner)', "token.create", 'issued token "ann" with the analyst role'],
      ['admin (owner)', "token.create", 'issued token "eddie" with the editor role'],
      ["admin (owner)", "config.publish", "version 1 is live"],
    ]);
    expect(entries.every((e) => /^\d{4}-\d\d-\d\dT/.test(e.at))).toBe(true);
    // Versions carry the author too.
    const { versions } = await (await admin(`/admin/sites/${site}/config/versions`)).json<{ versions: { version: number; author: string }[] }>();
    expect(versions.map((v) => [v.version, v.author])).toEqual([
      [3, "eddie"],
      [2, "eddie"],
      [1, "admin"],
    ]);
  });
});
