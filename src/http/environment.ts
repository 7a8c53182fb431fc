/**
 * @module The environment guard of every route that needs the deployment's secrets and bindings: public (decide,
 * events) and admin alike. The check itself is env.ts's; this is its Hono middleware.
 */
import { createMiddleware } from "hono/factory";
import { environmentProblem } from "../env";
import type { AdminEnv } from "./auth";
import { ApiError } from "./errors";

/** 500 BAD_ENVIRONMENT when secrets or bindings are missing, naming what (never values). */
// Typed with the admin routes' env (a superset of the public routes'), as index.ts calls it inside their guard.
export const requireEnvironment = createMiddleware<AdminEnv>(async (c, next) => {
  const problem = environmentProblem(c.env);
  if (problem) throw new ApiError("BAD_ENVIRONMENT", `the deployment is misconfigured: ${problem}`);
  await next();
});
