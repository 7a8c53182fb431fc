/**
 * @module The streaming CSV reader: the same records however the text is cut into chunks, quoted fields with
 * commas, quotes and line breaks, the line each record starts on, and a stray quote reported, not swallowed.
 */
import { describe, expect, it } from "vitest";
import { CsvReader, csvTextField, lineEnding, MAX_RECORD_CHARS } from "../../src/core/csv";

function read(chunks: string[]): { records: [number, string[]][]; malformed: [number, string][] } {
  const records: [number, string[]][] = [];
  const malformed: [number, string][] = [];
  const reader = new CsvReader({ record: (fields, line) => records.push([line, fields]), malformed: (line, message) => malformed.push([line, message]) });
  for (const chunk of chunks) reader.push(chunk);
  reader.end();
  return { records, malformed };
}

const TRICKY = '\uFEFFName,Notes,Total\r\n#1,"Ring twice.\nThe ""blue"" door, 2nd floor",10.00\r\n#2,,5\n\n#3,"a,b",7';

describe("CSV reader", () => {
  it("reads quoted commas, doubled quotes, line breaks inside quotes, CRLF and a byte-order mark", () => {
    expect(read([TRICKY])).toEqual({
      records: [
        [1, ["Name", "Notes", "Total"]],
        [2, ["#1", 'Ring twice.\nThe "blue" door, 2nd floor', "10.00"]],
        [4, ["#2", "", "5"]],
        [5, [""]],
        [6, ["#3", "a,b", "7"]],
      ],
      malformed: [],
    });
  });

  it("gives the same records wherever the chunks are cut", () => {
    const whole = read([TRICKY]);
    for (let cut = 0; cut <= TRICKY.length; cut++) {
      expect(read([TRICKY.slice(0, cut), TRICKY.slice(cut)]), `cut at ${cut}`).toEqual(whole);
    }
    expect(read([...TRICKY])).toEqual(whole);
  });

  it("reports a quote that never closes with its line, and reads on from the next line", () => {
    const { records, malformed } = read(['a,b\n1,"oops\n2,x\n']);
    expect(malformed).toEqual([[2, "a quoted field opened on line 2 never closes"]]);
    expect(records).toEqual([
      [1, ["a", "b"]],
      [3, ["2", "x"]],
    ]);
  });

  it("gives up on a quoted field longer than 1 MiB rather than holding the file in memory", () => {
    const chunk = "x".repeat(1 << 16) + "\n";
    const chunks = ['h\n"', ...Array.from({ length: Math.ceil(MAX_RECORD_CHARS / chunk.length) + 2 }, () => chunk), "last\n"];
    const { records, malformed } = read(chunks);
    expect(malformed[0]).toEqual([2, "a quoted field opened on line 2 never closes"]);
    expect(records.at(-1)?.[1]).toEqual(["last"]);
  });

  it("reads lines that end in CR alone, as old Mac exports write them, wherever the chunks are cut", () => {
    const text = 'a,b\r1,"x\ry"\r2,z\r';
    for (let cut = 0; cut <= text.length; cut++) expect(read([text.slice(0, cut), text.slice(cut)]), `cut at ${cut}`).toEqual(read([text]));
    expect(read(['a,b\r1,"x\ry"\r', "2,z\r"])).toEqual({
      records: [
        [1, ["a", "b"]],
        [2, ["1", "x\ny"]],
        [4, ["2", "z"]],
      ],
      malformed: [],
    });
  });

  it("tells lines ending in CR alone from LF and CRLF at the first line break, and waits while it cannot tell", () => {
    expect(["a,b\n1", "a,b\r\n1", "a,b\r1\n2", "a,b\n1\r2", "a,b", "a,b\r"].map(lineEnding)).toEqual(["lf", "lf", "cr", "lf", "unknown", "unknown"]);
  });

  it("reports a line longer than 1 MiB and reads on after its line break", () => {
    const { records, malformed } = read(["h\n", ..."x".repeat(3).split("").map(() => "y".repeat(MAX_RECORD_CHARS / 2)), "\nafter\n"]);
    expect(malformed).toEqual([[2, `line 2 is longer than ${MAX_RECORD_CHARS} characters; is this a CSV file?`]]);
    expect(records).toEqual([
      [1, ["h"]],
      [3, ["after"]],
    ]);
  });

  it("keeps text after a closing quote, as spreadsheets do", () => {
    expect(read(['"a"b,c\n']).records).toEqual([[1, ["ab", "c"]]]);
  });
});

describe("csvTextField (text cells for spreadsheets)", () => {
  it.each([
    ["1001", "1001"],
    ["smith, jo", '"smith, jo"'],
    ['o"brien', '"o""brien"'],
    ['=HYPERLINK("https://evil.example","x")', '"\'=HYPERLINK(""https://evil.example"",""x"")"'],
    ["+1", "\"'+1\""],
    ["-1+2", "\"'-1+2\""],
    ["@SUM(A1)", "\"'@SUM(A1)\""],
    ["\tcmd", "\"'\tcmd\""],
    ["\rcmd", "\"'\rcmd\""],
    ["a=b", "a=b"],
  ])("writes %j as %s", (text, cell) => {
    expect(csvTextField(text)).toBe(cell);
  });

  it("reads back, through the CSV reader, as the text with its leading quote", () => {
    const records: string[][] = [];
    const reader = new CsvReader({ record: (fields) => records.push(fields), malformed: () => {} });
    reader.push(`${csvTextField('=1+1,"x"')},${csvTextField("plain")}\n`);
    reader.end();
    expect(records).toEqual([["'=1+1,\"x\"", "plain"]]);
  });
});
