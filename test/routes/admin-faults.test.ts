/**
 * @module Publish, rollback, draft publish and tokens when KV or the site's Durable Object fails halfway. The
 * object's SQLite is the truth: after each fault the admin API's live version and what the hot path reads
 * (`config:{site}` in KV) agree, or the API says the stores are still pending and the alarm's retry converges
 * them; an answer never claims a publish the stores get when they do not. Faults come from test/faults.ts around
 * the real bindings.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { storageFailure } from "../../src/http/errors";
import type { Fault } from "../faults";
import { faultyKv, faultyNamespace, fetchWithEnv, kvFaultsInObject } from "../faults";
import type { VersionSummary } from "../helpers";
import { admin, call, errorOf, newSite, publishConfig } from "../helpers";

const json = (body: unknown, method = "POST"): RequestInit => ({ method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

/** A config whose top bar says `text` to everyone, so versions are told apart by their text. */
function announcing(text: string) {
  return { campaigns: [{ id: "sale", placement: "topbar", variants: [{ id: "a", weight: 1, message: { text } }] }] };
}

function stubOf(site: string) {
  return env.SITE_ADMIN.get(env.SITE_ADMIN.idFromName(site));
}

/** What the admin API says is live: the version, and whether the stores may still get an older one. */
async function adminView(site: string): Promise<{ version: number; pending: boolean; text: string | undefined }> {
  const res = await admin(`/admin/sites/${site}/config`);
  expect(res.status).toBe(200);
  const config = await res.json<{ campaigns: { variants: { message?: { text: string } }[] }[] }>();
  return {
    version: Number(res.headers.get("x-valuebar-version")),
    pending: res.headers.get("x-valuebar-storefront") === "pending",
    text: config.campaigns[0]?.variants[0]?.message?.text,
  };
}

/** What the hot path reads: the whole live config in KV. */
async function storeView(site: string): Promise<{ version: number; text: string | undefined }> {
  const live = await env.KV.get<{ version: number; config: { campaigns: { variants: { message?: { text: string } }[] }[] } }>(`config:${site}`, "json");
  if (!live) throw new Error(`no config:${site} in KV`);
  return { version: live.version, text: live.config.campaigns[0]?.variants[0]?.message?.text };
}

/**
 * The invariant: the stores get exactly the live version, or (while the API says "pending") exactly the version
 * before it, whole; never a mix.
 */
async function expectConsistent(site: string, before: { version: number; text: string | undefined }): Promise<"synced" | "pending"> {
  const said = await adminView(site);
  const served = await storeView(site);
  if (served.version === said.version) {
    expect(served.text).toBe(said.text);
    return "synced";
  }
  expect(said.pending, `KV serves ${served.version}, the API says ${said.version} and nothing pending`).toBe(true);
  expect(served).toEqual(before);
  return "pending";
}

/** A site with version 1 live ("Version one" in the top bar). */
async function siteAtVersionOne(): Promise<string> {
  const site = newSite("faults");
  await publishConfig(site, announcing("Version one"));
  return site;
}

const isConfigPut = (site: string) => (c: { op: string; key: string }) => c.op === "put" && c.key === `config:${site}`;

describe("publish under KV faults inside the object", () => {
  it.each<[string, Fault]>([
    ["fails", "fail"],
    ["lands, then reports a failure", "fail-after"],
  ])("a KV put that %s: the version is live in the history, the answer says 202 pending, and the alarm converges KV", async (_name, fault) => {
    const site = await siteAtVersionOne();
    const before = await storeView(site);
    const { kv, restore } = await kvFaultsInObject(stubOf(site), (c) => (isConfigPut(site)(c) ? fault : undefined));
    try {
      const res = await admin(`/admin/sites/${site}/config`, json(announcing("Version two"), "PUT"));
      expect(res.status).toBe(202);
      expect(await res.json<VersionSummary & { storefront?: string }>()).toMatchObject({ version: 2, live: true, storefront: "pending" });
      expect(kv.calls.filter(isConfigPut(site))).toHaveLength(1);
      expect(await adminView(site)).toMatchObject({ version: 2, pending: true, text: "Version two" });
      // Whether the put landed or not, the stores get one whole version.
      expect(await expectConsistent(site, before)).toBe(fault === "fail" ? "pending" : "synced");
    } finally {
      await restore();
    }
    expect(await runDurableObjectAlarm(stubOf(site))).toBe(true);
    expect(await adminView(site)).toEqual({ version: 2, pending: false, text: "Version two" });
    expect(await storeView(site)).toEqual({ version: 2, text: "Version two" });
  });

  it("keeps retrying from the alarm while KV keeps failing, without resetting the object, then converges", async () => {
    const site = await siteAtVersionOne();
    const before = await storeView(site);
    const { kv, restore } = await kvFaultsInObject(stubOf(site), (c) => (isConfigPut(site)(c) ? "fail" : undefined));
    try {
      expect((await admin(`/admin/sites/${site}/config`, json(announcing("Version two"), "PUT"))).status).toBe(202);
      // The faulty binding is still in place: the object was not reset by the failure (a reset object would have
      // the real KV again and answer 200).
      expect((await admin(`/admin/sites/${site}/config`, json(announcing("Version three"), "PUT"))).status).toBe(202);
      expect(await runDurableObjectAlarm(stubOf(site))).toBe(true);
      expect(kv.calls.filter(isConfigPut(site))).toHaveLength(3);
      expect(await expectConsistent(site, before)).toBe("pending");
      // The failed retry set the alarm again.
      expect(await runDurableObjectAlarm(stubOf(site))).toBe(true);
    } finally {
      await restore();
    }
    expect(await runDurableObjectAlarm(stubOf(site))).toBe(true);
    expect(await storeView(site)).toEqual({ version: 3, text: "Version three" });
    expect(await expectConsistent(site, before)).toBe("synced");
  });

  it("a rollback whose KV put fails: 202 pending, the old version whole in the stores, then converged", async () => {
    const site = await siteAtVersionOne();
    await publishConfig(site, announcing("Version two"));
    const before = await storeView(site);
    const { restore } = await kvFaultsInObject(stubOf(site), (c) => (isConfigPut(site)(c) ? "fail" : undefined));
    try {
      const res = await admin(`/admin/sites/${site}/config/rollback`, json({ version: 1 }));
      expect(res.status).toBe(202);
      expect(await res.json()).toMatchObject({ version: 3, storefront: "pending" });
      expect(await expectConsistent(site, before)).toBe("pending");
    } finally {
      await restore();
    }
    await runDurableObjectAlarm(stubOf(site));
    expect(await storeView(site)).toEqual({ version: 3, text: "Version one" });
    expect(await expectConsistent(site, before)).toBe("synced");
  });

  it("a draft publish whose KV put fails: the draft is published and cleared in one step, and KV converges", async () => {
    const site = await siteAtVersionOne();
    const before = await storeView(site);
    expect((await admin(`/admin/sites/${site}/draft`, json(announcing("From the draft"), "PUT"))).status).toBe(200);
    const { restore } = await kvFaultsInObject(stubOf(site), (c) => (isConfigPut(site)(c) ? "fail-after" : undefined));
    try {
      const res = await admin(`/admin/sites/${site}/draft/publish`, json({ note: "draft" }));
      expect(res.status).toBe(202);
      expect((await admin(`/admin/sites/${site}/draft`)).status).toBe(404);
      expect(await expectConsistent(site, before)).toBe("synced");
    } finally {
      await restore();
    }
    await runDurableObjectAlarm(stubOf(site));
    expect(await adminView(site)).toEqual({ version: 2, pending: false, text: "From the draft" });
  });

  it("the object dying between its SQLite commit and the KV put: the alarm it set first converges KV", async () => {
    const site = await siteAtVersionOne();
    const before = await storeView(site);
    let state: DurableObjectState | undefined;
    await runInDurableObject(stubOf(site), (_instance, objectState) => void (state = objectState));
    // When the object calls KV, its SQLite writes are committed (storage.sync()) and then the object is aborted,
    // as a crash would: the put never lands.
    await kvFaultsInObject(stubOf(site), (c) => {
      if (!isConfigPut(site)(c)) return undefined;
      void state?.storage.sync().then(() => state?.abort("crash between the SQLite commit and the KV put"));
      return "hang";
    });
    const res = await admin(`/admin/sites/${site}/config`, json(announcing("Version two"), "PUT"));
    expect(res.status).toBe(503);
    expect((await errorOf(res)).message).toMatch(/check whether the change was made/);
    // A new instance of the object (with the real KV): version 2 is live in the history, the stores still get 1.
    expect(await adminView(site)).toEqual({ version: 2, pending: true, text: "Version two" });
    expect(await expectConsistent(site, before)).toBe("pending");
    expect(await runDurableObjectAlarm(stubOf(site))).toBe(true);
    expect(await storeView(site)).toEqual({ version: 2, text: "Version two" });
    expect(await expectConsistent(site, before)).toBe("synced");
  });

  it("a KV put that hangs: the publish answers 202 pending after the object's 10 s timeout, not the 30 s reset", async () => {
    const site = await siteAtVersionOne();
    const before = await storeView(site);
    const { restore } = await kvFaultsInObject(stubOf(site), (c) => (isConfigPut(site)(c) ? "hang" : undefined));
    try {
      const started = Date.now();
      const res = await admin(`/admin/sites/${site}/config`, json(announcing("Version two"), "PUT"));
      expect(res.status).toBe(202);
      // Bounded: the object's own timeout (10 s) plus a margin, well before blockConcurrencyWhile's 30 s.
      expect(Date.now() - started).toBeLessThan(20_000);
      expect(await expectConsistent(site, before)).toBe("pending");
    } finally {
      await restore();
    }
    await runDurableObjectAlarm(stubOf(site));
    expect(await expectConsistent(site, before)).toBe("synced");
  }, 30_000);

  it("a publish whose KV put succeeds answers 200 and leaves nothing pending", async () => {
    const site = await siteAtVersionOne();
    const res = await admin(`/admin/sites/${site}/config`, json(announcing("Version two"), "PUT"));
    expect(res.status).toBe(200);
    expect(await res.json()).not.toHaveProperty("storefront");
    expect(await adminView(site)).toEqual({ version: 2, pending: false, text: "Version two" });
    expect(await storeView(site)).toEqual({ version: 2, text: "Version two" });
    // The safety-net alarm finds nothing to do.
    await runDurableObjectAlarm(stubOf(site));
    expect(await storeView(site)).toEqual({ version: 2, text: "Version two" });
  });
});

describe("publish when the route's call to the object fails", () => {
  const publishVia = (site: string, fault: "fail" | "fail-after", method: string, init: RequestInit, path = `/admin/sites/${site}/config`) => {
    const objects = faultyNamespace(env.SITE_ADMIN, (c) => (c.method === method ? fault : undefined));
    return fetchWithEnv({ SITE_ADMIN: objects }, path, { ...init, headers: { ...Object.fromEntries(new Headers(init.headers)), authorization: `Bearer ${env.ADMIN_TOKEN}` } });
  };

  it("never reaches the object: 503 UNAVAILABLE, nothing published", async () => {
    const site = await siteAtVersionOne();
    const before = await storeView(site);
    const res = await publishVia(site, "fail", "publish", json(announcing("Version two"), "PUT"));
    expect(res.status).toBe(503);
    const error = await errorOf(res);
    expect(error.code).toBe("UNAVAILABLE");
    expect(error.message).toMatch(/try again/);
    expect(await adminView(site)).toEqual({ version: 1, pending: false, text: "Version one" });
    expect(await storeView(site)).toEqual(before);
  });

  it("ran, then the answer was lost: 503 saying to check before repeating; the API and the stores agree on the new version", async () => {
    const site = await siteAtVersionOne();
    const before = await storeView(site);
    const res = await publishVia(site, "fail-after", "publish", json(announcing("Version two"), "PUT"));
    expect(res.status).toBe(503);
    expect((await errorOf(res)).message).toMatch(/check whether the change was made/);
    expect(await expectConsistent(site, before)).toBe("synced");
    expect(await storeView(site)).toEqual({ version: 2, text: "Version two" });
  });

  it.each<["fail" | "fail-after"]>([["fail"], ["fail-after"]])("a rollback whose call to the object does %s: 503, and the API and the stores agree", async (fault) => {
    const site = await siteAtVersionOne();
    await publishConfig(site, announcing("Version two"));
    const before = await storeView(site);
    const res = await publishVia(site, fault, "rollback", json({ version: 1 }), `/admin/sites/${site}/config/rollback`);
    expect(res.status).toBe(503);
    expect(await expectConsistent(site, before)).toBe("synced");
    expect((await storeView(site)).version).toBe(fault === "fail" ? 2 : 3);
  });
});

describe("storage failures on admin routes answer 503, bugs stay 500", () => {
  it("a failing read of the site's object answers 503 UNAVAILABLE", async () => {
    const site = await siteAtVersionOne();
    const objects = faultyNamespace(env.SITE_ADMIN, () => "fail");
    for (const path of ["config", "config/versions", "audit", "draft", "tokens"]) {
      const res = await fetchWithEnv({ SITE_ADMIN: objects }, `/admin/sites/${site}/${path}`, { headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } });
      expect(res.status, path).toBe(503);
      expect((await errorOf(res)).code).toBe("UNAVAILABLE");
    }
  });

  it("a failing KV read while checking an issued token answers 503, not 401 or 500", async () => {
    const site = await siteAtVersionOne();
    const { token } = await (await admin(`/admin/sites/${site}/tokens`, json({ name: "eddie", role: "editor" }))).json<{ token: string }>();
    const kv = faultyKv(env.KV, (c) => (c.key.startsWith("tok:") ? "fail" : undefined));
    const res = await fetchWithEnv({ KV: kv }, `/admin/sites/${site}/config`, { headers: { authorization: `Bearer ${token}` } });
    expect(res.status).toBe(503);
    expect((await errorOf(res)).code).toBe("UNAVAILABLE");
  });

  it("tells storage failures from bugs", () => {
    const unavailable = storageFailure(new Error("Network connection lost."), "test");
    expect(unavailable).toMatchObject({ code: "UNAVAILABLE" });
    expect(storageFailure(Object.assign(new Error("Durable Object is overloaded."), { overloaded: true }), "test")).toMatchObject({ code: "UNAVAILABLE" });
    expect(storageFailure(new Error("database disk image: SQLITE_IOERR"), "test")).toMatchObject({ code: "UNAVAILABLE" });
    for (const bug of [new TypeError("x is not a function"), new RangeError("at most 500 rows"), new Error("datatype mismatch: SQLITE_MISMATCH")]) {
      expect(storageFailure(bug, "test")).toBe(bug);
    }
  });
});

describe("tokens under faults", () => {
  async function tokenNames(site: string): Promise<string[]> {
    return (await (await admin(`/admin/sites/${site}/tokens`)).json<{ tokens: { name: string }[] }>()).tokens.map((t) => t.name);
  }

  it.each<["fail" | "fail-after"]>([["fail"], ["fail-after"]])("issuing, when the KV index write does %s: 503 and no token exists", async (fault) => {
    const site = await siteAtVersionOne();
    const kv = faultyKv(env.KV, (c) => (c.op === "put" && c.key.startsWith("tok:") ? fault : undefined));
    const res = await fetchWithEnv({ KV: kv }, `/admin/sites/${site}/tokens`, { ...json({ name: "eddie", role: "editor" }), headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } });
    expect(res.status).toBe(503);
    expect(await tokenNames(site)).toEqual([]);
    // The name is free: issuing again works, and the new token does.
    const again = await admin(`/admin/sites/${site}/tokens`, json({ name: "eddie", role: "editor" }));
    expect(again.status).toBe(201);
    const { token } = await again.json<{ token: string }>();
    expect((await call(`/admin/sites/${site}/config`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
  });

  it("issuing, when the object stores the token and its answer is lost: 503, the token is listed (no one holds it) and can be revoked", async () => {
    const site = await siteAtVersionOne();
    const objects = faultyNamespace(env.SITE_ADMIN, (c) => (c.method === "createToken" ? "fail-after" : undefined));
    const res = await fetchWithEnv({ SITE_ADMIN: objects }, `/admin/sites/${site}/tokens`, { ...json({ name: "eddie", role: "editor" }), headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } });
    expect(res.status).toBe(503);
    expect(JSON.stringify(await res.clone().json())).not.toMatch(/vb_[0-9a-f]{64}/);
    expect(await tokenNames(site)).toEqual(["eddie"]);
    expect((await admin(`/admin/sites/${site}/tokens/eddie`, { method: "DELETE" })).status).toBe(200);
    expect(await tokenNames(site)).toEqual([]);
  });

  it("revoking, when the KV index delete fails: revoked at once all the same (the object decides), 200", async () => {
    const site = await siteAtVersionOne();
    const { token } = await (await admin(`/admin/sites/${site}/tokens`, json({ name: "eddie", role: "editor" }))).json<{ token: string }>();
    const kv = faultyKv(env.KV, (c) => (c.op === "delete" ? "fail" : undefined));
    const res = await fetchWithEnv({ KV: kv }, `/admin/sites/${site}/tokens/eddie`, { method: "DELETE", headers: { authorization: `Bearer ${env.ADMIN_TOKEN}` } });
    expect(res.status).toBe(200);
    expect(kv.calls.filter((c) => c.op === "delete")).toHaveLength(1);
    // The index still lists the token, but it opens nothing.
    const hash = [...new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(token)))].map((b) => b.toString(16).padStart(2, "0")).join("");
    expect(await env.KV.get(`tok:${hash}`)).toBe(site);
    expect((await call(`/admin/sites/${site}/config`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});
