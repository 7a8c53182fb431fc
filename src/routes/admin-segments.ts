/**
 * @module /admin/sites/{site}/segments: bulk import of memberships (NDJSON or CSV) and per-customer
 * look-up and removal. An import is validated whole before anything is written.
 *
 * When storage fails midway (a KV write, or the site's Durable Object itself), the answer is a 503 UNAVAILABLE
 * that says exactly how far the import got: how many rows are in place, and as `issues` the lines whose write
 * was not confirmed or not attempted. Sending the same import again converges KV and the index to it: rows in
 * place count as unchanged, the others are written (see storage/member-index.ts for why none is skipped).
 */
import { Hono } from "hono";
import { isCurrent } from "../core/decide";
import type { ImportRow, ParsedImport } from "../core/import-rows";
import { parseCsv, parseNdjson, TooManyRows } from "../core/import-rows";
import { MAX_IMPORT_ROWS } from "../core/shared";
import type { Env } from "../env";
import type { AdminEnv } from "../http/auth";
import { allow } from "../http/auth";
import { readText } from "../http/body";
import type { Issue } from "../http/errors";
import { ApiError } from "../http/errors";
import { membershipKey } from "../storage/keys";
import type { MembershipWrite } from "../storage/memberships";
import { readMembership } from "../storage/memberships";
import type { ImportAudit, ImportChunkResult } from "../storage/site-admin";
import { IMPORT_CHUNK } from "../storage/site-admin";
import { siteAdmin, validSite } from "./site";

/** Largest import body: 10,000 rows of generous size. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
/** Issues listed in an answer (the message gives the total). */
const MAX_LISTED_ISSUES = 200;

/** Sweep rounds per request: IMPORT_CHUNK members each, so one request removes up to 10,000. */
const SWEEP_ROUNDS = 20;
const SYNC_ID = /^[A-Za-z0-9_-]{8,64}$/;
/** File lines a push may number (`from`, `next`). */
const MAX_FILE_LINE = 1_000_000_000;

/** The `sync` query parameter of a push, or null; 400 when malformed. */
function syncParam(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!SYNC_ID.test(value)) throw new ApiError("BAD_REQUEST", "sync must be 8 to 64 letters, digits, '-' or '_'", [{ path: "sync", message: "malformed" }]);
  return value;
}

/**
 * Where a push's batch sits in its file: `from` (its first line) and `next` (the line after it), both or
 * neither, and only with `sync`; 400 naming the parameter otherwise.
 */
function positionParams(sync: string | null, from: string | undefined, next: string | undefined): { from: number; next: number } | null {
  if (from === undefined && next === undefined) return null;
  const line = (name: string, value: string | undefined) => {
    const n = Number(value);
    if (value === undefined || !/^\d{1,10}$/.test(value) || n < 1 || n > MAX_FILE_LINE) {
      throw new ApiError("BAD_REQUEST", `${name} must be a file line number (1 or more)`, [{ path: name, message: value === undefined ? "required with from/next" : "not a line number" }]);
    }
    return n;
  };
  const position = { from: line("from", from), next: line("next", next) };
  if (position.next <= position.from) throw new ApiError("BAD_REQUEST", "next must be after from", [{ path: "next", message: "not after from" }]);
  if (!sync) throw new ApiError("BAD_REQUEST", "from and next belong to a push: send its sync id too", [{ path: "sync", message: "required with from/next" }]);
  return position;
}

/** The parser for the body's Content-Type, chosen before the body is read; 415 for any other type. */
function importParser(contentType: string): (text: string, now: number) => ParsedImport {
  const type = contentType.split(";")[0]?.trim().toLowerCase();
  const parse = type === "application/x-ndjson" || type === "application/ndjson" ? parseNdjson : type === "text/csv" ? parseCsv : null;
  if (!parse) throw new ApiError("UNSUPPORTED_MEDIA_TYPE", "send memberships as application/x-ndjson or text/csv");
  return (text, now) => {
    try {
      return parse(text, now);
    } catch (error) {
      if (error instanceof TooManyRows) throw new ApiError("PAYLOAD_TOO_LARGE", `at most ${MAX_IMPORT_ROWS} rows per request; split the file`);
      throw error;
    }
  };
}

/** Whether a call to the site's object failed because the object or its storage did (`siteAdmin` says so with UNAVAILABLE). */
function storageDown(error: unknown): boolean {
  return error instanceof ApiError && error.code === "UNAVAILABLE";
}

/**
 * A call to the site's Durable Object; when the call itself fails (the object is overloaded, reset or
 * unreachable), a 503 saying `what` happened to this request rather than the generic one. A bug stays a 500.
 */
async function siteCall<T>(site: string, what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (!storageDown(error)) throw error;
    console.error(`valuebar: the admin object of ${site} failed`, error);
    throw new ApiError("UNAVAILABLE", `the site's storage did not answer: ${what}`);
  }
}

/** The site's admin object and live config; 404 for a site without a config. */
async function requireSite(env: Env, site: string, what = "nothing was written; try again") {
  const admin = siteAdmin(env, site);
  const live = await siteCall(site, what, () => admin.live());
  if (!live) throw new ApiError("NOT_FOUND", `no site "${site}": publish its config first`);
  return { admin, live };
}

async function toWrite(secret: string, site: string, row: ImportRow): Promise<MembershipWrite> {
  const membership =
    row.segments.length === 0
      ? null
      : { segments: row.segments, ...(row.expiresAt ? { expiresAt: row.expiresAt } : {}), ...(row.covariates ? { covariates: row.covariates } : {}) };
  return { key: await membershipKey(secret, site, row.customerId), membership };
}

const count = (n: number) => n.toLocaleString("en");

/** How far an import got before storage failed, and the lines that are not in place. */
interface ImportStop {
  /** Rows before the failure that are in place: written, or unchanged. */
  written: number;
  unchanged: number;
  /** Lines whose write KV did not confirm, or whose chunk's object call failed (in place or not: unknown). */
  unconfirmed: number[];
  /** Lines after the failing chunk: not sent to storage at all. */
  notAttempted: number[];
  /** Why: a KV failure, or the object call failing. */
  cause: "kv" | "object";
}

/** The 503 of an import that stopped: exactly what is in place, what is not (lines as issues), and that re-sending converges. */
function importStopped(stop: ImportStop, total: number): ApiError {
  const inPlace = stop.written + stop.unchanged;
  const unconfirmed =
    stop.cause === "kv"
      ? `KV did not confirm ${count(stop.unconfirmed.length)} row(s)`
      : `the site's storage did not answer for ${count(stop.unconfirmed.length)} row(s), which may or may not be written`;
  const issues: Issue[] = [
    ...stop.unconfirmed.map((line) => ({ line, message: stop.cause === "kv" ? "not confirmed: the KV write failed" : "not confirmed: the site's storage did not answer" })),
    ...stop.notAttempted.map((line) => ({ line, message: "not attempted: the import stopped before this row" })),
  ];
  return new ApiError(
    "UNAVAILABLE",
    `storage failed: ${count(inPlace)} of ${count(total)} row(s) are in place (${count(stop.written)} written, ${count(stop.unchanged)} unchanged); ` +
      `${unconfirmed} and ${count(stop.notAttempted.length)} were not attempted (listed as issues${issues.length > MAX_LISTED_ISSUES ? `, the first ${MAX_LISTED_ISSUES}` : ""}). ` +
      "Send the same import again: rows in place count as unchanged, the others are written.",
    issues.slice(0, MAX_LISTED_ISSUES),
  );
}

/**
 * Writes a validated import through the site's object, IMPORT_CHUNK rows per call (each call is its own
 * invocation, within KV's operations per invocation). The number of unchanged rows; or, at the first chunk that
 * does not fully land, a 503 saying exactly how far the import got (later chunks are not sent; the audit log
 * says the same); or a 409 when the push may not go on. The push's position and the import's audit line are
 * recorded with the last chunk, only if every row landed.
 */
async function writeInChunks(
  admin: ReturnType<typeof siteAdmin>,
  site: string,
  rows: readonly ImportRow[],
  writes: MembershipWrite[],
  options: { sync: string | null; position: { from: number; next: number } | null; audit: Omit<ImportAudit, "before" | "unchanged" | "last"> },
): Promise<number> {
  const linesOf = (from: number, to: number) => rows.slice(from, to).map((r) => r.line);
  let unchanged = 0;
  for (let i = 0; i < writes.length; i += IMPORT_CHUNK) {
    const chunk = writes.slice(i, i + IMPORT_CHUNK);
    const last = i + IMPORT_CHUNK >= writes.length;
    const stopped = (unconfirmed: number[], cause: ImportStop["cause"], unchangedHere: number) =>
      importStopped(
        {
          written: i + chunk.length - unchanged - unchangedHere - unconfirmed.length,
          unchanged: unchanged + unchangedHere,
          unconfirmed,
          notAttempted: linesOf(i + chunk.length, rows.length),
          cause,
        },
        rows.length,
      );
    let result: ImportChunkResult;
    try {
      result = await admin.writeMemberships(chunk, {
        sync: options.sync,
        from: options.position?.from ?? null,
        acknowledge: last ? (options.position?.next ?? null) : null,
        audit: { ...options.audit, before: i, unchanged, last },
      });
    } catch (error) {
      if (!storageDown(error)) throw error;
      // The call itself failed: this chunk may or may not have landed (if the object started it, its rows are
      // pending, so a re-send writes them); later chunks were not sent.
      console.error(`valuebar: import into ${site} stopped at row ${i + 1} of ${rows.length}`, error);
      throw stopped(linesOf(i, i + chunk.length), "object", 0);
    }
    if ("conflict" in result) {
      const before = i === 0 ? "nothing of this batch was written" : `${count(i)} row(s) of this batch were written before`;
      throw new ApiError("CONFLICT", `${result.conflict}; ${before}`, result.standsAt === undefined ? undefined : [{ path: "from", message: `the push stands at line ${result.standsAt}` }]);
    }
    if (result.failed.length > 0) {
      console.error(`valuebar: import into ${site}: KV did not confirm ${result.failed.length} write(s) at rows ${i + 1}-${i + chunk.length}`);
      throw stopped(
        result.failed.map((j) => rows[i + j]?.line ?? 0),
        "kv",
        result.unchanged,
      );
    }
    unchanged += result.unchanged;
  }
  return unchanged;
}

/**
 * A dry run of an import against the site's member index, IMPORT_CHUNK rows per call: the rows a write would skip
 * (`unchanged`), the rows of customers the site holds (`existing`), and every row the index holds (`members`), so
 * `members - existing` summed over a file's batches is what its `--replace` push would remove.
 */
async function checkInChunks(admin: ReturnType<typeof siteAdmin>, site: string, writes: MembershipWrite[]): Promise<{ unchanged: number; existing: number; members: number }> {
  let unchanged = 0;
  let existing = 0;
  for (let i = 0; i < writes.length; i += IMPORT_CHUNK) {
    const check = await siteCall(site, "nothing was written; try again", () => admin.checkMemberships(writes.slice(i, i + IMPORT_CHUNK)));
    unchanged += check.unchanged;
    existing += check.existing;
  }
  const members = await siteCall(site, "nothing was written; try again", () => admin.memberRows());
  return { unchanged, existing, members };
}

export const adminSegmentRoutes = new Hono<AdminEnv>()
  .post("/admin/sites/:site/segments", allow("segments:write"), async (c) => {
    const site = validSite(c.req.param("site"));
    const sync = syncParam(c.req.query("sync"));
    const position = positionParams(sync, c.req.query("from"), c.req.query("next"));
    const { admin, live } = await requireSite(c.env, site);
    const parse = importParser(c.req.header("content-type") ?? "");
    const { rows, issues } = parse(await readText(c.req.raw, MAX_IMPORT_BYTES), Date.now());
    if (issues.length > 0) {
      const lines = new Set(issues.map((i) => i.line)).size;
      throw new ApiError(
        "INVALID_IMPORT",
        `${lines} line(s) are invalid (${issues.length} problem(s)); nothing was written`,
        issues.slice(0, MAX_LISTED_ISSUES),
      );
    }
    if (rows.length === 0) throw new ApiError("INVALID_IMPORT", "the import has no rows", [{ line: 1, message: "no rows" }]);
    const removed = rows.filter((r) => r.segments.length === 0).length;
    const expired = rows.filter((r) => r.expired).length;
    const known = new Set(live.config.segments);
    const unknownSegments = [...new Set(rows.flatMap((r) => r.segments))].filter((s) => !known.has(s)).sort();
    const writes = await Promise.all(rows.map((row) => toWrite(c.env.SIGNING_SECRET, site, row)));
    // `?dry_run=1`: validated as above and compared with what the site holds, nothing written (the editor checks a
    // whole file before its first batch; `segments push --dry-run` says what a push would do).
    if (c.req.query("dry_run") === "1") {
      const check = await checkInChunks(admin, site, writes);
      return c.json({ dryRun: true, rows: rows.length, removed, ...(expired ? { expired } : {}), ...check, ...(unknownSegments.length ? { unknownSegments } : {}) });
    }

    const unchanged = await writeInChunks(admin, site, rows, writes, {
      sync,
      position,
      audit: { by: c.get("actor"), rows: rows.length, removed, expired },
    });
    return c.json({ written: writes.length, removed, ...(expired ? { expired } : {}), unchanged, ...(unknownSegments.length ? { unknownSegments } : {}) });
  })
  // The end of a `segments push --replace`: removes the members that push did not write (in rounds; call
  // again while `remaining` > 0); with `?dry_run=1`, says how many it would remove, removing nobody. A KV delete that fails: 503 saying how many were removed; the row stays
  // marked for removal, so calling again (or the object's alarm) completes it.
  .post("/admin/sites/:site/segments/sweep", allow("segments:write"), async (c) => {
    const site = validSite(c.req.param("site"));
    const sync = syncParam(c.req.query("sync"));
    if (!sync) throw new ApiError("BAD_REQUEST", "sync is required: the id every batch of the push carried", [{ path: "sync", message: "required" }]);
    const { admin } = await requireSite(c.env, site, "nobody was removed; try again");
    // `?dry_run=1`: how many the sweep would remove now, of all the members the site holds; nobody is removed.
    if (c.req.query("dry_run") === "1") {
      const preview = await siteCall(site, "nobody was removed; try again", async () => await admin.sweepPreview(sync));
      if (!preview) throw new ApiError("NOT_FOUND", `no push with sync ${sync} reached this site: nothing to compare with`);
      if ("conflict" in preview) throw new ApiError("CONFLICT", preview.conflict);
      return c.json({ dryRun: true as const, wouldRemove: preview.wouldRemove, members: preview.members });
    }
    let removed = 0;
    let remaining = 0;
    // Each round records its own audit line with its removals, in the object, so none goes unlogged.
    for (let round = 0; round < SWEEP_ROUNDS; round++) {
      let result;
      try {
        result = await admin.sweep(sync, c.get("actor"));
      } catch (error) {
        if (!storageDown(error)) throw error;
        console.error(`valuebar: sweep of ${site} stopped after ${removed} removal(s)`, error);
        throw new ApiError("UNAVAILABLE", `the site's storage did not answer: ${count(removed)} member(s) removed so far; call the sweep again to go on`);
      }
      if (!result) throw new ApiError("NOT_FOUND", `no push with sync ${sync} reached this site: nothing to compare with, nobody removed`);
      if ("conflict" in result) throw new ApiError("CONFLICT", `${result.conflict}; nobody removed`);
      removed += result.removed;
      remaining = result.remaining;
      if (result.failed > 0) {
        throw new ApiError(
          "UNAVAILABLE",
          `KV did not confirm ${count(result.failed)} removal(s): ${count(removed)} member(s) removed, ${count(remaining)} to go (those included); call the sweep again to go on`,
        );
      }
      if (remaining === 0) break;
    }
    return c.json({ removed, remaining });
  })
  // How far a push got, for `segments push` resuming from a checkpoint.
  .get("/admin/sites/:site/segments/pushes/:sync", allow("segments:write"), async (c) => {
    const site = validSite(c.req.param("site"));
    const sync = syncParam(c.req.param("sync")) ?? "";
    const push = await siteCall(site, "try again", () => siteAdmin(c.env, site).pushState(sync));
    if (!push) throw new ApiError("NOT_FOUND", `no push with sync ${sync} reached this site`);
    return c.json({
      sync,
      startedAt: new Date(push.startedAt).toISOString(),
      finishedAt: push.finishedAt === null ? null : new Date(push.finishedAt).toISOString(),
      nextLine: push.nextLine,
    });
  })
  .get("/admin/sites/:site/segments", allow("segments:read"), async (c) => {
    const site = validSite(c.req.param("site"));
    const { admin, live } = await requireSite(c.env, site, "try again");
    const counts = await siteCall(site, "try again", () => admin.segmentCounts(Date.now()));
    const known = new Set(live.config.segments);
    // Every segment of the config, in precedence order, then any imported segment the config does not list.
    const byName = new Map(counts.segments.map((s) => [s.segment, s.members]));
    const segments = [
      ...live.config.segments.map((segment) => ({ segment, members: byName.get(segment) ?? 0, inConfig: true })),
      ...counts.segments.filter((s) => !known.has(s.segment)).map((s) => ({ ...s, inConfig: false })),
    ];
    return c.json({ segments, customers: counts.customers, pending: counts.pending, lastImport: counts.lastImport });
  })
  .get("/admin/sites/:site/segments/:customerId", allow("segments:read"), async (c) => {
    const site = validSite(c.req.param("site"));
    const customerId = c.req.param("customerId");
    const membership = await readMembership(c.env.KV, c.env.SIGNING_SECRET, site, customerId, 5_000);
    if (!isCurrent(membership, Date.now())) throw new ApiError("NOT_FOUND", "this customer is in no segment");
    return c.json({
      customer_id: customerId,
      segments: membership.segments,
      ...(membership.expiresAt !== undefined ? { expires_at: new Date(membership.expiresAt).toISOString() } : {}),
      ...(membership.covariates ? { covariates: membership.covariates } : {}),
    });
  })
  // The index marks the removal before KV deletes it and forgets the row only once KV confirmed: should the
  // KV delete fail, the answer is a 503 and the removal stays marked, so the same DELETE again, the object's
  // alarm, or the next import of this customer completes it (none counts it unchanged).
  .delete("/admin/sites/:site/segments/:customerId", allow("segments:write"), async (c) => {
    const site = validSite(c.req.param("site"));
    const key = await membershipKey(c.env.SIGNING_SECRET, site, c.req.param("customerId"));
    let existed: boolean;
    try {
      existed = (await c.env.KV.get(key)) !== null;
    } catch (error) {
      console.error(`valuebar: reading a membership of ${site} failed`, error);
      throw new ApiError("UNAVAILABLE", "KV did not answer; nothing was removed: send the DELETE again");
    }
    const admin = siteAdmin(c.env, site);
    // The audit log names no customer: their id stays with the store.
    const { landed } = await siteCall(site, "the removal may or may not be done: send the DELETE again", () => admin.removeMember(key, existed ? c.get("actor") : null));
    if (!landed) throw new ApiError("UNAVAILABLE", "KV did not confirm the removal; it stays marked and is retried within minutes: send the DELETE again to finish it now");
    return c.json({ deleted: existed });
  });
