/**
 * @module An upload cut into import requests of at most MAX_IMPORT_ROWS rows. A CSV file is cut between records
 * as the project's RFC 4180 reader (core/csv.ts, the one `segments push` and the import route use) reads them,
 * so a quoted field with a line break stays whole, and its header goes at the top of every batch; NDJSON is one
 * row per line. Each batch keeps its place in the file, so the lines an import names map back to the file's.
 */
import { lineEnding, readCsvText } from "../../../core/csv";
import { MAX_IMPORT_ROWS } from "../../../core/shared";

export interface Batch {
  /** The request body: the header's lines (CSV) and then the batch's own. */
  body: string;
  /** The file line the batch's first row starts on. */
  firstLine: number;
  /** Lines of the header at the top of the body: 0 for NDJSON. */
  headerLines: number;
}

/** The file `text` in batches of at most `rows` rows (blank lines count); always one batch, if empty. */
export function toBatches(text: string, csv: boolean, rows = MAX_IMPORT_ROWS): Batch[] {
  const content = text.replace(/^\uFEFF/, "").replace(/\s+$/, "");
  return csv ? csvBatches(content, rows) : lineBatches(content.split(/\r?\n/), rows);
}

/** The file line that line `line` of a batch's body is. */
export function fileLine(batch: Batch, line: number): number {
  return line <= batch.headerLines ? line : batch.firstLine + line - batch.headerLines - 1;
}

function lineBatches(lines: string[], rows: number): Batch[] {
  const batches: Batch[] = [];
  for (let i = 0; i < Math.max(lines.length, 1); i += rows) batches.push({ body: lines.slice(i, i + rows).join("\n"), firstLine: 1 + i, headerLines: 0 });
  return batches;
}

function csvBatches(content: string, rows: number): Batch[] {
  // Lines as the reader counts them: a file whose lines end in CR alone is read as if each CR were an LF.
  const text = lineEnding(content) === "cr" ? content.replace(/\r/g, "\n") : content;
  const lines = text.split("\n");
  // Every record (and every line the reader could not read) starts a line: the lines records start on are the cuts.
  const starts: number[] = [];
  readCsvText(text, { record: (_fields, line) => starts.push(line), malformed: (line) => starts.push(line) });
  const records = starts.slice(1);
  const header = lines.slice(0, (records[0] ?? lines.length + 1) - 1);
  const batches: Batch[] = [];
  for (let i = 0; i < Math.max(records.length, 1); i += rows) {
    const from = records[i] ?? header.length + 1;
    const to = records[i + rows] ?? lines.length + 1;
    // The CR of a CRLF that ended the batch's last line goes with that line end.
    const body = [...header, ...lines.slice(from - 1, to - 1)].join("\n").replace(/\r$/, "");
    batches.push({ body, firstLine: from, headerLines: header.length });
  }
  return batches;
}
