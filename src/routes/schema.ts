/**
 * @module GET /v1/schema/config.json: the config schema as JSON Schema. zod derives it from the config schema at
 * build time (scripts/build-schema.mjs writes it into the static assets); this route reads it through the ASSETS
 * binding and names the host asked in its `$id`.
 */
import { Hono } from "hono";
import type { Env } from "../env";
import { readAsset } from "../http/assets";

/** Where the build puts the schema in the assets directory (a path the Worker owns, so never served bare). */
const SCHEMA = "/v1/schema/config.json";

// Isolate-wide: the schema never changes within a deployment. Its `$id` follows the host asked (workers.dev or
// a custom domain), so it is added per request.
let cached: Record<string, unknown> | undefined;

export const schemaRoutes = new Hono<{ Bindings: Env }>().get(SCHEMA, async (c) => {
  cached ??= await (await readAsset(c.env, SCHEMA, c.req.url)).json<Record<string, unknown>>();
  c.header("cache-control", "public, max-age=300");
  c.header("access-control-allow-origin", "*");
  return c.json({ $id: new URL(SCHEMA, c.req.url).href, title: "valuebar site config", ...cached });
});
