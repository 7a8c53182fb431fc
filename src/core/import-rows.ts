/**
 * @module Parsing a bulk membership import (NDJSON or CSV) into validated rows. The whole batch is
 * checked before anything is written: every bad line is reported with its number and what is wrong.
 * A row whose `expires_at` has already passed is valid data, not a mistake: that membership has ended, so the
 * row is a removal (no segments), marked `expired`, whatever segments it lists.
 */
import type { CsvMalformed, CsvSink } from "./csv";
import { readCsvText } from "./csv";
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
  /** Numeric covariates (CUPED, src/core/cuped.ts), e.g. {"net_revenue_365d": 412.5}; absent when the row gives none. */
  covariates?: Record<string, number>;
}

/** Covariates one customer may carry: each is stored in the membership the hot path reads, so it stays small. */
export const MAX_COVARIATES = 4;
/** Covariates are amounts and counts: bounded so their squares, summed over millions of units, stay exact enough. */
export const MAX_COVARIATE_MAGNITUDE = 1e9;
/** A CSV column `covariate.<name>` carries the covariate `<name>` (an empty cell: none). */
export const CSV_COVARIATE_PREFIX = "covariate.";

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
function checkImportRow(
  line: number,
  raw: { customer_id?: unknown; segments?: unknown; expires_at?: unknown; covariates?: unknown },
  now: number,
  issues: LineIssue[],
): ImportRow | null {
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
  const covariates = checkCovariates(line, raw.covariates, issues);
  if (issues.length > before) return null;
  if (expired) return { line, customerId, segments: [], expired: true };
  return {
    line,
    customerId,
    segments: [...new Set(segments)],
    ...(expiresAt !== undefined ? { expiresAt } : {}),
    // Kept with a membership only: a row in no segment is a removal, and its covariates go with it.
    ...(covariates && segments.length > 0 ? { covariates } : {}),
  };
}

/**
 * `covariates`: an object of at most MAX_COVARIATES names (segment-id rules) to finite numbers within
 * ±MAX_COVARIATE_MAGNITUDE; absent, null or {} is none. CSV cells arrive as text and are read as numbers here.
 */
function checkCovariates(line: number, raw: unknown, issues: LineIssue[]): Record<string, number> | undefined {
  if (raw === undefined || raw === null) return undefined;
  if (typeof raw !== "object" || Array.isArray(raw)) {
    issues.push({ line, path: "covariates", message: 'covariates must be an object of names to numbers, such as {"net_revenue_365d": 412.5}' });
    return undefined;
  }
  const entries = Object.entries(raw);
  if (entries.length > MAX_COVARIATES) {
    issues.push({ line, path: "covariates", message: `at most ${MAX_COVARIATES} covariates per customer` });
    return undefined;
  }
  const covariates: Record<string, number> = {};
  for (const [name, value] of entries) {
    const number = typeof value === "number" ? value : typeof value === "string" && /^\s*-?\d+(\.\d+)?([eE][-+]?\d+)?\s*$/.test(value) ? Number(value) : NaN;
    if (!SEGMENT_ID.test(name)) issues.push({ line, path: `covariates.${name.slice(0, 64)}`, message: `${JSON.stringify(name.slice(0, 64))} is not a covariate name (lowercase letters, digits, '-', '_')` });
    else if (!Number.isFinite(number) || Math.abs(number) > MAX_COVARIATE_MAGNITUDE) {
      issues.push({ line, path: `covariates.${name}`, message: `${JSON.stringify(value)} is not a finite number within ±${MAX_COVARIATE_MAGNITUDE.toExponential()}` });
    } else covariates[name] = number;
  }
  return entries.length > 0 ? covariates : undefined;
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
 * CSV with a header line `customer_id,segments[,expires_at][,covariate.<name>...]` (any column order); segments
 * separated by `|`; a `covariate.net_revenue_365d` column gives each row that covariate (an empty cell: none). Read by the one CSV reader (RFC 4180, see csv.ts), as `segments compute` and the editor read files:
 * quoted fields may hold commas, "" for a quote and line breaks; lines may end in LF, CRLF or CR alone; a
 * byte-order mark is skipped. Line 1 is the header; a row is numbered by the line it starts on, so a problem
 * in a row whose quoted field spans lines is reported at its first line.
 */
export function parseCsv(text: string, now: number): ParsedImport {
  const rows = new CsvImportRows(now);
  readCsvText(text, rows);
  return rows.result();
}

const HEADER_RULE = "the header must name the columns customer_id and segments (and optionally expires_at)";

/** The CSV reader's records as import rows: the first record is the header, each later one a row checked against it. */
class CsvImportRows implements CsvSink {
  private readonly rows: ImportRow[] = [];
  private readonly issues: LineIssue[] = [];
  private header: string[] | null = null;
  /** What is wrong with the header; the rows are not read then. */
  private headerIssue: LineIssue | null = null;
  private count = 0;

  constructor(private readonly now: number) {}

  record(fields: string[], line: number): void {
    if (this.headerIssue) return;
    if (!this.header) {
      this.readHeader(fields);
      return;
    }
    if (fields.length === 1 && !fields[0]?.trim()) return; // a blank line
    this.countRow();
    if (fields.length !== this.header.length) {
      this.issues.push({ line, message: `expected ${this.header.length} fields, found ${fields.length}` });
      return;
    }
    const record = Object.fromEntries(this.header.map((name, j) => [name, fields[j] ?? ""]));
    const segments = (record.segments ?? "").split("|").map((s) => s.trim()).filter(Boolean);
    const covariateCells = this.header.filter((name) => name.startsWith(CSV_COVARIATE_PREFIX) && (record[name] ?? "").trim() !== "");
    const covariates = covariateCells.length > 0 ? Object.fromEntries(covariateCells.map((name) => [name.slice(CSV_COVARIATE_PREFIX.length), record[name] ?? ""])) : undefined;
    const row = checkImportRow(line, { customer_id: record.customer_id, segments, expires_at: record.expires_at, covariates }, this.now, this.issues);
    if (row) this.rows.push(row);
  }

  malformed(line: number, message: string, cause: CsvMalformed): void {
    if (this.headerIssue) return;
    if (!this.header) {
      this.headerIssue = { line: 1, message: HEADER_RULE };
      return;
    }
    this.countRow();
    this.issues.push({ line, message: cause === "unclosed quote" ? "unbalanced quotes" : message });
  }

  result(): ParsedImport {
    if (!this.header) return { rows: [], issues: [this.headerIssue ?? { line: 1, message: HEADER_RULE }] };
    return finish(this.rows, this.issues);
  }

  private readHeader(fields: string[]): void {
    const header = fields.map((h) => h.trim().toLowerCase());
    if (!header.includes("customer_id") || !header.includes("segments")) {
      this.headerIssue = { line: 1, message: HEADER_RULE };
      return;
    }
    const unknown = header.filter((h) => !["customer_id", "segments", "expires_at"].includes(h) && !h.startsWith(CSV_COVARIATE_PREFIX));
    if (unknown.length) this.headerIssue = { line: 1, message: `unknown column(s): ${unknown.join(", ")}` };
    else this.header = header;
  }

  /** Bad rows count too: the limit is on the rows a request carries, not on the good ones. */
  private countRow(): void {
    if (++this.count > MAX_IMPORT_ROWS) throw new TooManyRows();
  }
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
