/**
 * @module The admin side tried as an attacker would, one test per finding of issue 9 (each failed on the code
 * before its fix): preview links that cost storage before their signature is checked, an analyst minting preview
 * links, a query parameter that reaches SQLite unchecked, version history that grows with every read, and
 * example secrets a deployment accepts.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import devVarsExample from "../../.dev.vars.example?raw";
import { faultyKv, faultyNamespace, fetchWithEnv } from "../faults";
import type { VersionSummary } from "../helpers";
import { admin, call, errorOf, hmacSha256Hex, kvReads, newSite, newVisitorId, publishConfig, seedStore, STORE_CONFIG_TEXT } from "../helpers";

const json = (body: unknown, method = "POST"): RequestInit => ({ method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** A preview token signed the way the README documents it, with the deployment's ADMIN_TOKEN behind the key. */
async function signedPreviewToken(site: string, exp: number): Promise<string> {
  const key = await hmacSha256Hex(env.ADMIN_TOKEN, `valuebar preview key\n${site}`);
  return `${exp}.${await hmacSha256Hex(key, `preview\n${site}\n${exp}`)}`;
}

describe("adversarial: admin", () => {
  it("1. a forged or expired preview token costs no KV read and no SiteAdmin call", async () => {
    const site = await seedStore();
    expect((await admin(`/admin/sites/${site}/draft`, json(JSON.parse(STORE_CONFIG_TEXT), "PUT"))).status).toBe(200);
    const now = Math.floor(Date.now() / 1000);
    const forged = [
      `9999999999.${"0".repeat(64)}`,
      `${now + 600}.${"0".repeat(64)}`,
      // Signed right, but expired; and signed right for another site.
      await signedPreviewToken(site, now - 10),
      await signedPreviewToken(newSite("other"), now + 600),
      // Signed with the stores' SIGNING_SECRET, which every store holds.
      `${now + 600}.${await hmacSha256Hex(env.SIGNING_SECRET, `preview\n${site}\n${now + 600}`)}`,
    ];
    for (const token of forged) {
      const kv = faultyKv(env.KV, () => undefined);
      const objects = faultyNamespace(env.SITE_ADMIN, () => undefined);
      const res = await fetchWithEnv({ KV: kv, SITE_ADMIN: objects }, `/v1/s/${site}.js?vid=${newVisitorId()}&preview=${token}`);
      expect(res.status).toBe(200);
      expect(objects.calls, token).toEqual([]);
      // Every KV read left is the hot path's own (the config, at most), which it reports in Server-Timing.
      expect(kv.calls.length, `${token}: ${JSON.stringify(kv.calls)}`).toBe(kvReads(res));
    }
  });

  it("2. an analyst cannot mint preview links", async () => {
    const site = newSite("roles");
    await publishConfig(site);
    expect((await admin(`/admin/sites/${site}/draft`, json(JSON.parse(STORE_CONFIG_TEXT), "PUT"))).status).toBe(200);
    const issued = await admin(`/admin/sites/${site}/tokens`, json({ name: "ann", role: "analyst" }));
    const { token } = await issued.json<{ token: string }>();
    const res = await call(`/admin/sites/${site}/draft/preview-link`, { ...json({}), headers: { authorization: `Bearer ${token}`, "content-type": "application/json" } });
    expect(res.status).toBe(403);
    expect((await errorOf(res)).code).toBe("FORBIDDEN");
  });

  it("3. GET .../audit?limit=2.5 answers 400 naming the parameter, not 500", async () => {
    const site = newSite("audit");
    await publishConfig(site);
    for (const limit of ["2.5", "0", "501", "-1", "abc", "1e2", ""]) {
      const res = await admin(`/admin/sites/${site}/audit?limit=${limit}`);
      expect(res.status, `limit=${limit}`).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.issues?.map((i) => i.path)).toEqual(["limit"]);
    }
    expect((await admin(`/admin/sites/${site}/audit?limit=500`)).status).toBe(200);
  });

  it("4. version history is paged, newest first, with a cursor to the next page", async () => {
    const site = newSite("history");
    for (const note of ["one", "two", "three"]) await publishConfig(site, STORE_CONFIG_TEXT, note);
    const first = await admin(`/admin/sites/${site}/config/versions?limit=2`);
    expect(first.status).toBe(200);
    const page1 = await first.json<{ versions: VersionSummary[]; next: number | null }>();
    expect(page1.versions.map((v) => [v.version, v.note, v.live])).toEqual([
      [3, "three", true],
      [2, "two", false],
    ]);
    expect(page1.next).toBe(2);
    const page2 = await (await admin(`/admin/sites/${site}/config/versions?limit=2&before=${page1.next}`)).json<{ versions: VersionSummary[]; next: number | null }>();
    expect(page2.versions.map((v) => [v.version, v.changes])).toEqual([[1, ["first version"]]]);
    expect(page2.next).toBeNull();
    const bad = await admin(`/admin/sites/${site}/config/versions?before=x`);
    expect(bad.status).toBe(400);
    expect((await errorOf(bad)).issues?.map((i) => i.path)).toEqual(["before"]);
  });

  it("5. the example secrets and ADMIN_TOKEN equal to SIGNING_SECRET are refused with BAD_ENVIRONMENT", async () => {
    const example = Object.fromEntries([...devVarsExample.matchAll(/^([A-Z_]+)=(.*)$/gm)].map((m) => [m[1], m[2]]));
    expect(example.ADMIN_TOKEN).toBeTruthy();
    const secret = `s-${crypto.randomUUID()}`;
    const refused: [string, { ADMIN_TOKEN: string; SIGNING_SECRET: string }, string][] = [
      ["the example ADMIN_TOKEN", { ADMIN_TOKEN: example.ADMIN_TOKEN ?? "", SIGNING_SECRET: secret }, "ADMIN_TOKEN"],
      ["the example SIGNING_SECRET", { ADMIN_TOKEN: secret, SIGNING_SECRET: example.SIGNING_SECRET ?? "" }, "SIGNING_SECRET"],
      // What the example file held until now: copies of it are still around.
      ["the old example ADMIN_TOKEN", { ADMIN_TOKEN: "dev-admin-token-change-me-0123456789", SIGNING_SECRET: secret }, "ADMIN_TOKEN"],
      ["the same value twice", { ADMIN_TOKEN: secret, SIGNING_SECRET: secret }, "ADMIN_TOKEN"],
    ];
    for (const [name, secrets, named] of refused) {
      const res = await fetchWithEnv(secrets, "/admin/sites/demo/config", { headers: { authorization: `Bearer ${secrets.ADMIN_TOKEN}` } });
      expect(res.status, name).toBe(500);
      const error = await errorOf(res);
      expect(error.code, name).toBe("BAD_ENVIRONMENT");
      expect(error.message, name).toContain(named);
      expect(error.message, name).not.toContain(secrets.ADMIN_TOKEN);
      expect(error.message, name).not.toContain(secrets.SIGNING_SECRET);
    }
  });
});
