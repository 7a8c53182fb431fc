/**
 * @module Path targeting patterns: `*` matches any characters (`/` and none included), matched without
 * backtracking. Checked against a regular-expression oracle on small inputs, and for bounded work on hostile ones.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { MAX_PATH_PATTERN_LENGTH, MAX_PATH_WILDCARDS, MAX_VISITOR_PATH, pathMatches, wildcardCount } from "../../src/core/path-pattern";

/** The documented meaning as a RegExp (any characters, newlines too), for small inputs only: it backtracks. */
function oracle(pattern: string, path: string): boolean {
  const source = pattern
    .split("*")
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"))
    .join("[\\s\\S]*");
  return new RegExp(`^${source}$`).test(path);
}

describe("pathMatches", () => {
  it.each([
    ["/cart", "/cart", true],
    ["/cart", "/cart/", false],
    ["/*", "/", true],
    ["/*", "/a/b/c", true],
    ["/collections/*", "/collections/", true],
    ["/collections/*", "/collections", false],
    ["/products/*-socks", "/products/wool-socks", true],
    ["/products/*-socks", "/products/-socks", true],
    ["/products/*-socks", "/products/wool-socks/reviews", false],
    ["/a*a", "/a", false],
    ["/a*a", "/aa", true],
    ["/*/*", "//", true],
    ["/*/*", "/x", false],
    ["/*b*b*", "/bb", true],
    ["/*b*b*", "/b", false],
    ["/*ab*ab", "/abab", true],
    ["/*ab*ab", "/aab", false],
    ["/**", "/anything", true],
    ["/*.json", "/a.json", true],
    ["/*.json", "/ajson", false],
    ["/x*", "/x\nnewline", true],
  ])("%j on %j is %s", (pattern, path, expected) => {
    expect(pathMatches(pattern, path)).toBe(expected);
    expect(oracle(pattern, path)).toBe(expected);
  });

  // Small alphabets make matches, near misses and overlapping parts common.
  const patternArb = fc.stringMatching(/^\/[ab*\/]{0,10}$/);
  const pathArb = fc.stringMatching(/^\/[ab\/\n]{0,14}$/);

  test.prop([patternArb, pathArb], { numRuns: 2_000 })("agrees with the regular-expression meaning", (pattern, path) => {
    expect(pathMatches(pattern, path)).toBe(oracle(pattern, path));
  });

  it("answers the worst patterns the schema allows on the longest path at once, and right", () => {
    // The reproduction (/*/*/*/*/* on 510 slashes and a newline) and near misses with many wildcards.
    const slashes = `${"/".repeat(510)}\n`;
    expect(pathMatches("/*/*/*/*/*", slashes)).toBe(true);
    expect(pathMatches("/*/*/*/*/*x", slashes)).toBe(false);
    const as = `/${"a".repeat(MAX_VISITOR_PATH - 1)}`;
    const hostile = `/${"*a".repeat(MAX_PATH_WILDCARDS - 1)}*b`;
    expect(wildcardCount(hostile)).toBe(MAX_PATH_WILDCARDS);
    expect(pathMatches(hostile, as)).toBe(false);
    expect(pathMatches(hostile, `${as.slice(0, -1)}b`)).toBe(true);
    // The longest pattern: long middle parts that match almost everywhere, then a miss at the very end.
    const part = "a".repeat((MAX_PATH_PATTERN_LENGTH - 4) / 2);
    const longest = `/${part}*${part}*b`;
    expect(longest.length).toBeLessThanOrEqual(MAX_PATH_PATTERN_LENGTH);
    expect(pathMatches(longest, as)).toBe(false);
    expect(oracle(longest, as)).toBe(false);
  });
});

describe("wildcardCount", () => {
  it.each([
    ["/cart", 0],
    ["/*", 1],
    ["/**", 2],
    ["/*/x/*", 2],
  ])("%s has %i", (pattern, count) => {
    expect(wildcardCount(pattern)).toBe(count);
  });
});
