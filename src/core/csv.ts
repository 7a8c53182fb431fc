/**
 * @module A streaming CSV reader (RFC 4180) for files of any size: text goes in by chunks, records come out
 * with the physical line they start on. Quoted fields may hold commas, doubled quotes and line breaks.
 */

/** A quoted record longer than this is taken for a stray quote rather than held in memory to the end of the file. */
export const MAX_RECORD_CHARS = 1 << 20;

/** Why a record could not be read: a quoted field that never closes, or a line too long to be a CSV line. */
export type CsvMalformed = "unclosed quote" | "long line";

export interface CsvSink {
  /**
   * One record: its fields and the 1-based line it starts on (a record whose quoted field holds line breaks
   * spans several lines and is numbered by its first). A blank line is one empty field.
   */
  record(fields: string[], line: number): void;
  /** A record that cannot be read (a quote that never closes); reading goes on at the next line. */
  malformed(line: number, message: string, cause: CsvMalformed): void;
}

/**
 * How the file starting with `text` ends its lines, decided at its first line break: "cr" when that is a CR
 * followed by anything but LF (old Mac exports; every CR is then a line break), "lf" for LF or CRLF, "unknown"
 * while `text` holds no line break yet or ends in a CR that an LF may still follow.
 *
 * @example
 * lineEnding("a,b\r\n1,2"); // "lf"
 * lineEnding("a,b\r1,2");   // "cr"
 */
export function lineEnding(text: string): "lf" | "cr" | "unknown" {
  const cr = text.indexOf("\r");
  const lf = text.indexOf("\n");
  if (lf !== -1 && (cr === -1 || lf < cr)) return "lf";
  if (cr !== -1 && cr + 1 < text.length) return text[cr + 1] === "\n" ? "lf" : "cr";
  return "unknown";
}

/**
 * Feeds chunks with `push` and calls `end` once. Only complete records leave the reader, so a chunk may
 * end anywhere, even inside a quoted field.
 *
 * @example
 * const reader = new CsvReader({ record: (fields, line) => rows.push([line, fields]), malformed: () => {} });
 * reader.push('a,"b,\nc"\n1,');
 * reader.push("2\n");
 * reader.end(); // rows: [1, ["a", "b,\nc"]], [3, ["1", "2"]]
 */
export class CsvReader {
  private rest = "";
  private line = 1;
  private first = true;
  /** "cr": lines end in CR alone (old Mac exports), so each CR is read as a line break. */
  private ending: "unknown" | "lf" | "cr" = "unknown";
  /** After a line too long to hold: dropping text up to the next line break. */
  private skipping = false;

  constructor(private readonly sink: CsvSink) {}

  push(input: string): void {
    let chunk = input;
    if (this.first && chunk) {
      this.first = false;
      if (chunk.charCodeAt(0) === 0xfeff) chunk = chunk.slice(1);
    }
    if (this.ending === "unknown") {
      const pending = this.rest + chunk;
      this.ending = lineEnding(pending);
      if (this.ending === "cr") {
        this.rest = "";
        chunk = pending;
      }
    }
    if (this.ending === "cr") chunk = chunk.replace(/\r/g, "\n");
    if (this.skipping) {
      const newline = chunk.indexOf("\n");
      if (newline === -1) return;
      this.skipping = false;
      chunk = chunk.slice(newline + 1);
    }
    const text = this.rest + chunk;
    this.rest = text.slice(this.read(text, false));
    if (this.rest.length > MAX_RECORD_CHARS) {
      // A line with no line break in its first MiB (a quoted field that never closes is reported by `read`).
      this.sink.malformed(this.line, `line ${this.line} is longer than ${MAX_RECORD_CHARS} characters; is this a CSV file?`, "long line");
      this.line++;
      this.rest = "";
      this.skipping = true;
    }
  }

  end(): void {
    if (this.rest && !this.skipping) this.read(this.rest, true);
    this.rest = "";
  }

  /** Reads the complete records of `text` (all of them when `final`); returns how far it got. */
  private read(text: string, final: boolean): number {
    let at = 0;
    while (at < text.length) {
      // Lines before the next quote need no quote handling: they go through the small loop below, which the
      // JIT keeps fast (one loop doing both kinds ran ~30 times slower once V8 had deoptimized it).
      const quote = text.indexOf('"', at);
      const plainEnd = quote === -1 ? text.length : text.lastIndexOf("\n", quote) + 1;
      at = this.readPlain(text, at, plainEnd, final && quote === -1);
      if (quote === -1) break;
      const newline = text.indexOf("\n", at);
      const lineEnd = newline === -1 ? text.length : newline;
      const quoted = readQuoted(text, at, final);
      if (quoted === "more" && text.length - at <= MAX_RECORD_CHARS) break;
      if (quoted === "more" || quoted === "unclosed") {
        this.sink.malformed(this.line, `a quoted field opened on line ${this.line} never closes`, "unclosed quote");
        this.line++;
        at = lineEnd + 1;
        continue;
      }
      this.sink.record(quoted.fields, this.line);
      this.line += quoted.lines;
      at = quoted.next;
    }
    return Math.min(at, text.length);
  }

  /** The lines of `text` from `from` to `to` (a line start), which hold no quote; the last one too when `final`. */
  private readPlain(text: string, from: number, to: number, final: boolean): number {
    let at = from;
    for (;;) {
      const newline = text.indexOf("\n", at);
      if (newline === -1 || newline >= to) break;
      const content = text.charCodeAt(newline - 1) === 13 ? text.slice(at, newline - 1) : text.slice(at, newline);
      this.sink.record(content.split(","), this.line++);
      at = newline + 1;
    }
    if (final && at < to) {
      const content = text.slice(at, to);
      this.sink.record((content.endsWith("\r") ? content.slice(0, -1) : content).split(","), this.line++);
      at = to;
    }
    return at;
  }
}

/**
 * All of `text` at once, for text already in memory (an import request's body): the same records, lines and
 * problems as the file read in chunks, so the route takes a file as `segments compute` and the editor do.
 *
 * @example
 * readCsvText('id,notes\n1,"two\nlines"\n2,x', sink); // records: ["id", "notes"] on 1, ["1", "two\nlines"] on 2, ["2", "x"] on 4
 */
export function readCsvText(text: string, sink: CsvSink): void {
  const reader = new CsvReader(sink);
  reader.push(text);
  reader.end();
}

/**
 * One record from `start`, character by character. "more" when the text ends inside it (and more may come),
 * "unclosed" when the file ends inside a quoted field.
 */
function readQuoted(text: string, start: number, final: boolean): { fields: string[]; next: number; lines: number } | "more" | "unclosed" {
  const fields: string[] = [];
  let lines = 1;
  let i = start;
  for (;;) {
    // At the start of a field.
    if (text.charCodeAt(i) === 34) {
      let value = "";
      let from = i + 1;
      for (;;) {
        const close = text.indexOf('"', from);
        if (close === -1) return final ? "unclosed" : "more";
        value += text.slice(from, close);
        if (text.charCodeAt(close + 1) === 34) {
          value += '"';
          from = close + 2;
          continue;
        }
        if (close + 1 >= text.length && !final) return "more";
        i = close + 1;
        break;
      }
      for (let k = value.indexOf("\n"); k !== -1; k = value.indexOf("\n", k + 1)) lines++;
      // Anything between the closing quote and the next separator is kept, as spreadsheets do.
      const j = fieldEnd(text, i);
      if (j >= text.length && !final) return "more";
      value += text.slice(i, withoutCr(text, i, j));
      fields.push(value);
      i = j;
    } else {
      const j = fieldEnd(text, i);
      if (j >= text.length && !final) return "more";
      fields.push(text.slice(i, withoutCr(text, i, j)));
      i = j;
    }
    if (i >= text.length) return { fields, next: text.length, lines };
    if (text[i] === "\n") return { fields, next: i + 1, lines };
    i++; // past the comma
  }
}

/** Where the unquoted field at `from` ends: the next comma or line feed, or the end of the text. */
function fieldEnd(text: string, from: number): number {
  let j = from;
  for (; j < text.length; j++) {
    const c = text.charCodeAt(j);
    if (c === 44 || c === 10) break;
  }
  return j;
}

/** `end`, or one less when the field ends the line with a CR (CRLF line ends). */
function withoutCr(text: string, start: number, end: number): number {
  return end > start && text.charCodeAt(end - 1) === 13 && (end >= text.length || text.charCodeAt(end) === 10) ? end - 1 : end;
}

/** What makes a spreadsheet read a cell as a formula (OWASP, "CSV Injection"): =, +, -, @, tab, carriage return. */
const FORMULA_START = /^[=+\-@\t\r]/;

/**
 * One text cell of a CSV that people open in a spreadsheet. A cell that starts like a formula gets a leading
 * single quote, so `=HYPERLINK(...)` shows as text instead of running; a cell with a quote, comma or line break,
 * or one neutralised so, is quoted (RFC 4180). Numbers a program writes itself do not go through here.
 *
 * @example
 * csvTextField("1001");                    // 1001
 * csvTextField("smith, jo");               // "smith, jo"
 * csvTextField('=HYPERLINK("x","y")');     // "'=HYPERLINK(""x"",""y"")"
 */
export function csvTextField(text: string): string {
  const cell = FORMULA_START.test(text) ? `'${text}` : text;
  return cell !== text || /[",\n\r]/.test(cell) ? `"${cell.replace(/"/g, '""')}"` : cell;
}
