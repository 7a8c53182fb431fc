/**
 * @module Parsing a bulk membership import (NDJSON or CSV) into validated rows. The whole batch is
 * checked before anything is written: every bad line is reported with its number and what is wrong.
 * A row whose `expires_at` has already passed is valid data, not a mistake: that membership has ended, so the
 * row is a removal (no segments), marked `expired`, whatever segments it lists.
 */
import { parseZonedTime, ZONED_TIME_EXAMPLE } from "./iso-time";
import { FirstLines, MAX_IMPORT_ROWS, SEGMENT_ID } from "./shared";

export interface ImportRow {
  line: number;
  customerId: string;
  segments: string[];
  /** ms since epoch */
  expiresAt?: number;
  /** The row's expires_at had passed: it is read as a removal (`segments` is empty). */
  expired?: true;
}

export interface LineIssue {
  line: number;
  path?: string;
  message: string;
}

export interface ParsedImport {
  rows: ImportRow[];
  issues: LineIssue[];
}



/** Raised when a batch has more than MAX_IMPORT_ROWS rows. */
export class TooManyRows extends Error {
  override name = "TooManyRows";
}

/**
 * Checks one row's fields; the same rules for both formats.
 * `customer_id` is a non-empty string of at most 128 characters (integers are accepted as such).
 */
function checkImportRow(line: number, raw: { customer_id?: unknown; segments?: unknown; expires_at?: unknown }, now: number, issues: LineIssue[]): ImportRow | null {
  const before = issues.length;
  let customerId = "";
  if (typeof raw.customer_id === "number" && Number.isSafeInteger(raw.customer_id)) customerId = String(raw.customer_id);
  else if (typeof raw.customer_id === "string") customerId = raw.customer_id.trim();
  if (!customerId) issues.push({ line, path: "customer_id", message: "customer_id is required (a string or integer)" });
  else if (customerId.length > 128) issues.push({ line, path: "customer_id", message: "customer_id is longer than 128 characters" });

  const segments: string[] = [];
  if (!Array.isArray(raw.segments)) {
    issues.push({ line, path: "segments", message: "segments must be a list of segment ids" });
  } else if (raw.segments.length > 50) {
    issues.push({ line, path: "segments", message: "at most 50 segments per customer" });
  } else {
    raw.segments.forEach((segment, i) => {
      if (typeof segment === "string" && SEGMENT_ID.test(segment)) segments.push(segment);
      else issues.push({ line, path: `segments.${i}`, message: `${JSON.stringify(segment)} is not a segment id (lowercase letters, digits, '-', '_')` });
    });
  }

  let expiresAt: number | undefined;
  let expired = false;
  if (raw.expires_at !== undefined && raw.expires_at !== null && raw.expires_at !== "") {
    const parsed = typeof raw.expires_at === "string" ? parseZonedTime(raw.expires_at.trim()) : null;
    if (!parsed) issues.push({ line, path: "expires_at", message: `expires_at must be an ISO time with a zone, such as ${ZONED_TIME_EXAMPLE}` });
    else if (!parsed.ok) issues.push({ line, path: "expires_at", message: `expires_at ${JSON.stringify(String(raw.expires_at).slice(0, 40))}: ${parsed.message}` });
    else if (parsed.ms <= now) expired = true;
    else expiresAt = parsed.ms;
  }
  if (issues.length > before) return null;
  if (expired) return { line, customerId, segments: [], expired: true };
  return { line, customerId, segments: [...new Set(segments)], ...(expiresAt !== undefined ? { expiresAt } : {}) };
}

/** One JSON object a line; blank lines are skipped. Lines are numbered from 1. */
export function parseNdjson(text: string, now: number): ParsedImport {
  const rows: ImportRow[] = [];
  const issues: LineIssue[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  let count = 0;
  lines.forEach((content, i) => {
    if (!content.trim()) return;
    if (++count > MAX_IMPORT_ROWS) throw new TooManyRows();
    const row = ndjsonRow(i + 1, content, now, issues);
    if (row) rows.push(row);
  });
  return finish(rows, issues);
}

/** One NDJSON line as a row, or null with its problems added to `issues` (also used by `segments push`). */
export function ndjsonRow(line: number, content: string, now: number, issues: LineIssue[]): ImportRow | null {
  let value: unknown;
  try {
    value = JSON.parse(content);
  } catch {
    issues.push({ line, message: "not valid JSON" });
    return null;
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    issues.push({ line, message: "each line must be a JSON object" });
    return null;
  }
  return checkImportRow(line, value as Record<string, unknown>, now, issues);
}

/**
 * CSV with a header line `customer_id,segments[,expires_at]` (any column order); segments separated
 * by `|`. Fields may be quoted ("a,b"), with "" for a quote. Line 1 is the header.
 */
export function parseCsv(text: string, now: number): ParsedImport {
  const rows: ImportRow[] = [];
  const issues: LineIssue[] = [];
  const lines = text.replace(/^\uFEFF/, "").split(/\r?\n/);
  const header = splitCsvLine(lines[0] ?? "")?.map((h) => h.trim().toLowerCase());
  if (!header || !header.includes("customer_id") || !header.includes("segments")) {
    return { rows, issues: [{ line: 1, message: "the header must name the columns customer_id and segments (and optionally expires_at)" }] };
  }
  const unknown = header.filter((h) => !["customer_id", "segments", "expires_at"].includes(h));
  if (unknown.length) return { rows, issues: [{ line: 1, message: `unknown column(s): ${unknown.join(", ")}` }] };
  let count = 0;
  for (let i = 1; i < lines.length; i++) {
    const content = lines[i] ?? "";
    if (!content.trim()) continue;
    if (++count > MAX_IMPORT_ROWS) throw new TooManyRows();
    const fields = splitCsvLine(content);
    if (!fields || fields.length !== header.length) {
      issues.push({ line: i + 1, message: fields ? `expected ${header.length} fields, found ${fields.length}` : "unbalanced quotes" });
      continue;
    }
    const record = Object.fromEntries(header.map((name, j) => [name, fields[j] ?? ""]));
    const segments = (record.segments ?? "").split("|").map((s) => s.trim()).filter(Boolean);
    const row = checkImportRow(i + 1, { customer_id: record.customer_id, segments, expires_at: record.expires_at }, now, issues);
    if (row) rows.push(row);
  }
  return finish(rows, issues);
}

/** Fields of one CSV line, or null when its quotes do not balance. */
function splitCsvLine(line: string): string[] | null {
  const fields: string[] = [];
  let field = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') (field += '"'), i++;
      else if (ch === '"') quoted = false;
      else field += ch;
    } else if (ch === '"' && field === "") quoted = true;
    else if (ch === ",") fields.push(field), (field = "");
    else field += ch;
  }
  if (quoted) return null;
  fields.push(field);
  return fields;
}

/** A customer listed twice in one batch is an error: which row should win is not ours to guess. */
function finish(rows: ImportRow[], issues: LineIssue[]): ParsedImport {
  const seen = new FirstLines();
  for (const row of rows) {
    const repeat = seen.repeat(row.customerId, row.line);
    if (repeat) issues.push({ line: row.line, path: "customer_id", message: repeat });
  }
  issues.sort((a, b) => a.line - b.line);
  return { rows, issues };
}
