/**
 * @module Just enough of Shopify's Liquid to render the README's theme snippet as a store would: `{{ }}` with
 * filters, `{% if %}`/`{% else %}`, `{% capture %}`, and `-` whitespace control. Stricter than Shopify on
 * purpose: an unknown tag or filter, a path that does not resolve, an object printed as text, or a filter given
 * a value of the wrong kind throws, where Shopify would print nothing or the wrong text and the store would find
 * out in production. (Shopify's `shop.metafields.ns.key` is a metafield object; its text is `.value`.)
 */
import { createHmac } from "node:crypto";

type Token = { kind: "text"; text: string } | { kind: "output"; expr: string } | { kind: "tag"; name: string; args: string };

function tokenize(template: string): Token[] {
  const tokens: Token[] = [];
  const pattern = /\{\{(-?)\s*([\s\S]*?)\s*(-?)\}\}|\{%(-?)\s*(\w+)\s*([\s\S]*?)\s*(-?)%\}/g;
  let last = 0;
  let trimNext = false;
  for (const match of template.matchAll(pattern)) {
    let text = template.slice(last, match.index);
    if (trimNext) text = text.replace(/^\s+/, "");
    if (match[1] === "-" || match[4] === "-") text = text.replace(/\s+$/, "");
    if (text) tokens.push({ kind: "text", text });
    if (match[2] !== undefined) tokens.push({ kind: "output", expr: match[2] });
    else tokens.push({ kind: "tag", name: match[5] ?? "", args: match[6] ?? "" });
    trimNext = match[3] === "-" || match[7] === "-";
    last = match.index + match[0].length;
  }
  const rest = template.slice(last);
  tokens.push({ kind: "text", text: trimNext ? rest.replace(/^\s+/, "") : rest });
  return tokens;
}

/** A variable path (`cart.currency.iso_code`), a quoted string or a number. */
function value(expr: string, context: Record<string, unknown>): unknown {
  const quoted = /^'([^']*)'$|^"([^"]*)"$/.exec(expr);
  if (quoted) return quoted[1] ?? quoted[2];
  if (/^-?\d+(\.\d+)?$/.test(expr)) return Number(expr);
  let current: unknown = context;
  for (const key of expr.split(".")) {
    if (current === null || typeof current !== "object" || !(key in current)) throw new Error(`Liquid: ${expr} does not resolve (at "${key}")`);
    current = (current as Record<string, unknown>)[key];
  }
  return current;
}

const text = (v: unknown, what: string): string => {
  if (typeof v === "string") return v;
  if (typeof v === "number") return String(v);
  throw new Error(`Liquid: ${what} is ${v === null ? "nil" : typeof v}, not text`);
};

const FILTERS: Record<string, (input: unknown, arg: unknown, argExpr: string) => unknown> = {
  append: (input, arg) => text(input, "append's input") + text(arg, "append's argument"),
  hmac_sha256: (input, key, keyExpr) => {
    if (typeof input !== "string") throw new Error("Liquid: hmac_sha256 signs a string (append: '' turns a number into one)");
    if (typeof key !== "string") throw new Error(`Liquid: hmac_sha256's key ${keyExpr} is ${typeof key}, not a string`);
    return createHmac("sha256", key).update(input).digest("hex");
  },
  strip_newlines: (input) => text(input, "strip_newlines' input").replace(/\r?\n/g, ""),
  strip: (input) => text(input, "strip's input").trim(),
  // Shopify's json escapes what could end a <script> element.
  json: (input) => JSON.stringify(input).replace(/[<>&]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`),
};

function evaluate(expr: string, context: Record<string, unknown>): unknown {
  const [head = "", ...filters] = expr.split("|").map((part) => part.trim());
  let result = value(head, context);
  for (const filter of filters) {
    const [, name = "", argExpr = ""] = /^(\w+)\s*(?::\s*(.+))?$/.exec(filter) ?? [];
    const apply = FILTERS[name];
    if (!apply) throw new Error(`Liquid: unknown filter "${filter}"`);
    result = apply(result, argExpr ? value(argExpr, context) : undefined, argExpr);
  }
  return result;
}

/**
 * Renders tokens from `at` until one of the tags in `stop`; returns the text and the index of that tag. With `live`
 * false it only walks to the end of a branch that does not apply (Liquid evaluates nothing there).
 */
function render(tokens: Token[], at: number, context: Record<string, unknown>, stop: string[], live = true): [string, number] {
  let out = "";
  let i = at;
  for (; i < tokens.length; i++) {
    const token = tokens[i] as Token;
    if (token.kind === "text") out += token.text;
    else if (token.kind === "output") out += live ? text(evaluate(token.expr, context), `{{ ${token.expr} }}`) : "";
    else if (stop.includes(token.name)) return [out, i];
    else if (token.name === "if") {
      const holds = live && Boolean(value(token.args, context));
      const [then, middle] = render(tokens, i + 1, context, ["else", "endif"], holds);
      let end = middle;
      let otherwise = "";
      const next = tokens[middle];
      if (next?.kind === "tag" && next.name === "else") [otherwise, end] = render(tokens, middle + 1, context, ["endif"], live && !holds);
      out += holds ? then : otherwise;
      i = end;
    } else if (token.name === "capture") {
      const [captured, end] = render(tokens, i + 1, context, ["endcapture"], live);
      if (live) context[token.args] = captured;
      i = end;
    } else throw new Error(`Liquid: unknown tag {% ${token.name} %}`);
  }
  if (stop.length) throw new Error(`Liquid: missing {% ${stop.at(-1)} %}`);
  return [out, i];
}

/** `template` rendered with `context` (Shopify's objects: `cart`, `customer`, `shop`, `request`...). */
export function renderLiquid(template: string, context: Record<string, unknown>): string {
  return render(tokenize(template), 0, { ...context }, [])[0];
}
