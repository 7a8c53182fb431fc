import { exports } from "cloudflare:workers";
import { expect, it } from "vitest";

it("answers the schema", async () => {
  const res = await exports.default.fetch("http://x/v1/schema/config.json");
  expect(res.status).toBe(200);
});
