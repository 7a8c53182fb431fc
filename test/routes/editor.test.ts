/**
 * @module The editor's page and script: public, holding no data, the script cached for good under a content hash;
 * everything else under /admin still wants a token.
 */
import { describe, expect, it } from "vitest";
import { EDITOR_HASH, EDITOR_JS } from "../../src/editor/client/dist/editor";
import { call } from "../helpers";

describe("editor page", () => {
  it("serves the shell without a token, with no data in it and a strict content security policy", async () => {
    const res = await call("/admin");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.headers.get("content-security-policy")).toMatch(/default-src 'self'/);
    const html = await res.text();
    const nonce = /script-src 'self' 'nonce-([A-Za-z0-9+/=]+)'/.exec(res.headers.get("content-security-policy") ?? "")?.[1];
    expect(nonce).toBeDefined();
    expect(html).toContain(`<script defer nonce="${nonce}" src="/admin/assets/editor.${EDITOR_HASH}.js"></script>`);
    expect(html).not.toMatch(/token-[0-9a-f]|test-admin-token/);
  });

  it("serves its script cached for good, and nothing else under /admin/assets", async () => {
    const res = await call(`/admin/assets/editor.${EDITOR_HASH}.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("public, max-age=31536000, immutable");
    expect(await res.text()).toBe(EDITOR_JS);
    expect((await call("/admin/assets/editor.000000000000.js")).status).toBe(404);
    expect((await call("/admin/assets/../sites/x/config")).status).not.toBe(200);
  });

  it("keeps every admin route behind a token", async () => {
    expect((await call("/admin/sites/demo/config")).status).toBe(401);
    expect((await call("/admin/assets")).status).toBe(401);
    expect((await call("/admin/anything")).status).toBe(401);
  });
});
