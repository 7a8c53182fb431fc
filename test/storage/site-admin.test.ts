/**
 * @module The SiteAdmin object as its callers see it, when its storage holds a row this code did not write: the
 * call is refused with a TypeError naming the row (RPC keeps the type), and the admin route answers a logged 500,
 * not 503 "try again", since retrying would not help. Rows the object wrote read as before.
 */
import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { admin, errorOf, newSite, publishConfig, STORE_CONFIG_TEXT } from "../helpers";

const stubOf = (site: string) => env.SITE_ADMIN.get(env.SITE_ADMIN.idFromName(site));

describe("SiteAdmin with a corrupt row", () => {
  it("refuses a live version that is not a config: TypeError over RPC, 500 from the admin API", async () => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);
    expect((await admin(`/admin/sites/${site}/config`)).status).toBe(200);
    await runInDurableObject(stubOf(site), (_instance: unknown, state: DurableObjectState) => {
      state.storage.sql.exec("UPDATE versions SET config = '{\"campaigns\": {}}' WHERE version = 1");
    });

    const refused = await stubOf(site)
      .liveStatus()
      .then(
        () => null,
        (error: unknown) => error,
      );
    expect(refused).toBeInstanceOf(TypeError);
    expect((refused as TypeError).message).toBe('corrupt row: versions 1.config is "{\\"campaigns\\": {}}", not a config');

    const res = await admin(`/admin/sites/${site}/config`);
    expect(res.status).toBe(500);
    expect(await errorOf(res)).toEqual({ code: "INTERNAL", message: "internal error" });
  });

  it("still answers the rest: the history of the versions it has summaries for", async () => {
    const site = newSite();
    await publishConfig(site, STORE_CONFIG_TEXT);
    await runInDurableObject(stubOf(site), (_instance: unknown, state: DurableObjectState) => {
      state.storage.sql.exec("UPDATE versions SET config = 'not json' WHERE version = 1");
    });
    const res = await admin(`/admin/sites/${site}/config/versions`);
    expect(res.status).toBe(200);
    expect((await res.json<{ versions: { version: number; changes: string[] }[] }>()).versions).toEqual([expect.objectContaining({ version: 1, changes: ["first version"] })]);
  });
});
