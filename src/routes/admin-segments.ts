/**
 * @module /admin/sites/{site}/segments: bulk import of memberships (NDJSON or CSV) and per-customer
 * look-up and removal. An import is validated whole before anything is written.
 */
import { Hono } from "hono";
import { isCurrent } from "../core/decide";
import type { ImportRow, ParsedImport } from "../core/import-rows";
import { MAX_IMPORT_ROWS, parseCsv, parseNdjson, TooManyRows } from "../core/import-rows";
import type { Env } from "../env";
import type { AdminEnv } from "../http/auth";
import { allow } from "../http/auth";
import { readText } from "../http/body";
import { ApiError } from "../http/errors";
import { membershipKey } from "../storage/keys";
import type { MembershipWrite } from "../storage/memberships";
import { readMembership } from "../storage/memberships";
import { IMPORT_CHUNK } from "../storage/site-admin";
import { siteAdmin, validSite } from "./site";

/** Largest import body: 10,000 rows of generous size. */
export const MAX_IMPORT_BYTES = 5 * 1024 * 1024;
/** Issues listed in a rejected import's answer (the message gives the total). */
const MAX_LISTED_ISSUES = 200;

/** Sweep rounds per request: IMPORT_CHUNK members each, so one request removes up to 10,000. */
const SWEEP_ROUNDS = 20;
const SYNC_ID = /^[A-Za-z0-9_-]{8,64}$/;

/** The `sync` query parameter of a `--replace` push, or null; 400 when malformed. */
function syncParam(value: string | undefined): string | null {
  if (value === undefined) return null;
  if (!SYNC_ID.test(value)) throw new ApiError("BAD_REQUEST", "sync must be 8 to 64 letters, digits, '-' or '_'", [{ path: "sync", message: "malformed" }]);
  return value;
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

/** The site's admin object and live config; 404 for a site without a config. */
async function requireSite(env: Env, site: string) {
  const admin = siteAdmin(env, site);
  const live = await admin.live();
  if (!live) throw new ApiError("NOT_FOUND", `no site "${site}": publish its config first`);
  return { admin, live };
}

async function toWrite(secret: string, site: string, row: ImportRow): Promise<MembershipWrite> {
  const membership = row.segments.length === 0 ? null : { segments: row.segments, ...(row.expiresAt ? { expiresAt: row.expiresAt } : {}) };
  return { key: await membershipKey(secret, site, row.customerId), membership };
}

export const adminSegmentRoutes = new Hono<AdminEnv>()
  .post("/admin/sites/:site/segments", allow("segments:write"), async (c) => {
    const site = validSite(c.req.param("site"));
    const sync = syncParam(c.req.query("sync"));
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
    // `?dry_run=1`: validated as above, nothing written (the editor checks a whole file before its first batch).
    if (c.req.query("dry_run") === "1") return c.json({ dryRun: true, rows: rows.length, removed: rows.filter((r) => r.segments.length === 0).length });

    const writes = await Promise.all(rows.map((row) => toWrite(c.env.SIGNING_SECRET, site, row)));
    let unchanged = 0;
    for (let i = 0; i < writes.length; i += IMPORT_CHUNK) {
      try {
        const result = await admin.writeMemberships(writes.slice(i, i + IMPORT_CHUNK), sync);
        if ("conflict" in result) throw new ApiError("CONFLICT", `${result.conflict}; nothing of this batch was written`);
        unchanged += result.unchanged;
      } catch (error) {
        if (error instanceof ApiError) throw error;
        // Validation is all-or-nothing; a KV failure midway is not undoable, so say exactly where it stopped.
        console.error(`valuebar: import into ${site} stopped after ${i} of ${writes.length} rows`, error);
        throw new ApiError(
          "UNAVAILABLE",
          `storage failed after ${i} of ${writes.length} rows (lines in file order); send the same import again: each row replaces that customer's segments`,
        );
      }
    }

    const known = new Set(live.config.segments);
    const unknownSegments = [...new Set(rows.flatMap((r) => r.segments))].filter((s) => !known.has(s)).sort();
    const removed = writes.filter((w) => w.membership === null).length;
    await admin.audit(
      c.get("actor"),
      "segments.import",
      `imported ${writes.length} row(s): ${writes.length - removed} customer(s) set (${unchanged} unchanged), ${removed} removed${sync ? " (push with --replace)" : ""}`,
    );
    return c.json({ written: writes.length, removed, unchanged, ...(unknownSegments.length ? { unknownSegments } : {}) });
  })
  // The end of a `segments push --replace`: removes the members that push did not write (in rounds; call
  // again while `remaining` > 0).
  .post("/admin/sites/:site/segments/sweep", allow("segments:write"), async (c) => {
    const site = validSite(c.req.param("site"));
    const sync = syncParam(c.req.query("sync"));
    if (!sync) throw new ApiError("BAD_REQUEST", "sync is required: the id every batch of the push carried", [{ path: "sync", message: "required" }]);
    const { admin } = await requireSite(c.env, site);
    let removed = 0;
    let remaining = 0;
    for (let round = 0; round < SWEEP_ROUNDS; round++) {
      const result = await admin.sweep(sync);
      if (!result) throw new ApiError("NOT_FOUND", `no push with sync ${sync} reached this site: nothing to compare with, nobody removed`);
      if ("conflict" in result) throw new ApiError("CONFLICT", `${result.conflict}; nobody removed`);
      removed += result.removed;
      remaining = result.remaining;
      if (remaining === 0) break;
    }
    if (removed > 0) await admin.audit(c.get("actor"), "segments.replace", `removed ${removed} customer(s) not in the pushed file`);
    return c.json({ removed, remaining });
  })
  .get("/admin/sites/:site/segments", allow("segments:read"), async (c) => {
    const site = validSite(c.req.param("site"));
    const { live } = await requireSite(c.env, site);
    const counts = await siteAdmin(c.env, site).segmentCounts(Date.now());
    const known = new Set(live.config.segments);
    // Every segment of the config, in precedence order, then any imported segment the config does not list.
    const byName = new Map(counts.segments.map((s) => [s.segment, s.members]));
    const segments = [
      ...live.config.segments.map((segment) => ({ segment, members: byName.get(segment) ?? 0, inConfig: true })),
      ...counts.segments.filter((s) => !known.has(s.segment)).map((s) => ({ ...s, inConfig: false })),
    ];
    return c.json({ segments, customers: counts.customers, lastImport: counts.lastImport });
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
    });
  })
  .delete("/admin/sites/:site/segments/:customerId", allow("segments:write"), async (c) => {
    const site = validSite(c.req.param("site"));
    const key = await membershipKey(c.env.SIGNING_SECRET, site, c.req.param("customerId"));
    const existed = (await c.env.KV.get(key)) !== null;
    // The index first: should the KV delete fail, the next import of this customer writes KV again rather
    // than skipping the row as unchanged.
    const admin = siteAdmin(c.env, site);
    await admin.forgetMember(key);
    await c.env.KV.delete(key);
    // The audit log names no customer: their id stays with the store.
    if (existed) await admin.audit(c.get("actor"), "segments.delete", "removed one customer's segments");
    return c.json({ deleted: existed });
  });
