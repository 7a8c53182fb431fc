/**
 * @module The files of the deployment's static assets (wrangler.toml `[assets]`, written by `npm run build`) that a
 * route reads through the ASSETS binding before answering: the editor's page, the config's JSON Schema.
 */
import type { Env } from "../env";
import { ApiError } from "./errors";

/**
 * The asset at `path` (resolved against `requestUrl`), fetched with a plain GET: never the caller's conditional
 * headers, so never a 304 without a body. A missing binding or file is a deployment built or configured wrongly.
 */
export async function readAsset(env: Env, path: string, requestUrl: string): Promise<Response> {
  if (!env.ASSETS) throw new ApiError("BAD_ENVIRONMENT", "the deployment is misconfigured: the ASSETS binding is required (see wrangler.toml)");
  const response = await env.ASSETS.fetch(new URL(path, requestUrl));
  if (!response.ok) throw new ApiError("BAD_ENVIRONMENT", `the deployment is misconfigured: ${path} is missing from its assets (${response.status}); npm run build writes it`);
  return response;
}
