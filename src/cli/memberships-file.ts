/**
 * @module The memberships file of `segments push` (NDJSON), read line by line and never whole: checked before
 * anything is sent, by the same rules as the Worker's import, while its bytes are fingerprinted; then cut into
 * batches from any line on.
 */
import { createHash, type Hash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { LineIssue } from "../core/import-rows";
import { ndjsonRow } from "../core/import-rows";
import { FirstLines } from "../core/shared";
import { CliError } from "./errors";

/** Request bodies stay under the Worker's 5 MB import limit. */
const MAX_BATCH_BYTES = 4_500_000;

/** What the check found: the rows to send, and the lines refused before sending. */
export interface CheckedFile {
  /** Lines the check refused, with their problems; they are never sent. */
  bad: Map<number, LineIssue[]>;
  /** The problems of the refused lines, in line order. */
  badIssues: LineIssue[];
  /** Rows that passed the check. */
  total: number;
  sha256: string;
}

export interface Batch {
  /** File line of each row, in body order. */
  lines: number[];
  texts: string[];
  /** The last file line the batch covers (blank and bad lines included). */
  lastLine: number;
}

/** Every line of `path` checked, and the file fingerprinted in the same read; a CliError when it cannot be read. */
export async function checkFile(path: string): Promise<CheckedFile> {
  const info = await stat(path).catch(() => null);
  if (!info) throw new CliError(`cannot read ${path}: no such file`);
  if (!info.isFile()) throw new CliError(`${path} is not a file`);
  const now = Date.now();
  const bad = new Map<number, LineIssue[]>();
  const seen = new FirstLines();
  let total = 0;
  const hash = createHash("sha256");
  try {
    for await (const [line, text] of fileLines(path, hash)) {
      if (!text.trim()) continue;
      const issues = lineIssues(line, text, now, seen);
      if (issues.length) bad.set(line, issues);
      else total++;
    }
  } catch (error) {
    throw new CliError(`cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return { bad, badIssues: [...bad.values()].flat(), total, sha256: hash.digest("hex") };
}

/** The problems of one NDJSON line, by the same rules as the Worker's import. */
function lineIssues(line: number, text: string, now: number, seen: FirstLines): LineIssue[] {
  const issues: LineIssue[] = [];
  const row = ndjsonRow(line, text, now, issues);
  const repeat = row ? seen.repeat(row.customerId, line) : null;
  return repeat ? [{ line, path: "customer_id", message: repeat }] : issues;
}

/** The file's rows that passed the check, from `fromLine`, in batches of at most `size` rows and MAX_BATCH_BYTES. */
export async function* batches(path: string, fromLine: number, bad: Map<number, unknown>, size: number): AsyncGenerator<Batch> {
  let batch: Batch = { lines: [], texts: [], lastLine: 0 };
  let bytes = 0;
  for await (const [line, text] of fileLines(path)) {
    if (line < fromLine) continue;
    if (text.trim() && !bad.has(line)) {
      const length = Buffer.byteLength(text) + 1;
      if (batch.lines.length >= size || (batch.lines.length > 0 && bytes + length > MAX_BATCH_BYTES)) {
        yield batch;
        batch = { lines: [], texts: [], lastLine: 0 };
        bytes = 0;
      }
      batch.lines.push(line);
      batch.texts.push(text);
      bytes += length;
    }
    batch.lastLine = line;
  }
  if (batch.lines.length > 0) yield batch;
}

/** Rows (not blank, not refused by the check) on the lines from `from` up to, not including, `to`. */
export async function rowsBetween(path: string, from: number, to: number, bad: Map<number, unknown>): Promise<number> {
  let rows = 0;
  for await (const [line, text] of fileLines(path)) {
    if (line >= to) break;
    if (line >= from && text.trim() && !bad.has(line)) rows++;
  }
  return rows;
}

/** The file's lines, numbered from 1; with `hash`, its bytes also go into it as they are read. */
async function* fileLines(path: string, hash?: Hash): AsyncGenerator<[number, string]> {
  const input = createReadStream(path);
  if (hash) input.on("data", (chunk) => hash.update(chunk));
  const lines = createInterface({ input, crlfDelay: Number.POSITIVE_INFINITY });
  let n = 0;
  for await (const line of lines) yield [++n, n === 1 ? line.replace(/^\uFEFF/, "") : line];
}
