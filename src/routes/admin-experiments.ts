/**
 * @module GET /admin/sites/{site}/experiments/{campaign}/results: an experiment's results, from the counts of
 * all its shards and the live config's variants and weights.
 */
import { Hono } from "hono";
import { experimentKey, isExperiment } from "../core/experiment";
import { experimentResults } from "../core/experiment-results";
import type { AdminEnv } from "../http/auth";
import { allow } from "../http/auth";
import { ApiError } from "../http/errors";
import { experimentAggregates, segmentCellKey } from "../storage/experiments";
import { siteAdmin, validSite } from "./site";

export const adminExperimentRoutes = new Hono<AdminEnv>().get("/admin/sites/:site/experiments/:campaign/results", allow("results:read"), async (c) => {
  const site = validSite(c.req.param("site"));
  const live = await siteAdmin(c.env, site).live();
  if (!live) throw new ApiError("NOT_FOUND", `no site "${site}": publish its config first`);
  const id = c.req.param("campaign");
  const campaign = live.config.campaigns.find((x) => x.id === id);
  if (!campaign) throw new ApiError("NOT_FOUND", `no campaign "${id}" in the live config of "${site}"`);
  if (!isExperiment(campaign)) {
    throw new ApiError("BAD_REQUEST", `campaign "${id}" is not an experiment: it needs two or more variants with a weight above 0`);
  }
  const [counts, segmentNames] = await Promise.all([
    experimentAggregates(c.env, site, experimentKey(campaign)),
    // The shards hold segments as keyed hashes: the live config's segments, hashed alike, name them back.
    Promise.all(live.config.segments.map(async (s) => [await segmentCellKey(c.env.SIGNING_SECRET, site, s), s] as const)).then((pairs) => new Map(pairs)),
  ]);
  return c.json(experimentResults(campaign, counts, segmentNames));
});
