/**
 * @module Finds every place the Worker, the snippet, the editor and the CLI make a regular expression, and says
 * whether a pattern can backtrack super-linearly. Used by regex-safety.test.ts; plain Node (the TypeScript
 * compiler API and redos-detector), nothing of the Worker runtime.
 *
 * Where regular expressions come from:
 * - literals `/.../flags`;
 * - `new RegExp(x, flags)` and `RegExp(x, flags)`: checked when `x` is a literal, else "dynamic";
 * - `string.match(x)`, `.matchAll(x)` and `.search(x)`, which turn a string `x` into a RegExp: checked when `x`
 *   is a string literal, fine when `x` is a RegExp (checked where it was made), else "dynamic";
 * - hono route patterns `:name{pattern}` in string literals: hono compiles them anchored (`^pattern$`, or
 *   `^pattern(?=/next)` for a parameter in the middle of a route), so they are checked anchored.
 */
import { isSafePattern } from "redos-detector";
import ts from "typescript";

export type RegexSite =
  | { kind: "pattern"; file: string; line: number; origin: "literal" | "RegExp()" | "string method" | "route"; pattern: string; flags: string }
  | { kind: "dynamic"; file: string; line: number; code: string };

/** Why a pattern can take super-linear time on some input, or null when it cannot. */
export function superLinearReason(pattern: string, flags: string): string | null {
  const options = {
    caseInsensitive: flags.includes("i"),
    unicode: flags.includes("u") || flags.includes("v"),
    dotAll: flags.includes("s"),
    multiLine: flags.includes("m"),
    maxScore: 200,
    maxSteps: 20_000,
    timeout: 10_000,
  };
  const direct = isSafePattern(pattern, options);
  if (!direct.safe) return `redos-detector: ${describe(direct)}`;
  // redos-detector treats a lookaround as taking no input, but the engine runs its content at every position the
  // match is tried from: `Android(?!.*Mobile)` scans to the end of the text after each "Android", which is
  // quadratic. Matching the content in place (a plain group) makes that scan visible to the analysis.
  const inPlace = lookaroundsAsGroups(pattern);
  if (inPlace !== pattern) {
    const scanned = isSafePattern(inPlace, options);
    if (!scanned.safe) return `a lookaround's content scans unboundedly from every start position (as a group: ${describe(scanned)})`;
  }
  return null;
}

function describe(result: ReturnType<typeof isSafePattern>): string {
  const score = result.score.infinite ? "unbounded backtracking" : `score ${result.score.value}`;
  return result.error ? `${score} (${result.error})` : score;
}

/** `pattern` with every `(?=`, `(?!`, `(?<=` and `(?<!` opened as a plain `(?:` group. */
export function lookaroundsAsGroups(pattern: string): string {
  let out = "";
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === "\\") {
      out += pattern.slice(i, i + 2);
      i++;
      continue;
    }
    if (inClass) {
      if (ch === "]") inClass = false;
    } else if (ch === "[") {
      inClass = true;
    } else if (ch === "(") {
      const opener = /^\(\?(?:=|!|<=|<!)/.exec(pattern.slice(i, i + 4))?.[0];
      if (opener) {
        out += "(?:";
        i += opener.length - 1;
        continue;
      }
    }
    out += ch;
  }
  return out;
}

/** The `pattern` parts of hono's `:name{pattern}` route parameters in `text` (braces inside the pattern balanced). */
export function routePatterns(text: string): string[] {
  const patterns: string[] = [];
  const opener = /:[A-Za-z_][A-Za-z0-9_]*\{/g;
  for (let match = opener.exec(text); match; match = opener.exec(text)) {
    let depth = 1;
    let i = opener.lastIndex;
    for (; i < text.length && depth > 0; i++) {
      if (text[i] === "\\") i++;
      else if (text[i] === "{") depth++;
      else if (text[i] === "}") depth--;
    }
    if (depth === 0) patterns.push(text.slice(opener.lastIndex, i - 1));
    opener.lastIndex = i;
  }
  return patterns;
}

/** Every place `source` makes a regular expression. `checker` tells strings from RegExps in `.match(x)`. */
export function regexSites(source: ts.SourceFile, checker: ts.TypeChecker, file: string): RegexSite[] {
  const sites: RegexSite[] = [];
  const lineOf = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
  const pattern = (node: ts.Node, origin: "literal" | "RegExp()" | "string method" | "route", text: string, flags: string) =>
    sites.push({ kind: "pattern", file, line: lineOf(node), origin, pattern: text, flags });
  const dynamic = (node: ts.Node) => sites.push({ kind: "dynamic", file, line: lineOf(node), code: node.getText(source) });

  const visit = (node: ts.Node): void => {
    if (ts.isRegularExpressionLiteral(node)) {
      const { source: text, flags } = splitLiteral(node.text);
      pattern(node, "literal", text, flags);
    } else if ((ts.isNewExpression(node) || ts.isCallExpression(node)) && isRegExpConstructor(node.expression)) {
      const [first, second] = node.arguments ?? [];
      const flags = second === undefined ? "" : literalText(second);
      if (first !== undefined && flags !== null && literalText(first) !== null) {
        pattern(node, "RegExp()", literalText(first) ?? "", flags);
      } else if (first !== undefined && flags !== null && ts.isRegularExpressionLiteral(first)) {
        pattern(node, "RegExp()", splitLiteral(first.text).source, second === undefined ? splitLiteral(first.text).flags : flags);
      } else {
        dynamic(node);
      }
    } else if (ts.isCallExpression(node) && ts.isPropertyAccessExpression(node.expression) && ["match", "matchAll", "search"].includes(node.expression.name.text)) {
      const receiver = checker.getTypeAtLocation(node.expression.expression);
      const argument = node.arguments[0];
      if (isStringType(receiver) && argument !== undefined && !ts.isRegularExpressionLiteral(argument)) {
        const text = literalText(argument);
        if (text !== null) pattern(node, "string method", text, node.expression.name.text === "matchAll" ? "g" : "");
        else if (!isRegExpType(checker.getTypeAtLocation(argument))) dynamic(node);
      }
    } else if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) {
      for (const route of routePatterns(node.text)) {
        pattern(node, "route", `^(?:${route})$`, "");
        pattern(node, "route", `^(?:${route})`, "");
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return sites;
}

function splitLiteral(text: string): { source: string; flags: string } {
  const end = text.lastIndexOf("/");
  return { source: text.slice(1, end), flags: text.slice(end + 1) };
}

function literalText(node: ts.Expression): string | null {
  return ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node) ? node.text : null;
}

function isRegExpConstructor(node: ts.Expression): boolean {
  if (ts.isIdentifier(node)) return node.text === "RegExp";
  return ts.isPropertyAccessExpression(node) && node.name.text === "RegExp";
}

function isStringType(type: ts.Type): boolean {
  if (type.isUnion()) return type.types.some(isStringType);
  return (type.flags & ts.TypeFlags.StringLike) !== 0;
}

function isRegExpType(type: ts.Type): boolean {
  if (type.isUnion()) return type.types.every(isRegExpType);
  return type.getSymbol()?.getName() === "RegExp";
}
