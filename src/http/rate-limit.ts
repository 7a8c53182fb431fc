/**
 * @module Per-client rate limits of the public routes, with Cloudflare's rate limiting binding (`[[ratelimits]]` in
 * wrangler.toml: the limits and their reasons are there). Keyed by the client's IP as Cloudflare's edge names it
 * (`cf-connecting-ip`); past the limit: 429 with `Retry-After`, as JSON for the API routes and as a script that
 * does nothing for the snippet (a browser runs no script answered with an error status, so the page shows nothing).
 *
 * Honest locally: a request with no client IP (tests calling the Worker directly; on Cloudflare every request from
 * the internet has one) is not limited, and `RATE_LIMITS = "off"` turns the limits off (the bench, a local soak).
 * The storefront never breaks because of the limiter: when its call fails, the request goes through.
 */
import type { MiddlewareHandler } from "hono";
import type { Env } from "../env";
import { errorBody } from "./errors";

/**
 * Seconds a limited client is told to wait: the `period` of the limits in wrangler.toml (the binding does not say
 * when its window ends, so the whole period is the honest upper bound).
 */
export const RATE_LIMIT_PERIOD_SECONDS = 10;

type Limiter = "PAGE_RATE_LIMIT" | "EVENT_RATE_LIMIT";

/** Whether this request may go on: false only when the binding says this client is over its limit. */
export async function withinLimit(env: Env, limiter: Limiter, request: Request): Promise<boolean> {
  const client = request.headers.get("cf-connecting-ip");
  const binding = env[limiter];
  // Without a binding the environment check answers BAD_ENVIRONMENT (or, for the snippet, a no-op script).
  if (!client || env.RATE_LIMITS === "off" || !binding) return true;
  try {
    return (await binding.limit({ key: client })).success;
  } catch (error) {
    console.error(`valuebar: rate limiter ${limiter} failed; the request goes through`, error);
    return true;
  }
}

const retryAfter = { "retry-after": String(RATE_LIMIT_PERIOD_SECONDS) };

/** The limit of the JSON routes (decide, events): 429 RATE_LIMITED in the error envelope. */
export const limitApi =
  (limiter: Limiter): MiddlewareHandler<{ Bindings: Env }> =>
  async (c, next) => {
    if (await withinLimit(c.env, limiter, c.req.raw)) return next();
    return c.json(errorBody("RATE_LIMITED", `too many requests from this address; try again in ${RATE_LIMIT_PERIOD_SECONDS} seconds`), 429, {
      ...retryAfter,
      "access-control-allow-origin": "*",
    });
  };

/**
 * The snippet route's answer past the limit: 429 with a JavaScript comment, which a browser does not even run. The
 * route checks `withinLimit` itself (src/routes/snippet.ts), without a middleware.
 */
export function snippetRateLimited(): Response {
  return new Response("/* valuebar: rate limited */\n", {
    status: 429,
    headers: { ...retryAfter, "content-type": "text/javascript; charset=utf-8", "cache-control": "private, no-store", "x-content-type-options": "nosniff" },
  });
}
