/**
 * @module PUT/GET /admin/sites/{site}/config, its versions and rollback: what a marketer publishes is
 * what goes live, every publish is a version, and a rejected config never touches the live one.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { DecisionBody, VersionSummary } from "../helpers";
import { admin, call, errorOf, newSite, publishConfig, STORE_CONFIG_TEXT } from "../helpers";

const configPath = (site: string) => `/admin/sites/${site}/config`;

function put(site: string, body: string, headers: Record<string, string> = {}): Promise<Response> {
  return admin(configPath(site), { method: "PUT", headers: { "content-type": "application/json", ...headers }, body });
}

function rollback(site: string, body: string): Promise<Response> {
  return admin(`${configPath(site)}/rollback`, { method: "POST", headers: { "content-type": "application/json" }, body });
}

async function versionsOf(site: string): Promise<VersionSummary[]> {
  const res = await admin(`${configPath(site)}/versions`);
  expect(res.status).toBe(200);
  return (await res.json<{ versions: VersionSummary[] }>()).versions;
}

async function liveConfig(site: string): Promise<unknown> {
  const res = await admin(configPath(site));
  expect(res.status).toBe(200);
  return res.json();
}

/** A second, different config: one topbar message for everyone. */
const ANNOUNCEMENT = {
  segments: ["vip"],
  campaigns: [{ id: "sale", placement: "topbar", variants: [{ id: "a", weight: 1, message: { text: "Winter sale: 20% off" } }] }],
};

/** The topbar text an anonymous visitor gets right now from the hot path. */
async function anonymousTopbar(site: string): Promise<string | null> {
  const res = await call(`/v1/decide/${site}?vid=visitor-0001`);
  expect(res.status).toBe(200);
  return (await res.json<DecisionBody>()).placements.topbar?.message.text ?? null;
}

/** A copy of the reference store config with `edit` applied. */
function storeConfigWith(edit: (config: StoreConfig) => void): string {
  const config = JSON.parse(STORE_CONFIG_TEXT) as StoreConfig;
  edit(config);
  return JSON.stringify(config);
}

interface StoreMessage {
  text: string;
  link?: { url: string; label?: string };
  style?: Record<string, string>;
  [key: string]: unknown;
}
interface StoreConfig {
  segments: string[];
  campaigns: { id: string; placement: string; audience?: { segments?: { any?: string[] } }; variants: { id: string; weight: number; message: StoreMessage }[] }[];
  defaults: Record<string, unknown>;
}

type StoreCampaign = StoreConfig["campaigns"][number];

function campaignAt(config: StoreConfig, index: number): StoreCampaign {
  const campaign = config.campaigns[index];
  if (!campaign) throw new Error(`the reference config has a campaign ${index}`);
  return campaign;
}

function firstMessage(config: StoreConfig): StoreMessage {
  const message = campaignAt(config, 0).variants[0]?.message;
  if (!message) throw new Error("the reference config's first campaign has a variant");
  return message;
}

describe("admin config: happy path", () => {
  it("accepts the reference store document exactly as written and GET returns it", async () => {
    const site = newSite();
    const res = await put(site, STORE_CONFIG_TEXT);
    expect(res.status).toBe(200);
    const published = await res.json<VersionSummary>();
    expect(published).toEqual({ version: 1, createdAt: expect.any(String), note: "", author: "admin", live: true, changes: ["first version"] });
    expect(Number.isNaN(Date.parse(published.createdAt))).toBe(false);

    const got = await admin(configPath(site));
    expect(got.status).toBe(200);
    expect(got.headers.get("x-valuebar-version")).toBe("1");
    expect(await got.json()).toStrictEqual(JSON.parse(STORE_CONFIG_TEXT));
  });

  it("lists every publish as a version, newest first, with its time, note and which one is live", async () => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT, "first: the store config");
    await publishConfig(site, ANNOUNCEMENT, "second: winter sale");

    const versions = await versionsOf(site);
    expect(versions.map((v) => [v.version, v.note, v.live])).toEqual([
      [2, "second: winter sale", true],
      [1, "first: the store config", false],
    ]);
    const [second, first] = versions;
    expect(first && second && Date.parse(first.createdAt) <= Date.parse(second.createdAt)).toBe(true);
    expect(await liveConfig(site)).toStrictEqual({ ...ANNOUNCEMENT, defaults: {} });
  });

  it("takes the note from ?note= when there is no header, and caps it at 500 characters", async () => {
    const site = newSite();
    const query = await admin(`${configPath(site)}?note=${encodeURIComponent("from the editor")}`, { method: "PUT", body: STORE_CONFIG_TEXT });
    expect(query.status).toBe(200);
    await publishConfig(site, STORE_CONFIG_TEXT, "x".repeat(600));
    const notes = (await versionsOf(site)).map((v) => v.note);
    expect(notes).toEqual(["x".repeat(500), "from the editor"]);
  });

  it("rolls back to an old version by publishing it again as a new, live version", async () => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);
    await publishConfig(site, ANNOUNCEMENT);

    const res = await rollback(site, '{"version":1}');
    expect(res.status).toBe(200);
    expect(await res.json<VersionSummary>()).toEqual({
      version: 3,
      createdAt: expect.any(String),
      note: "Rollback to version 1",
      author: "admin",
      live: true,
      // Against version 2, the announcement: the reference store's campaigns and default come back.
      changes: [
        "segments added: high_returner, bargain_hunter",
        'campaign "vip-express" added (topbar, 2 variant(s))',
        'campaign "returns-instore" added (returns, 1 variant(s))',
        'campaign "us-free-shipping" added (topbar, 1 variant(s))',
        'campaign "sale" removed',
        'default shipping added: "Free shipping on orders over {{threshold}}"',
      ],
    });
    expect(await liveConfig(site)).toStrictEqual(JSON.parse(STORE_CONFIG_TEXT));
    expect((await versionsOf(site)).map((v) => [v.version, v.live])).toEqual([
      [3, true],
      [2, false],
      [1, false],
    ]);
  });

  it("answers one version with its config, so the editor can say what a rollback to it changes", async () => {
    const site = newSite("cfg");
    await publishConfig(site);
    const second = JSON.parse(STORE_CONFIG_TEXT) as { defaults: Record<string, unknown> };
    second.defaults.topbar = { text: "Version two" };
    expect((await admin(`/admin/sites/${site}/config`, { method: "PUT", body: JSON.stringify(second) })).status).toBe(200);
    const res = await admin(`/admin/sites/${site}/config/versions/1`);
    expect(res.status).toBe(200);
    const one = await res.json<{ version: number; createdAt: string; config: { defaults: Record<string, unknown> } }>();
    expect(one.version).toBe(1);
    expect(Date.parse(one.createdAt)).not.toBeNaN();
    expect(one.config.defaults.topbar).toBeUndefined();
    expect((await (await admin(`/admin/sites/${site}/config/versions/2`)).json<{ config: { defaults: Record<string, unknown> } }>()).config.defaults.topbar).toEqual({ text: "Version two" });
    for (const missing of ["3", "0", "abc", "1.5"]) expect((await admin(`/admin/sites/${site}/config/versions/${missing}`)).status).toBe(404);
  });

  it("keeps the note sent with a rollback", async () => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);
    await publishConfig(site, ANNOUNCEMENT);
    const res = await rollback(site, '{"version":1,"note":"sale is over"}');
    expect((await res.json<VersionSummary>()).note).toBe("sale is over");
  });

  it("serves a publish and a rollback to visitors at once, without waiting for the config cache", async () => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);
    expect(await anonymousTopbar(site)).toBeNull();

    await publishConfig(site, ANNOUNCEMENT);
    expect(await anonymousTopbar(site)).toBe("Winter sale: 20% off");

    expect((await rollback(site, '{"version":1}')).status).toBe(200);
    expect(await anonymousTopbar(site)).toBeNull();
  });

  it("stores each version's summary when it is published, and fills it in once for versions of an older object", async () => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);
    await publishConfig(site, ANNOUNCEMENT);
    const stub = env.SITE_ADMIN.get(env.SITE_ADMIN.idFromName(site));
    const stored = () =>
      runInDurableObject(stub, (_instance, state) => state.storage.sql.exec<{ version: number; changes: string | null }>("SELECT version, changes FROM versions ORDER BY version").toArray());
    const summaries = await versionsOf(site);
    expect((await stored()).map((r) => [r.version, r.changes === null ? null : JSON.parse(r.changes)])).toEqual([
      [1, ["first version"]],
      [2, summaries[0]?.changes],
    ]);
    // Rows written before summaries were stored have none: the history computes them from the configs, once.
    await runInDurableObject(stub, (_instance, state) => void state.storage.sql.exec("UPDATE versions SET changes = NULL"));
    expect(await versionsOf(site)).toEqual(summaries);
    expect((await stored()).every((r) => r.changes !== null)).toBe(true);
  });

  it("pages the history: ?limit= (1 to 200, 50 by default) and ?before= from `next`", async () => {
    const site = newSite();
    for (let i = 0; i < 3; i++) await publishConfig(site, STORE_CONFIG_TEXT);
    const all = await (await admin(`${configPath(site)}/versions`)).json<{ versions: VersionSummary[]; next: number | null }>();
    expect(all.versions.map((v) => v.version)).toEqual([3, 2, 1]);
    expect(all.next).toBeNull();
    const pages: number[][] = [];
    for (let before: number | null = Number.MAX_SAFE_INTEGER; before !== null; ) {
      const page: { versions: VersionSummary[]; next: number | null } = await (await admin(`${configPath(site)}/versions?limit=1&before=${before}`)).json();
      pages.push(page.versions.map((v) => v.version));
      before = page.next;
    }
    expect(pages).toEqual([[3], [2], [1]]);
    for (const query of ["limit=0", "limit=201", "limit=2.5", "before=0", "before=-3"]) {
      const res = await admin(`${configPath(site)}/versions?${query}`);
      expect(res.status, query).toBe(400);
      expect((await errorOf(res)).issues?.map((i) => i.path)).toEqual([query.split("=")[0]]);
    }
  });

  it("fills the defaults of a minimal config", async () => {
    const site = newSite();
    await publishConfig(site, {});
    expect(await liveConfig(site)).toEqual({ segments: [], campaigns: [], defaults: {} });
  });
});

describe("admin config: errors", () => {
  it("answers 404 for the config and the versions of a site that has none", async () => {
    const site = newSite();
    const config = await admin(configPath(site));
    expect(config.status).toBe(404);
    expect((await errorOf(config)).code).toBe("NOT_FOUND");
    const versions = await admin(`${configPath(site)}/versions`);
    expect(versions.status).toBe(404);
    expect((await errorOf(versions)).code).toBe("NOT_FOUND");
  });

  it("answers 404 to a rollback to a version that does not exist, and changes nothing", async () => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);
    await publishConfig(site, ANNOUNCEMENT);

    const res = await rollback(site, '{"version":7}');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("NOT_FOUND");
    expect((await versionsOf(site)).map((v) => v.version)).toEqual([2, 1]);
    expect(await liveConfig(site)).toStrictEqual({ ...ANNOUNCEMENT, defaults: {} });
  });

  it("answers 404 to a rollback on a site without any config", async () => {
    const res = await rollback(newSite(), '{"version":1}');
    expect(res.status).toBe(404);
    expect((await errorOf(res)).code).toBe("NOT_FOUND");
  });

  it.each(['{"version":"1"}', '{"version":0}', '{"version":-1}', '{"version":1.5}', "{}", "null", "[1]"])(
    "answers 400 to the rollback body %s",
    async (body) => {
      const site = newSite();
      await publishConfig(site, STORE_CONFIG_TEXT);
      const res = await rollback(site, body);
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.issues).toEqual([{ path: "version", message: expect.any(String) }]);
      expect((await versionsOf(site)).length).toBe(1);
    },
  );

  it("rejects a config with several problems naming the path of every one, and keeps the live config", async () => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);

    const invalid = storeConfigWith((config) => {
      const message = firstMessage(config);
      message.link = { url: "javascript:alert(1)", label: "Details" };
      message.style = { background: "#12345g" };
      campaignAt(config, 1).audience = { segments: { any: ["loyal"] } };
      campaignAt(config, 2).id = "vip-express";
    });
    const res = await put(site, invalid);
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.message).toMatch(/nothing was published/);
    expect(error.issues?.map((i) => i.path).sort()).toEqual(
      [
        "campaigns.0.variants.0.message.link.url",
        "campaigns.0.variants.0.message.style.background",
        "campaigns.1.audience.segments.any.0",
        "campaigns.2.id",
      ].sort(),
    );
    for (const issue of error.issues ?? []) expect(Object.keys(issue).sort()).toEqual(["message", "path"]);

    expect(await liveConfig(site)).toStrictEqual(JSON.parse(STORE_CONFIG_TEXT));
    expect((await versionsOf(site)).length).toBe(1);
    expect(await anonymousTopbar(site)).toBeNull();
  });

  it.each<[string, (config: StoreConfig) => void, string]>([
    ["a javascript: link", (c) => void (firstMessage(c).link = { url: "javascript:alert(1)" }), "campaigns.0.variants.0.message.link.url"],
    ["an audience segment not listed in segments", (c) => void (c.segments = ["vip", "bargain_hunter"]), "campaigns.1.audience.segments.any.0"],
    ["a colour that is not hex", (c) => void (firstMessage(c).style = { color: "red" }), "campaigns.0.variants.0.message.style.color"],
    ["a duplicate campaign id", (c) => void c.campaigns.push(structuredClone(campaignAt(c, 1))), "campaigns.3.id"],
    ["a duplicate segment", (c) => c.segments.push("vip"), "segments.3"],
    ["an unknown placement", (c) => void (campaignAt(c, 0).placement = "footer"), "campaigns.0.placement"],
    ["an unknown placeholder", (c) => void (firstMessage(c).text = "Hello {{first_name}}"), "campaigns.0.variants.0.message.text"],
    ["{{threshold}} without amounts", (c) => void (firstMessage(c).text = "Free over {{threshold}}"), "campaigns.0.variants.0.message.threshold"],
    ["an unknown field", (c) => void (firstMessage(c).colour = "#fff"), "campaigns.0.variants.0.message"],
    ["an empty message", (c) => void (firstMessage(c).text = "   "), "campaigns.0.variants.0.message.text"],
  ])("rejects %s with 400 INVALID_CONFIG at its path and publishes nothing", async (_name, edit, path) => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);
    const res = await put(site, storeConfigWith(edit));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.issues?.map((i) => i.path)).toEqual([path]);
    expect(await liveConfig(site)).toStrictEqual(JSON.parse(STORE_CONFIG_TEXT));
    expect((await versionsOf(site)).length).toBe(1);
  });

  it("rejects a document that is not an object at the root", async () => {
    const res = await put(newSite(), "[]");
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.issues?.map((i) => i.path)).toEqual(["(root)"]);
  });

  it("answers 400 INVALID_JSON to a body that is not JSON, and keeps the live config", async () => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);
    const res = await put(site, STORE_CONFIG_TEXT.slice(0, -1));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("INVALID_JSON");
    expect((await versionsOf(site)).length).toBe(1);
    expect(await liveConfig(site)).toStrictEqual(JSON.parse(STORE_CONFIG_TEXT));
  });

  it("answers 400 INVALID_JSON to an empty body", async () => {
    const res = await put(newSite(), "");
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("INVALID_JSON");
  });

  it("answers 413 to a body over 256 KiB, and keeps the live config", async () => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);
    // Valid JSON, so only its size can be the reason.
    const big = JSON.stringify({ ...JSON.parse(STORE_CONFIG_TEXT), padding: "x".repeat(256 * 1024) });
    const res = await put(site, big);
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("PAYLOAD_TOO_LARGE");
    expect((await versionsOf(site)).length).toBe(1);
  });

  it("answers 413 to a body over 256 KiB sent as a stream without content-length", async () => {
    const chunk = new TextEncoder().encode(" ".repeat(64 * 1024));
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent++ < 5) controller.enqueue(chunk);
        else controller.close();
      },
    });
    const res = await admin(configPath(newSite()), { method: "PUT", body });
    expect(res.status).toBe(413);
    expect((await errorOf(res)).code).toBe("PAYLOAD_TOO_LARGE");
  });

  it.each(["Shop", "my_shop", "a".repeat(65), "shop.example", "%20shop"])("answers 400 to the site id %s on every config route", async (site) => {
    const requests = [
      admin(configPath(site)),
      put(site, STORE_CONFIG_TEXT),
      admin(`${configPath(site)}/versions`),
      rollback(site, '{"version":1}'),
    ];
    for (const res of await Promise.all(requests)) {
      expect(res.status).toBe(400);
      const error = await errorOf(res);
      expect(error.code).toBe("BAD_REQUEST");
      expect(error.issues?.[0]?.path).toBe("site");
    }
  });
});

describe("admin config: security", () => {
  it.each([
    "javascript:alert(1)",
    "JavaScript:alert(document.cookie)",
    " javascript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "vbscript:msgbox(1)",
    "//evil.example/phish",
    "/\\evil.example",
    "https:evil.example",
  ])("never publishes the link %s", async (url) => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);
    const res = await put(site, storeConfigWith((c) => void (firstMessage(c).link = { url, label: "Details" })));
    expect(res.status).toBe(400);
    const error = await errorOf(res);
    expect(error.code).toBe("INVALID_CONFIG");
    expect(error.issues?.map((i) => i.path)).toEqual(["campaigns.0.variants.0.message.link.url"]);
    expect(await liveConfig(site)).toStrictEqual(JSON.parse(STORE_CONFIG_TEXT));
  });

  it("accepts https and store-relative links", async () => {
    const site = newSite();
    await publishConfig(site, storeConfigWith((c) => void (firstMessage(c).link = { url: "https://shop.example/pages/vip?from=bar#top" })));
    await publishConfig(site, storeConfigWith((c) => void (firstMessage(c).link = { url: "/pages/vip?from=bar" })));
  });

  it("rejects a __proto__ key instead of letting it reach the stored config", async () => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);
    const res = await put(site, '{"segments":[],"__proto__":{"polluted":true}}');
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("INVALID_CONFIG");
    expect((await versionsOf(site)).length).toBe(1);
  });

  it("does not echo the rejected document or zod internals in the error", async () => {
    const res = await put(newSite(), storeConfigWith((c) => void (firstMessage(c).link = { url: "javascript:alert('secret-payload')" })));
    const text = await res.text();
    expect(text).not.toContain("secret-payload");
    expect(text).not.toMatch(/"code":"(custom|invalid_type|invalid_format)"/);
  });

  it("publishes nothing for a PUT without the admin token", async () => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);
    const res = await call(configPath(site), { method: "PUT", body: JSON.stringify(ANNOUNCEMENT) });
    expect(res.status).toBe(401);
    expect((await versionsOf(site)).length).toBe(1);
    expect(await anonymousTopbar(site)).toBeNull();
  });
});
