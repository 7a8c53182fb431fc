/**
 * @module Admin authentication (a bearer token compared in constant time) and the environment guard.
 */
import { createMiddleware } from "hono/factory";
import type { Env } from "../env";
import { environmentProblem } from "../env";
import { constantTimeEqual } from "./crypto";
import { ApiError } from "./errors";

/** 500 BAD_ENVIRONMENT when secrets or bindings are missing, naming what (never values). */
export const requireEnvironment = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const problem = environmentProblem(c.env);
  if (problem) throw new ApiError("BAD_ENVIRONMENT", `the deployment is misconfigured: ${problem}`);
  await next();
});

/** 401 unless `Authorization: Bearer <ADMIN_TOKEN>`. */
export const requireAdmin = createMiddleware<{ Bindings: Env }>(async (c, next) => {
  const header = c.req.header("authorization") ?? "";
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1] || !(await constantTimeEqual(match[1], c.env.ADMIN_TOKEN))) {
    c.header("www-authenticate", 'Bearer realm="valuebar admin"');
    throw new ApiError("UNAUTHORIZED", header ? "the admin token is not valid" : "send the admin token as 'Authorization: Bearer <token>'");
  }
  await next();
});
