/**
 * @module GET /v1/schema/config.json (src/routes/schema.ts): the config as JSON Schema for editors, public and
 * cached, naming in `$id` the host it was asked on. zod derives it at build time (scripts/build-schema.mjs) into the
 * static assets, which the route reads through the ASSETS binding.
 */
import { exports } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { configJsonSchema } from "../../src/core/config-schema";
import { call, ORIGIN } from "../helpers";

describe("config schema", () => {
  it("serves the config as JSON Schema with segments and their descriptions, campaigns, defaults and the order value cap", async () => {
    const res = await call("/v1/schema/config.json");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^application\/json/);
    expect(res.headers.get("access-control-allow-origin")).toBe("*");
    expect(res.headers.get("cache-control")).toBe("public, max-age=300");
    const schema = await res.json<JsonSchema>();
    expect(schema.$schema).toMatch(/json-schema\.org\/draft\/2020-12/);
    expect(schema.$id).toBe(`${ORIGIN}/v1/schema/config.json`);
    expect(schema.type).toBe("object");
    expect(Object.keys(schema.properties ?? {}).sort()).toEqual(["campaigns", "defaults", "orderValueCap", "segmentDescriptions", "segments"]);
    expect(schema.properties?.campaigns?.items?.properties?.placement?.enum).toEqual(["topbar", "shipping", "returns"]);
  });

  it("serves exactly the schema zod derives from the config schema (the build is not stale)", async () => {
    const { $id, title, ...served } = await (await call("/v1/schema/config.json")).json<JsonSchema & { title?: string }>();
    expect(title).toBe("valuebar site config");
    expect(served).toEqual(configJsonSchema());
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
