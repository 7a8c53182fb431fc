/**
 * @module How the editor cuts an upload into import requests: a CSV between records as core/csv.ts reads them
 * (a quoted line break never cut, the header at the top of every batch), NDJSON by lines, at most
 * MAX_IMPORT_ROWS rows a batch, and every line an import names mapped back to the file's line.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { CsvReader } from "../../src/core/csv";
import { MAX_IMPORT_ROWS } from "../../src/core/shared";
import type { Batch } from "../../src/editor/client/segments/batches";
import { fileLine, toBatches } from "../../src/editor/client/segments/batches";

/** The records of `text` with the line each starts on, and its unreadable lines, as the import reads them. */
function read(text: string): { records: [number, string[]][]; malformed: number[] } {
  const records: [number, string[]][] = [];
  const malformed: number[] = [];
  const reader = new CsvReader({ record: (fields, line) => records.push([line, fields]), malformed: (line) => malformed.push(line) });
  reader.push(text);
  reader.end();
  return { records, malformed };
}

/** What the batches hold after their headers, read as the import reads each one, with file lines. */
function readBack(batches: Batch[]): { records: [number, string[]][]; malformed: number[]; headers: string[][] } {
  const records: [number, string[]][] = [];
  const malformed: number[] = [];
  const headers: string[][] = [];
  for (const batch of batches) {
    const read1 = read(batch.body);
    for (const [line, fields] of read1.records) {
      if (line <= batch.headerLines) headers.push(fields);
      else records.push([fileLine(batch, line), fields]);
    }
    malformed.push(...read1.malformed.map((line) => fileLine(batch, line)));
  }
  return { records, malformed, headers };
}

describe("upload batches", () => {
  it("keeps a record with a quoted line break whole where a batch ends, and the header on top of each batch", () => {
    const file = 'customer_id,segments\n1001,vip\n1002,"vip|\nat_risk"\n1003,new\n';
    const batches = toBatches(file, true, 2);
    expect(batches).toEqual([
      { body: 'customer_id,segments\n1001,vip\n1002,"vip|\nat_risk"', firstLine: 2, headerLines: 1 },
      { body: "customer_id,segments\n1003,new", firstLine: 5, headerLines: 1 },
    ]);
    // A problem the import finds on line 2 of the second batch is on line 5 of the file.
    expect(fileLine(batches[1] as Batch, 2)).toBe(5);
    expect(readBack(batches).records).toEqual(read(file).records.slice(1));
  });

  it(`cuts at ${MAX_IMPORT_ROWS.toLocaleString("en")} rows, the import's limit, not inside the record that spans it`, () => {
    const rows = Array.from({ length: MAX_IMPORT_ROWS + 5 }, (_, i) => (i === MAX_IMPORT_ROWS - 1 ? `c${i},"vip|\nnew"` : `c${i},vip`));
    const file = `customer_id,segments\r\n${rows.join("\r\n")}\r\n`;
    const batches = toBatches(file, true);
    expect(batches.map((b) => read(b.body).records.length - 1)).toEqual([MAX_IMPORT_ROWS, 5]);
    expect(batches.map((b) => b.firstLine)).toEqual([2, MAX_IMPORT_ROWS + 3]);
    expect(batches[0]?.body.endsWith('c9999,"vip|\nnew"')).toBe(true);
    expect(readBack(batches).records).toEqual(read(file).records.slice(1));
  });

  it("reads a file whose lines end in CR alone as the import does", () => {
    const file = 'customer_id,segments\r1,vip\r2,"a\rb"\r3,new\r';
    const batches = toBatches(file, true, 2);
    expect(batches.map((b) => b.firstLine)).toEqual([2, 5]);
    expect(readBack(batches).records).toEqual(read(file).records.slice(1));
  });

  it("sends a line it cannot read, so the import names it, and reads on from the next line", () => {
    const file = 'customer_id,segments\n1,vip\n2,"oops\n3,new\n4,new';
    const batches = toBatches(file, true, 2);
    expect(batches.map((b) => b.firstLine)).toEqual([2, 4]);
    expect(readBack(batches)).toEqual({ records: read(file).records.slice(1), malformed: [3], headers: [["customer_id", "segments"], ["customer_id", "segments"]] });
  });

  it("cuts NDJSON by lines, and sends one batch for an empty file", () => {
    expect(toBatches('{"a":1}\r\n{"a":2}\n{"a":3}\n\n', false, 2)).toEqual([
      { body: '{"a":1}\n{"a":2}', firstLine: 1, headerLines: 0 },
      { body: '{"a":3}', firstLine: 3, headerLines: 0 },
    ]);
    expect(toBatches("", false)).toEqual([{ body: "", firstLine: 1, headerLines: 0 }]);
    expect(toBatches("\uFEFFcustomer_id,segments\n", true)).toEqual([{ body: "customer_id,segments", firstLine: 2, headerLines: 1 }]);
  });

  const field = fc.oneof(fc.stringMatching(/^[a-z0-9|]{0,6}$/), fc.stringMatching(/^[a-z,"\n|]{0,6}$/).map((s) => `"${s.replace(/"/g, '""')}"`));
  test.prop([fc.array(fc.tuple(field, field), { maxLength: 30 }), fc.integer({ min: 1, max: 7 }), fc.constantFrom("\n", "\r\n")])(
    "gives back every record of any CSV, on its line, in batches of at most the size asked",
    (rows, size, newline) => {
      const file = ["customer_id,segments", ...rows.map((r) => r.join(","))].join(newline);
      const batches = toBatches(file, true, size);
      for (const batch of batches) expect(read(batch.body).records.length - 1).toBeLessThanOrEqual(size);
      const expected = read(file.replace(/\s+$/, ""));
      expect(readBack(batches).records).toEqual(expected.records.slice(1));
    },
  );
});
