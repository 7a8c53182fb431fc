/**
 * @module The editor's draft and "view as" preview: a draft is validated like a publish and never touches the
 * live config until it is published; the preview answers what the hot path would show a described visitor.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { DecisionBody, VersionSummary } from "../helpers";
import { fetchWithEnv } from "../faults";
import { admin, call, CUSTOMER, errorOf, hmacSha256Hex, newSite, newVisitorId, publishConfig, seedStore, snippetPayload, STORE_CONFIG_TEXT, TEXT, visitorQuery } from "../helpers";

const json = (body: unknown, method = "POST"): RequestInit => ({ method, headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

function withVipText(text: string) {
  const config = JSON.parse(STORE_CONFIG_TEXT) as { campaigns: { id: string; variants: { message: { text: string } }[] }[] };
  for (const variant of config.campaigns[0]?.variants ?? []) variant.message.text = text;
  return config;
}

interface PreviewBody {
  source: string;
  decision: DecisionBody;
}

async function preview(site: string, body: unknown): Promise<PreviewBody> {
  const res = await admin(`/admin/sites/${site}/preview`, json(body));
  expect(res.status, await res.clone().text()).toBe(200);
  return res.json<PreviewBody>();
}

describe("draft", () => {
  it("saves a draft the shoppers do not see, previews it, and publishes it with a note", async () => {
    const site = newSite("draft");
    await publishConfig(site);
    const saved = await admin(`/admin/sites/${site}/draft`, json(withVipText("Draft VIP text"), "PUT"));
    expect(saved.status).toBe(200);
    expect(await saved.json()).toMatchObject({ savedBy: "admin", savedAt: expect.any(String) });

    // Live is untouched.
    const live = await admin(`/admin/sites/${site}/config`);
    expect(JSON.stringify(await live.json())).not.toContain("Draft VIP text");

    const vip = { as: { segments: ["vip"], signedIn: true, unit: "1001" } };
    expect((await preview(site, vip)).decision.placements.topbar?.message.text).toBe("Draft VIP text");
    expect((await preview(site, { ...vip, live: true })).decision.placements.topbar?.message.text).toMatch(/^(Free express|Early access)/);

    const published = await admin(`/admin/sites/${site}/draft/publish`, json({ note: "new VIP copy" }));
    expect(published.status).toBe(200);
    const version = await published.json<VersionSummary>();
    expect(version).toMatchObject({ version: 2, note: "new VIP copy", live: true });
    expect(version.changes).toContain('campaign "vip-express": variant "early" text "Early access to the winter sale starts today" → "Draft VIP text"');
    expect((await admin(`/admin/sites/${site}/draft`)).status).toBe(404);
    const { entries } = await (await admin(`/admin/sites/${site}/audit`)).json<{ entries: { action: string; summary: string }[] }>();
    expect(entries.slice(0, 2).map((e) => e.action)).toEqual(["config.publish", "draft.save"]);
    expect(entries[1]?.summary).toContain('variant "express" text');
  });

  it("refuses an invalid draft with every issue's path, and keeps the saved one", async () => {
    const site = newSite("draft");
    await publishConfig(site);
    await admin(`/admin/sites/${site}/draft`, json(withVipText("Good draft"), "PUT"));
    const bad = withVipText("Bad");
    Object.assign(bad.campaigns[0]?.variants[0]?.message ?? {}, { style: { background: "red" } });
    const res = await admin(`/admin/sites/${site}/draft`, json(bad, "PUT"));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).issues).toContainEqual({ path: "campaigns.0.variants.0.message.style.background", message: "use a hex colour such as #1a2b3c" });
    expect(JSON.stringify(await (await admin(`/admin/sites/${site}/draft`)).json())).toContain("Good draft");
  });

  it("publishes nothing when someone else saved over the draft since the editor saved theirs", async () => {
    const site = newSite("draft");
    await publishConfig(site);
    const mine = await (await admin(`/admin/sites/${site}/draft`, json(withVipText("Mine"), "PUT"))).json<{ savedAt: string }>();
    await new Promise((resolve) => setTimeout(resolve, 5));
    await admin(`/admin/sites/${site}/draft`, json(withVipText("Theirs"), "PUT"));
    const res = await admin(`/admin/sites/${site}/draft/publish`, json({ note: "mine", savedAt: mine.savedAt }));
    expect(res.status).toBe(409);
    expect((await errorOf(res)).code).toBe("CONFLICT");
    const { versions } = await (await admin(`/admin/sites/${site}/config/versions`)).json<{ versions: unknown[] }>();
    expect(versions).toHaveLength(1);
  });

  it("saves over a colleague's draft only when told which draft the copy started from (x-valuebar-draft-base)", async () => {
    const site = newSite("draft");
    await publishConfig(site);
    const put = (text: string, base?: string) =>
      admin(`/admin/sites/${site}/draft`, { method: "PUT", headers: { "content-type": "application/json", ...(base ? { "x-valuebar-draft-base": base } : {}) }, body: JSON.stringify(withVipText(text)) });
    const first = await put("Mine", "none");
    expect(first.status).toBe(200);
    const mine = await first.json<{ savedAt: string }>();
    // "none" expects no draft: there is one now.
    const refused = await put("Theirs", "none");
    expect(refused.status).toBe(409);
    expect((await errorOf(refused)).code).toBe("CONFLICT");
    const next = await put("Mine again", mine.savedAt);
    expect(next.status).toBe(200);
    // The base is the draft before the last save: refused, and the saved draft stays as it was.
    expect((await put("Stale", mine.savedAt)).status).toBe(409);
    expect(JSON.stringify(await (await admin(`/admin/sites/${site}/draft`)).json())).toContain("Mine again");
    // Without the header, a save replaces whatever draft there is (the API's and the CLI's use).
    expect((await put("Overwritten")).status).toBe(200);
  });

  it("has nothing to publish without a draft", async () => {
    const site = newSite("draft");
    await publishConfig(site);
    expect((await admin(`/admin/sites/${site}/draft/publish`, json({}))).status).toBe(404);
  });
});

describe("preview: view as", () => {
  it("runs the Worker's decision for the visitor described: segments, country, currency, device", async () => {
    const site = newSite("view");
    await publishConfig(site);
    const anonymous = await preview(site, {});
    expect(anonymous.source).toBe("live");
    // No country and no currency: the threshold's first currency.
    expect(anonymous.decision.placements.shipping?.message.text).toBe(TEXT.defaultShippingEur);
    const us = await preview(site, { as: { country: "US", currency: "USD" } });
    expect(us.decision.placements.topbar?.message.text).toBe(TEXT.usTopbar);
    const returner = await preview(site, { as: { segments: ["high_returner"], country: "DE", currency: "EUR", device: "mobile" } });
    expect(returner.decision.placements.returns?.message.text).toBe(TEXT.returnsInStore);
    expect(returner.decision.placements.shipping?.message.text).toBe(TEXT.defaultShippingEur);
    expect(returner.decision.visitor.device).toBe("mobile");
  });

  it("previews a config sent along (unsaved edits), and names its problems when invalid", async () => {
    const site = newSite("view");
    await publishConfig(site);
    const sent = await preview(site, { config: withVipText("Unsaved text"), as: { segments: ["vip"] } });
    expect(sent.source).toBe("sent");
    expect(sent.decision.placements.topbar?.message.text).toBe("Unsaved text");
    const res = await admin(`/admin/sites/${site}/preview`, json({ config: { campaigns: [{ id: "x" }] } }));
    expect(res.status).toBe(400);
    expect((await errorOf(res)).code).toBe("INVALID_CONFIG");
    const badAs = await admin(`/admin/sites/${site}/preview`, json({ as: { country: "usa" } }));
    expect((await errorOf(badAs)).issues?.map((i) => i.path)).toContain("as.country");
  });

  it("counts no exposure: a preview is not a shopper", async () => {
    const site = newSite("view");
    await publishConfig(site);
    await preview(site, { as: { segments: ["vip"] } });
    const results = await admin(`/admin/sites/${site}/experiments/vip-express/results`);
    expect((await results.json<{ units: { counted: number } }>()).units.counted).toBe(0);
    expect((await call(`/admin/sites/${site}/preview`, json({}))).status).toBe(401);
  });
});

describe("preview link", () => {
  async function siteWithDraft() {
    const site = await seedStore();
    expect((await admin(`/admin/sites/${site}/draft`, json(withVipText("Draft only"), "PUT"))).status).toBe(200);
    return site;
  }
  const vipSnippet = async (site: string, extra = "") =>
    (await call(`/v1/s/${site}.js?${await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId() })}${extra}`)).text();

  it("shows the draft on the store with a signed link, and the live config without it", async () => {
    const site = await siteWithDraft();
    const res = await admin(`/admin/sites/${site}/draft/preview-link`, json({ minutes: 30 }));
    expect(res.status).toBe(200);
    const link = await res.json<{ token: string; param: string; expiresAt: string }>();
    expect(link.param).toBe(`valuebar_preview=${link.token}`);
    expect(Date.parse(link.expiresAt) - Date.now()).toBeGreaterThan(29 * 60_000);

    const previewed = snippetPayload(await vipSnippet(site, `&preview=${link.token}`));
    expect(previewed?.decision.placements.topbar?.message.text).toBe("Draft only");
    expect(previewed?.preview).toBe(true);
    // A draft counts nowhere: no exposures, so the runtime sends no clicks for it.
    expect(previewed?.decision.exposures).toEqual([]);
    const live = snippetPayload(await vipSnippet(site));
    expect(live?.decision.placements.topbar?.message.text).not.toBe("Draft only");
    expect(live?.preview).toBeUndefined();
  });

  it("ignores a forged, expired or other site's token: shoppers see the live config", async () => {
    const site = await siteWithDraft();
    const other = await siteWithDraft();
    const link = await (await admin(`/admin/sites/${other}/draft/preview-link`, json({}))).json<{ token: string }>();
    const [exp] = link.token.split(".");
    const expired = `${Math.floor(Date.now() / 1000) - 10}.${"0".repeat(64)}`;
    // Signed like a real link but with the stores' SIGNING_SECRET, and for a year: refused on both counts.
    const yearExp = Math.floor(Date.now() / 1000) + 365 * 86_400;
    const withStoreSecret = `${yearExp}.${await hmacSha256Hex(env.SIGNING_SECRET, `preview\n${site}\n${yearExp}`)}`;
    for (const token of [link.token, `${exp}.${"a".repeat(64)}`, expired, "nonsense", withStoreSecret]) {
      const payload = snippetPayload(await vipSnippet(site, `&preview=${encodeURIComponent(token)}`));
      expect(payload?.decision.placements.topbar?.message.text).not.toBe("Draft only");
      // Still marked as the answer to a preview request, so the runtime does not ask again and again.
      expect(payload?.preview).toBe(true);
    }
  });

  it("signs links with the site's key derived from ADMIN_TOKEN, as documented; rotating ADMIN_TOKEN revokes them", async () => {
    const site = await siteWithDraft();
    const link = await (await admin(`/admin/sites/${site}/draft/preview-link`, json({ minutes: 5 }))).json<{ token: string }>();
    const [exp] = link.token.split(".");
    const key = await hmacSha256Hex(env.ADMIN_TOKEN, `valuebar preview key\n${site}`);
    expect(link.token).toBe(`${exp}.${await hmacSha256Hex(key, `preview\n${site}\n${exp}`)}`);
    const path = `/v1/s/${site}.js?${await visitorQuery({ cid: CUSTOMER.vip, vid: newVisitorId() })}&preview=${link.token}`;
    const shown = async (adminToken: string) =>
      snippetPayload(await (await fetchWithEnv({ ADMIN_TOKEN: adminToken }, path)).text())?.decision.placements.topbar?.message.text;
    expect(await shown(env.ADMIN_TOKEN)).toBe("Draft only");
    expect(await shown(`rotated-${crypto.randomUUID()}`)).not.toBe("Draft only");
  });

  it("needs a draft, and a token that may edit the site", async () => {
    const site = newSite("link");
    await publishConfig(site);
    expect((await admin(`/admin/sites/${site}/draft/preview-link`, json({}))).status).toBe(404);
    expect((await call(`/admin/sites/${site}/draft/preview-link`, json({}))).status).toBe(401);
  });
});
