/**
 * @module Bulk membership imports (NDJSON and CSV): what a store's export looks like in practice
 * (BOM, CRLF, quoted fields, integer ids) and every mistake reported on its own line number.
 */
import { describe, expect, it } from "vitest";
import { parseCsv, parseNdjson, TooManyRows } from "../../src/core/import-rows";
import { MAX_IMPORT_ROWS } from "../../src/core/shared";

const NOW = Date.parse("2026-12-01T12:00:00Z");
const FUTURE = "2027-01-31T23:59:59Z";
const PAST = "2026-11-30T00:00:00Z";
const NOT_A_SEGMENT = "(lowercase letters, digits, '-', '_')";

const ndjson = (...lines: string[]) => lines.join("\n");
const json = (row: object) => JSON.stringify(row);

describe("NDJSON", () => {
  it("reads one object a line, numbering lines from 1 and counting blank lines", () => {
    const text = ndjson(json({ customer_id: "c1", segments: ["vip"] }), "", "  ", json({ customer_id: "c2", segments: ["vip", "at_risk"], expires_at: FUTURE }), "");
    expect(parseNdjson(text, NOW)).toEqual({
      rows: [
        { line: 1, customerId: "c1", segments: ["vip"] },
        { line: 4, customerId: "c2", segments: ["vip", "at_risk"], expiresAt: Date.parse(FUTURE) },
      ],
      issues: [],
    });
  });

  it("reports each bad line with its number, in line order", () => {
    const text = ndjson(
      json({ customer_id: "c1", segments: ["vip"] }),
      "{not json",
      "",
      "[1, 2]",
      json({ customer_id: "c4", segments: "vip" }),
      json({ customer_id: "c5", segments: ["vip", "Not A Segment"] }),
      json({ segments: ["vip"] }),
    );
    const { rows, issues } = parseNdjson(text, NOW);
    expect(rows.map((r) => r.line)).toEqual([1]);
    expect(issues).toEqual([
      { line: 2, message: "not valid JSON" },
      { line: 4, message: "each line must be a JSON object" },
      { line: 5, path: "segments", message: "segments must be a list of segment ids" },
      { line: 6, path: "segments.1", message: `"Not A Segment" is not a segment id ${NOT_A_SEGMENT}` },
      { line: 7, path: "customer_id", message: "customer_id is required (a string or integer)" },
    ]);
  });

  it("numbers lines the same with CRLF line ends", () => {
    const { rows, issues } = parseNdjson(`${json({ customer_id: "c1", segments: [] })}\r\n\r\n{oops\r\n`, NOW);
    expect(rows).toEqual([{ line: 1, customerId: "c1", segments: [] }]);
    expect(issues).toEqual([{ line: 3, message: "not valid JSON" }]);
  });

  // A file saved by Excel or Notepad starts with a byte-order mark; a CLI reading it as UTF-8 keeps it.
  it("reads a first line that starts with a byte-order mark, as CSV does", () => {
    const { rows, issues } = parseNdjson(`\uFEFF${json({ customer_id: "c1", segments: ["vip"] })}\n${json({ customer_id: "c2", segments: ["vip"] })}`, NOW);
    expect(issues).toEqual([]);
    expect(rows.map((r) => r.customerId)).toEqual(["c1", "c2"]);
  });

  it("accepts integer customer ids as their decimal text, and trims string ids", () => {
    const { rows, issues } = parseNdjson(ndjson(json({ customer_id: 1001, segments: ["vip"] }), json({ customer_id: "  c2  ", segments: ["vip"] })), NOW);
    expect(issues).toEqual([]);
    expect(rows.map((r) => r.customerId)).toEqual(["1001", "c2"]);
  });

  it.each([
    ["a fraction", 10.5],
    ["an integer past 2^53", 2 ** 53],
    ["an empty string", "  "],
    ["a boolean", true],
    ["null", null],
  ])("rejects %s as customer id", (_, customerId) => {
    expect(parseNdjson(json({ customer_id: customerId, segments: ["vip"] }), NOW).issues).toEqual([
      { line: 1, path: "customer_id", message: "customer_id is required (a string or integer)" },
    ]);
  });

  it("rejects a customer id longer than 128 characters", () => {
    expect(parseNdjson(json({ customer_id: "x".repeat(129), segments: [] }), NOW).issues).toEqual([
      { line: 1, path: "customer_id", message: "customer_id is longer than 128 characters" },
    ]);
    expect(parseNdjson(json({ customer_id: "x".repeat(128), segments: [] }), NOW).issues).toEqual([]);
  });

  it("accepts an empty segments list (the customer is in no segment any more)", () => {
    expect(parseNdjson(json({ customer_id: "c1", segments: [] }), NOW)).toEqual({ rows: [{ line: 1, customerId: "c1", segments: [] }], issues: [] });
  });

  it("drops repeated segments and refuses more than 50", () => {
    expect(parseNdjson(json({ customer_id: "c1", segments: ["vip", "vip", "at_risk"] }), NOW).rows[0]?.segments).toEqual(["vip", "at_risk"]);
    const many = Array.from({ length: 51 }, (_, i) => `s${i}`);
    expect(parseNdjson(json({ customer_id: "c1", segments: many }), NOW).issues).toEqual([
      { line: 1, path: "segments", message: "at most 50 segments per customer" },
    ]);
  });

  describe("expires_at", () => {
    const withExpiry = (expires_at: unknown) => parseNdjson(json({ customer_id: "c1", segments: ["vip"], expires_at }), NOW);

    it("is kept as ms since epoch, offsets respected", () => {
      expect(withExpiry("2026-12-24T00:00:00+01:00").rows[0]?.expiresAt).toBe(Date.parse("2026-12-23T23:00:00Z"));
    });

    it("may be left out, null or empty", () => {
      for (const value of [undefined, null, ""]) {
        const { rows, issues } = withExpiry(value);
        expect(issues).toEqual([]);
        expect(rows[0] && "expiresAt" in rows[0]).toBe(false);
      }
    });

    // A feed's stale row is valid data: that membership has ended, so the row removes the customer.
    it.each([PAST, new Date(NOW).toISOString()])("reads a time already passed as a removal, marked expired: %s", (value) => {
      expect(withExpiry(value)).toEqual({ rows: [{ line: 1, customerId: "c1", segments: [], expired: true }], issues: [] });
    });

    it.each([
      ["2027-02-29T00:00:00Z", "February 2027 has 28 days"],
      ["2028-02-30T00:00:00Z", "February 2028 has 29 days"],
      ["2027-04-31T12:00:00+02:00", "April 2027 has 30 days"],
      ["2026-13-45T00:00:00Z", "month 13 does not exist"],
      ["2027-01-31T24:00:00Z", "is not a time of day"],
      ["2027-01-31T10:00:00+25:00", "is not a zone offset"],
    ])("is refused when no such instant exists: %s", (value, reason) => {
      const [issue, ...more] = withExpiry(value).issues;
      expect(more).toEqual([]);
      expect(issue).toEqual({ line: 1, path: "expires_at", message: expect.stringContaining(reason) });
      expect(issue?.message.startsWith(`expires_at ${JSON.stringify(value)}: `)).toBe(true);
    });

    it("accepts 29 February of a leap year, fractions of a second and a lowercase z", () => {
      expect(withExpiry("2028-02-29T00:00:00.5z").rows[0]?.expiresAt).toBe(Date.parse("2028-02-29T00:00:00.500Z"));
      expect(withExpiry("2027-01-31T23:59Z").rows[0]?.expiresAt).toBe(Date.parse("2027-01-31T23:59:00Z"));
    });

    it.each(["2027-01-31", "2027-01-31T10:00:00", "2027-01-31 10:00:00Z", "next tuesday", " 2027-01-31T00:00:00Zx", Date.parse(FUTURE)])(
      "is refused when not an ISO time with a zone: %s",
      (value) => {
        expect(withExpiry(value).issues).toEqual([{ line: 1, path: "expires_at", message: expect.stringMatching(/ISO time with a zone, such as 2026-12-31T23:59:59Z$/) }]);
      },
    );
  });

  it("reports every problem of a line, each with its field", () => {
    const issues = parseNdjson(json({ customer_id: "", segments: ["OK?"], expires_at: "2027-02-30T00:00:00Z" }), NOW).issues;
    expect(issues.map((i) => i.path)).toEqual(["customer_id", "segments.0", "expires_at"]);
    expect(issues.every((i) => i.line === 1)).toBe(true);
  });

  it("refuses a customer listed twice, on the later line, whatever the id's type", () => {
    const text = ndjson(json({ customer_id: 42, segments: ["vip"] }), json({ customer_id: "c2", segments: [] }), json({ customer_id: "42", segments: ["at_risk"] }));
    expect(parseNdjson(text, NOW).issues).toEqual([{ line: 3, path: "customer_id", message: 'customer "42" is already on line 1' }]);
  });
});

describe("CSV", () => {
  const csv = (...lines: string[]) => lines.join("\n");

  it("reads the header on line 1 and the rows from line 2", () => {
    expect(parseCsv(csv("customer_id,segments,expires_at", `c1,vip|at_risk,${FUTURE}`, "c2,vip,"), NOW)).toEqual({
      rows: [
        { line: 2, customerId: "c1", segments: ["vip", "at_risk"], expiresAt: Date.parse(FUTURE) },
        { line: 3, customerId: "c2", segments: ["vip"] },
      ],
      issues: [],
    });
  });

  it("takes columns in any order, header case and spaces aside", () => {
    const { rows, issues } = parseCsv(csv(" Segments , Customer_ID ", "vip,c1"), NOW);
    expect(issues).toEqual([]);
    expect(rows).toEqual([{ line: 2, customerId: "c1", segments: ["vip"] }]);
  });

  it('reads quoted fields with commas and "" for a quote', () => {
    const { rows, issues } = parseCsv(csv("customer_id,segments", '"doe, jane",vip', '"say ""hi""","vip|at_risk"', '"",vip'), NOW);
    expect(rows.map((r) => [r.line, r.customerId, r.segments])).toEqual([
      [2, "doe, jane", ["vip"]],
      [3, 'say "hi"', ["vip", "at_risk"]],
    ]);
    expect(issues).toEqual([{ line: 4, path: "customer_id", message: "customer_id is required (a string or integer)" }]);
  });

  it("reads a file with a byte-order mark and CRLF line ends", () => {
    const { rows, issues } = parseCsv(`\uFEFFcustomer_id,segments,expires_at\r\n1001,vip,${FUTURE}\r\n\r\n1002,,\r\n`, NOW);
    expect(issues).toEqual([]);
    expect(rows).toEqual([
      { line: 2, customerId: "1001", segments: ["vip"], expiresAt: Date.parse(FUTURE) },
      { line: 4, customerId: "1002", segments: [] },
    ]);
  });

  it("accepts an empty segments field as no segments, and trims segment names", () => {
    expect(parseCsv(csv("customer_id,segments", "c1,", "c2, vip | at_risk |"), NOW).rows.map((r) => r.segments)).toEqual([[], ["vip", "at_risk"]]);
  });

  it("reports bad lines by their number in the file", () => {
    const text = csv(
      "customer_id,segments,expires_at",
      `c1,vip,${FUTURE}`,
      "c2,vip",
      '"c3,vip,',
      "c4,VIP,",
      "c5,vip,2027-02-30T00:00:00Z",
      "c6,vip,31/12/2027",
      "c1,vip,",
    );
    expect(parseCsv(text, NOW).issues).toEqual([
      { line: 3, message: "expected 3 fields, found 2" },
      { line: 4, message: "unbalanced quotes" },
      { line: 5, path: "segments.0", message: `"VIP" is not a segment id ${NOT_A_SEGMENT}` },
      { line: 6, path: "expires_at", message: 'expires_at "2027-02-30T00:00:00Z": day 30 does not exist: February 2027 has 28 days' },
      { line: 7, path: "expires_at", message: 'expires_at "31/12/2027": not an ISO time with a zone, such as 2026-12-31T23:59:59Z' },
      { line: 8, path: "customer_id", message: 'customer "c1" is already on line 2' },
    ]);
  });

  // The same reader as `segments compute` and the editor (RFC 4180): a row is numbered by the line it starts on.
  it("reads a quoted field across line breaks, numbering rows (and their problems) by the line they start on", () => {
    const text = csv("customer_id,segments", '"doe', 'jane","vip|', 'at_risk"', '"c3","vip|', 'VIP"', "c4,vip", '"doe', 'jane",vip');
    const { rows, issues } = parseCsv(text, NOW);
    expect(rows.map((r) => [r.line, r.customerId, r.segments])).toEqual([
      [2, "doe\njane", ["vip", "at_risk"]],
      [7, "c4", ["vip"]],
      [8, "doe\njane", ["vip"]],
    ]);
    expect(issues).toEqual([
      { line: 5, path: "segments.1", message: `"VIP" is not a segment id ${NOT_A_SEGMENT}` },
      { line: 8, path: "customer_id", message: 'customer "doe\\njane" is already on line 2' },
    ]);
  });

  it("reads lines that end in CR alone, as old Mac exports write them", () => {
    const { rows, issues } = parseCsv(`customer_id,segments,expires_at\r1001,vip,${FUTURE}\r\r"1002","vip|\rat_risk",\r1003,VIP,\r`, NOW);
    expect(rows).toEqual([
      { line: 2, customerId: "1001", segments: ["vip"], expiresAt: Date.parse(FUTURE) },
      { line: 4, customerId: "1002", segments: ["vip", "at_risk"] },
    ]);
    expect(issues).toEqual([{ line: 6, path: "segments.0", message: `"VIP" is not a segment id ${NOT_A_SEGMENT}` }]);
  });

  it("reports a quote that never closes on the line it opens, and reads the rows after it", () => {
    const { rows, issues } = parseCsv(csv("customer_id,segments", "c1,vip", '"c2,vip', "c3,vip", "c4,at_risk"), NOW);
    expect(issues).toEqual([{ line: 3, message: "unbalanced quotes" }]);
    expect(rows.map((r) => [r.line, r.customerId])).toEqual([
      [2, "c1"],
      [4, "c3"],
      [5, "c4"],
    ]);
  });

  it("reads a row whose expires_at has passed as a removal, as NDJSON does", () => {
    expect(parseCsv(csv("customer_id,segments,expires_at", `c1,vip|at_risk,${PAST}`), NOW)).toEqual({
      rows: [{ line: 2, customerId: "c1", segments: [], expired: true }],
      issues: [],
    });
  });

  it("refuses an unknown column on line 1", () => {
    expect(parseCsv(csv("customer_id,segments,email", "c1,vip,a@b.c"), NOW)).toEqual({
      rows: [],
      issues: [{ line: 1, message: "unknown column(s): email" }],
    });
  });

  it.each([
    ["no header at all", csv("1001,vip", "1002,vip")],
    ["a header without segments", csv("customer_id,expires_at", "1001,")],
    ["an empty file", ""],
  ])("refuses %s on line 1", (_, text) => {
    expect(parseCsv(text, NOW)).toEqual({
      rows: [],
      issues: [{ line: 1, message: "the header must name the columns customer_id and segments (and optionally expires_at)" }],
    });
  });
});

describe("batch size", () => {
  const ndjsonRows = (count: number) => Array.from({ length: count }, (_, i) => json({ customer_id: `c${i}`, segments: ["vip"] }));
  const csvRows = (count: number) => ["customer_id,segments", ...Array.from({ length: count }, (_, i) => `c${i},vip`)].join("\n");

  it(`takes ${MAX_IMPORT_ROWS} rows and throws TooManyRows past that`, () => {
    expect(MAX_IMPORT_ROWS).toBe(10_000);
    expect(parseNdjson(ndjsonRows(10_000).join("\n"), NOW).rows).toHaveLength(10_000);
    expect(() => parseNdjson(ndjsonRows(10_001).join("\n"), NOW)).toThrow(TooManyRows);
    expect(parseCsv(csvRows(10_000), NOW).rows).toHaveLength(10_000);
    expect(() => parseCsv(csvRows(10_001), NOW)).toThrow(TooManyRows);
  });

  it("does not count blank lines", () => {
    expect(parseNdjson(ndjsonRows(10_000).join("\n\n"), NOW).rows).toHaveLength(10_000);
  });

  it("counts bad lines as rows", () => {
    const bad = Array.from({ length: 10_001 }, () => "{nope");
    expect(() => parseNdjson(bad.join("\n"), NOW)).toThrow(TooManyRows);
    expect(parseNdjson(bad.slice(1).join("\n"), NOW).issues).toHaveLength(10_000);
  });

  // A line with two problems is still one line: 10,000 lines are within the limit however many are wrong.
  it("counts lines, not problems: 10,000 NDJSON lines, one of them doubly bad, are reported, not refused", () => {
    const lines = [json({ customer_id: "", segments: "vip" }), ...ndjsonRows(9_999)];
    const parse = () => parseNdjson(lines.join("\n"), NOW);
    expect(parse).not.toThrow();
    expect(parse().issues.map((i) => [i.line, i.path])).toEqual([
      [1, "customer_id"],
      [1, "segments"],
    ]);
  });

  it("counts lines, not problems: 10,000 CSV rows, one of them doubly bad, are reported, not refused", () => {
    const lines = ["customer_id,segments", ",BAD", ...Array.from({ length: 9_999 }, (_, i) => `c${i},vip`)];
    const parse = () => parseCsv(lines.join("\n"), NOW);
    expect(parse).not.toThrow();
    expect(parse().issues.map((i) => [i.line, i.path])).toEqual([
      [2, "customer_id"],
      [2, "segments.0"],
    ]);
  });
});

describe("covariates (issue 14: CUPED's pre-experiment data)", () => {
  it("NDJSON: reads an object of names to numbers; a row without them keeps today's row exactly", () => {
    const text = ndjson(
      json({ customer_id: "c1", segments: ["vip"], covariates: { net_revenue_365d: 412.5, orders_365d: 3 } }),
      json({ customer_id: "c2", segments: ["vip"] }),
      json({ customer_id: "c3", segments: ["vip"], covariates: {} }),
    );
    expect(parseNdjson(text, NOW)).toEqual({
      rows: [
        { line: 1, customerId: "c1", segments: ["vip"], covariates: { net_revenue_365d: 412.5, orders_365d: 3 } },
        { line: 2, customerId: "c2", segments: ["vip"] },
        { line: 3, customerId: "c3", segments: ["vip"] },
      ],
      issues: [],
    });
  });

  it("CSV: a covariate.<name> column per covariate, an empty cell for none", () => {
    const text = "customer_id,segments,covariate.net_revenue_365d\nc1,vip,412.5\nc2,vip,\nc3,vip,-1e3\n";
    expect(parseCsv(text, NOW)).toEqual({
      rows: [
        { line: 2, customerId: "c1", segments: ["vip"], covariates: { net_revenue_365d: 412.5 } },
        { line: 3, customerId: "c2", segments: ["vip"] },
        { line: 4, customerId: "c3", segments: ["vip"], covariates: { net_revenue_365d: -1000 } },
      ],
      issues: [],
    });
  });

  it("reports a bad name, a value that is no finite number, too many, and a non-object, each at its line and field", () => {
    const text = ndjson(
      json({ customer_id: "c1", segments: ["vip"], covariates: { "Net Revenue": 1 } }),
      json({ customer_id: "c2", segments: ["vip"], covariates: { net_revenue_365d: "lots" } }),
      json({ customer_id: "c3", segments: ["vip"], covariates: { a: 1, b: 2, c: 3, d: 4, e: 5 } }),
      json({ customer_id: "c4", segments: ["vip"], covariates: [1] }),
      json({ customer_id: "c5", segments: ["vip"], covariates: { net_revenue_365d: 1e12 } }),
    );
    const { rows, issues } = parseNdjson(text, NOW);
    expect(rows).toEqual([]);
    expect(issues.map((i) => [i.line, i.path])).toEqual([
      [1, "covariates.Net Revenue"],
      [2, "covariates.net_revenue_365d"],
      [3, "covariates"],
      [4, "covariates"],
      [5, "covariates.net_revenue_365d"],
    ]);
    const csv = parseCsv("customer_id,segments,covariate.net_revenue_365d\nc1,vip,12abc\n", NOW);
    expect(csv.issues).toEqual([{ line: 2, path: "covariates.net_revenue_365d", message: expect.stringContaining('"12abc" is not a finite number') }]);
  });

  it("a row in no segment is a removal: its covariates go with it", () => {
    expect(parseNdjson(json({ customer_id: "c1", segments: [], covariates: { net_revenue_365d: 5 } }), NOW).rows).toEqual([{ line: 1, customerId: "c1", segments: [] }]);
  });
});
