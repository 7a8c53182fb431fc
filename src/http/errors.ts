/**
 * @module One error envelope for every route: `{"error": {"code", "message", "issues"?}}`.
 * Codes map to statuses here and nowhere else.
 */
import type { Context } from "hono";
import { HTTPException } from "hono/http-exception";
import type { ContentfulStatusCode } from "hono/utils/http-status";

const STATUS = {
  BAD_REQUEST: 400,
  INVALID_JSON: 400,
  INVALID_CONFIG: 400,
  INVALID_IMPORT: 400,
  INVALID_ENCODING: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  RATE_LIMITED: 429,
  INTERNAL: 500,
  BAD_ENVIRONMENT: 500,
  ORIGIN_UNREACHABLE: 502,
  UNAVAILABLE: 503,
} as const satisfies Record<string, ContentfulStatusCode>;

export type ErrorCode = keyof typeof STATUS;

/** A problem found in the input: a field path, a line of a bulk upload, or both. */
export interface Issue {
  path?: string;
  line?: number;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly issues?: Issue[],
  ) {
    super(message);
    this.name = "ApiError";
  }

  get status(): ContentfulStatusCode {
    return STATUS[this.code];
  }
}

export function errorBody(code: ErrorCode, message: string, issues?: Issue[]) {
  return { error: { code, message, ...(issues ? { issues } : {}) } };
}

/**
 * Errors that are our own bugs, not a failing store: the built-in types thrown by bad code (also when thrown in
 * a Durable Object, as RPC keeps their type), and SQLite refusing a statement. Everything else a call to KV or a
 * Durable Object throws is the storage failing.
 */
function isProgrammingError(error: unknown): boolean {
  if (error instanceof TypeError || error instanceof RangeError || error instanceof ReferenceError || error instanceof SyntaxError) return true;
  // SQLite's own "cannot do that" codes; IOERR, BUSY, LOCKED, FULL and NOMEM are the store failing.
  return error instanceof Error && /SQLITE_(?!IOERR|BUSY|LOCKED|FULL|NOMEM)[A-Z]/.test(error.message);
}

/**
 * What to throw when a call to storage (KV or a Durable Object) failed while doing `what`: 503 UNAVAILABLE, "try
 * again", for a failing store; our own errors and bugs as they are (a bug stays a logged 500).
 */
export function storageFailure(error: unknown, what: string): unknown {
  if (error instanceof ApiError || isProgrammingError(error)) return error;
  console.error(`valuebar: storage failed (${what})`, error);
  return new ApiError("UNAVAILABLE", `the site's storage did not answer (${what}): try again. If you were changing something, check whether the change was made before repeating it`);
}

/** `app.onError`: our errors as they are, Hono's by status, anything else a logged generic 500. */
export function handleError(err: Error, c: Context): Response {
  if (err instanceof ApiError) return c.json(errorBody(err.code, err.message, err.issues), err.status);
  if (err instanceof HTTPException) {
    // Hono's own statuses stay as they are; the code is ours where we have one for that status.
    const status = err.status >= 400 && err.status <= 599 ? (err.status as ContentfulStatusCode) : 500;
    const code = (Object.keys(STATUS) as ErrorCode[]).find((k) => STATUS[k] === status) ?? (status < 500 ? "BAD_REQUEST" : "INTERNAL");
    return c.json(errorBody(code, err.message || code.toLowerCase().replace(/_/g, " ")), status);
  }
  console.error("valuebar: unexpected error", err);
  return c.json(errorBody("INTERNAL", "internal error"), 500);
}
