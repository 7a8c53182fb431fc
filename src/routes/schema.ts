/**
 * @module GET /v1/schema/config.json: the config schema as JSON Schema, generated from the zod schema.
 */
import { Hono } from "hono";
import { configJsonSchema } from "../core/config-schema";

// Isolate-wide: the schema never changes within a deployment. Its `$id` follows the host asked (workers.dev or
// a custom domain), so it is added per request.
let cached: Record<string, unknown> | undefined;

export const schemaRoutes = new Hono().get("/v1/schema/config.json", (c) => {
  cached ??= configJsonSchema();
  c.header("cache-control", "public, max-age=300");
  c.header("access-control-allow-origin", "*");
  return c.json({ $id: new URL("/v1/schema/config.json", c.req.url).href, title: "valuebar site config", ...cached });
});
