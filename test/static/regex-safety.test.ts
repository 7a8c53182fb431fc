/**
 * @module No regular expression in the Worker, the snippet, the editor or the CLI can backtrack super-linearly:
 * every literal, every `RegExp(...)` and every hono route pattern in src/** and snippet/src/** is checked with
 * redos-detector (plus a check of lookarounds, which it does not analyse), and a RegExp built from a non-literal
 * fails this test unless it is listed below with a reason. Runs in Node (vitest.cli.config.ts), on the sources.
 */
import { readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import ts from "typescript";
import { describe, expect, it } from "vitest";
import type { RegexSite } from "./regex-check";
import { lookaroundsAsGroups, regexSites, routePatterns, superLinearReason } from "./regex-check";

const ROOT = resolve(import.meta.dirname, "../..");

/** Each TypeScript project whose sources are checked; together they hold every file of src and snippet/src. */
const PROJECTS = ["tsconfig.json", "snippet/tsconfig.json", "src/editor/client/tsconfig.json", "src/cli/tsconfig.json"];

/**
 * Literals redos-detector reports but that cannot see request data or are linear for a stated reason. An entry
 * names the file and the exact pattern: changing the pattern checks it afresh.
 */
const REVIEWED: readonly { file: string; pattern: string; reason: string }[] = [
  {
    file: "src/core/money.ts",
    pattern: String.raw`\{\{\s*([a-z_]+)\s*\}\}`,
    reason:
      "sees only marketer text (at most 300 characters, by the config schema); an attempt starts only at '{{' and backtracks only over the letters and spaces after it, which hold no '{', so attempts never rescan each other's input: linear",
  },
  {
    file: "src/cli/main.ts",
    pattern: String.raw`\/+$`,
    reason: "trims the operator's own --url argument on their machine: never request data",
  },
  {
    file: "src/editor/client/segments/batches.ts",
    pattern: String.raw`\s+$`,
    reason: "runs in the marketer's browser on the file they upload themselves: never request data",
  },
];

/** `RegExp(nonLiteral)` and `.match(nonLiteral)` calls allowed, with the reason; none today. */
const DYNAMIC_ALLOWED: readonly { file: string; code: string; reason: string }[] = [];

interface Scan {
  files: string[];
  sites: RegexSite[];
}

function scanSources(): Scan {
  const files: string[] = [];
  const sites: RegexSite[] = [];
  for (const project of PROJECTS) {
    const parsed = ts.getParsedCommandLineOfConfigFile(join(ROOT, project), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
    if (!parsed) throw new Error(`cannot read ${project}`);
    const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
    const checker = program.getTypeChecker();
    for (const name of parsed.fileNames) {
      const file = relative(ROOT, name);
      if (!isCheckedSource(file) || files.includes(file)) continue;
      const source = program.getSourceFile(name);
      if (!source) throw new Error(`no source for ${file}`);
      files.push(file);
      sites.push(...regexSites(source, checker, file));
    }
  }
  return { files, sites };
}

/** Hand-written TypeScript of src and snippet/src; built bundles (dist) and declarations are not ours to check. */
function isCheckedSource(file: string): boolean {
  return (file.startsWith("src/") || file.startsWith("snippet/src/")) && file.endsWith(".ts") && !file.endsWith(".d.ts") && !file.split("/").includes("dist");
}

function sourcesOnDisk(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((entry) => entry.isFile())
    .map((entry) => relative(ROOT, join(entry.parentPath, entry.name)))
    .filter(isCheckedSource);
}

const scan = scanSources();
const patterns = scan.sites.filter((site) => site.kind === "pattern");
const dynamics = scan.sites.filter((site) => site.kind === "dynamic");

describe("regular expressions in src and snippet/src", () => {
  it("are all found: every source file on disk belongs to a checked project", () => {
    expect([...scan.files].sort()).toEqual([...sourcesOnDisk("src"), ...sourcesOnDisk("snippet/src")].sort());
    // The scan sees the hot path's patterns (a sanity check that it finds anything at all).
    expect(patterns.some((site) => site.file === "src/service/visitor.ts" && site.origin === "literal")).toBe(true);
    // (The snippet route no longer has a `:file{...}` pattern: "reads hono route patterns" below covers those.)
    expect(patterns.some((site) => site.file === "src/core/script-json.ts" && site.origin === "literal")).toBe(true);
  });

  it("cannot backtrack super-linearly, or are reviewed with a reason", () => {
    const unsafe = patterns
      .map((site) => ({ site, reason: superLinearReason(site.pattern, site.flags) }))
      .filter(({ site, reason }) => reason !== null && !REVIEWED.some((r) => r.file === site.file && r.pattern === site.pattern))
      .map(({ site, reason }) => `${site.file}:${site.line} ${site.origin} /${site.pattern}/${site.flags}: ${reason}`);
    expect(unsafe).toEqual([]);
  });

  it("are never built from a non-literal, unless allowed with a reason", () => {
    const unlisted = dynamics
      .filter((site) => !DYNAMIC_ALLOWED.some((a) => a.file === site.file && a.code === site.code))
      .map((site) => `${site.file}:${site.line} ${site.code}`);
    expect(unlisted).toEqual([]);
  });

  it("keeps no stale entry in the reviewed and allowed lists", () => {
    for (const entry of REVIEWED) {
      const site = patterns.find((s) => s.file === entry.file && s.pattern === entry.pattern);
      expect(site, `${entry.file} /${entry.pattern}/`).toBeDefined();
      // A reviewed pattern that became safe no longer needs its entry.
      expect(site && superLinearReason(site.pattern, site.flags), `${entry.file} /${entry.pattern}/`).not.toBeNull();
    }
    for (const entry of DYNAMIC_ALLOWED) expect(dynamics.some((s) => s.file === entry.file && s.code === entry.code), entry.code).toBe(true);
  });
});

describe("the checker itself", () => {
  it.each([
    ["the old user-agent test", "iPad|Tablet|Android(?!.*Mobile)", "i"],
    ["a lookbehind that scans", "(?<=.*a)b", ""],
    ["the old path pattern /*/*/*/*/* as a RegExp", String.raw`^\/.*\/.*\/.*\/.*\/.*$`, ""],
    ["nested quantifiers", "^(a+)+$", ""],
    ["an unanchored scan that must backtrack", String.raw`[^/]+\.js`, ""],
  ])("rejects %s", (_, pattern, flags) => {
    expect(superLinearReason(pattern, flags)).not.toBeNull();
  });

  it.each([
    ["an anchored id", "^[a-z0-9-]{1,64}$", ""],
    ["a fixed alternation", "Mobi|iPhone|Android", "i"],
    ["a bounded lookahead", "a(?!b)", ""],
    ["a hono route pattern, anchored", String.raw`^(?:[^/]+\.js)$`, ""],
  ])("accepts %s", (_, pattern, flags) => {
    expect(superLinearReason(pattern, flags)).toBeNull();
  });

  it("opens lookarounds as groups, leaving escapes, classes and named groups alone", () => {
    expect(lookaroundsAsGroups(String.raw`a(?=b)(?!c)(?<=d)(?<!e)(?<name>f)\(?=[(?=]`)).toBe(String.raw`a(?:b)(?:c)(?:d)(?:e)(?<name>f)\(?=[(?=]`);
  });

  it("reads hono route patterns with braces inside", () => {
    expect(routePatterns(String.raw`/v1/s/:file{[^/]+\.js}`)).toEqual([String.raw`[^/]+\.js`]);
    expect(routePatterns("/a/:id{[0-9]{1,4}}/b/:rest{.+}")).toEqual(["[0-9]{1,4}", ".+"]);
    expect(routePatterns("/a/:id/b")).toEqual([]);
  });

  it("finds literals, RegExp() calls, string methods and dynamic RegExps in source text", () => {
    const text = [
      "const a = /x+y/g;",
      'const b = new RegExp("^a*$", "i");',
      "declare const input: string;",
      "const c = new RegExp(`^${input}$`);",
      'const d = input.match("a.*b");',
      "const e = input.search(input);",
      "const f = input.match(/z/);",
      'const g = "/v1/:id{[0-9]+}";',
    ].join("\n");
    const host = ts.createCompilerHost({ strict: true, noEmit: true, lib: ["lib.es2023.d.ts"] });
    const real = host.getSourceFile.bind(host);
    host.getSourceFile = (name, version) => (name === "probe.ts" ? ts.createSourceFile(name, text, version, true) : real(name, version));
    const program = ts.createProgram({ rootNames: ["probe.ts"], options: { strict: true, noEmit: true, lib: ["lib.es2023.d.ts"] }, host });
    const source = program.getSourceFile("probe.ts");
    if (!source) throw new Error("probe not compiled");
    const found = regexSites(source, program.getTypeChecker(), "probe.ts").map((s) =>
      s.kind === "pattern" ? `${s.line} ${s.origin} ${s.pattern} ${s.flags}` : `${s.line} dynamic ${s.code}`,
    );
    expect(found).toEqual([
      "1 literal x+y g",
      "2 RegExp() ^a*$ i",
      "4 dynamic new RegExp(`^${input}$`)",
      "5 string method a.*b ",
      "6 dynamic input.search(input)",
      "7 literal z ",
      "8 route ^(?:[0-9]+)$ ",
      "8 route ^(?:[0-9]+) ",
    ]);
  });
});
