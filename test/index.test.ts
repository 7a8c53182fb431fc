/**
 * @module The Worker's entry (src/index.ts): `/` says what it is and where the config schema is, and a route it
 * does not have answers 404 in the error envelope.
 */
import { describe, expect, it } from "vitest";
import type { ErrorEnvelope } from "./helpers";
import { call } from "./helpers";

describe("the Worker's routes", () => {
  it("answers an unknown route with 404 in the error envelope", async () => {
    for (const [method, path] of [["GET", "/nope"], ["POST", "/v1/decide/some-site"], ["GET", "/v1/s/"], ["DELETE", "/v1/schema/config.json"]] as const) {
      const res = await call(path, { method });
      expect(res.status).toBe(404);
      const body = await res.json<ErrorEnvelope>();
      expect(body).toStrictEqual({ error: { code: "NOT_FOUND", message: expect.any(String) } });
    }
  });

  it("answers / with the service name and where its schema is", async () => {
    const res = await call("/");
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ name: "valuebar", schema: "/v1/schema/config.json" });
  });
});
