/**
 * @module GET /v1/decide/{site}: the same decision as JSON, for headless storefronts.
 */
import { Hono } from "hono";
import type { Env } from "../env";
import { requireEnvironment } from "../http/environment";
import { ApiError } from "../http/errors";
import { serveDecision, serverTiming } from "../service/decision-service";
import { queryOf } from "../core/query";
import { SITE_ID } from "../core/shared";

export const decideRoutes = new Hono<{ Bindings: Env }>().get("/v1/decide/:site", requireEnvironment, async (c) => {
  const site = c.req.param("site");
  // The id is echoed only up to a site id's length: the answer never grows with what the visitor sent.
  if (!SITE_ID.test(site)) throw new ApiError("NOT_FOUND", `no site "${site.slice(0, 64)}"`);
  const served = await serveDecision(c.env, site, c.req.raw, queryOf(c.req.url), (work) => c.executionCtx.waitUntil(work()));
  if (served.kind === "unknown-site") throw new ApiError("NOT_FOUND", `no site "${site}"`);
  c.header("cache-control", "private, no-store");
  c.header("access-control-allow-origin", "*");
  c.header("server-timing", serverTiming(served));
  return c.json({
    ...served.decision,
    ...(served.newVisitorId ? { newVisitorId: served.newVisitorId } : {}),
    // For a headless store's own beacons: the events route takes it in place of the customer's sig.
    ...(served.eventsToken ? { eventsToken: served.eventsToken } : {}),
  });
});
