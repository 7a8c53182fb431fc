/**
 * @module Edge-rendered mode's routing table (`EDGE_SITES`, wrangler.toml): which store hostname belongs to which
 * site, and where that store's origin is. Pure: the Worker validates it once per isolate (src/env.ts); the proxy
 * (src/edge/proxy.ts) reads the parsed table.
 *
 * @example
 * parseEdgeSites({ "shop.example.com": { site: "demo", origin: "https://origin.example.com" } })
 * // { ok: true, sites: Map { "shop.example.com" => { site: "demo", origin: "https://origin.example.com", rewrite: true } } }
 * parseEdgeSites({ "shop.example.com": { site: "demo", origin: "https://origin.example.com", rewrite: false } })
 * // the same store, every answer passed through as the origin's (a store's first step into edge mode)
 * parseEdgeSites('{"Shop.example.com": {"site": "demo", "origin": "ftp://x"}}')
 * // { ok: false, issues: [{ path: 'EDGE_SITES["Shop.example.com"]', ... }, { path: 'EDGE_SITES["Shop.example.com"].origin', ... }] }
 */
import * as z from "zod/mini";
import { SITE_ID, SITE_ID_RULE } from "./shared";

/** One label of a hostname; its ends are checked apart, which keeps the pattern free of backtracking. */
const HOST_LABEL = /^[a-z0-9-]{1,63}$/;

/**
 * A hostname as a request's URL has it: at least two lowercase labels of letters, digits and '-' (not at a label's
 * ends), no port. Lowercase only, because `new URL()` lowercases the host: "Shop.example.com" would never match.
 */
function isHostname(value: string): boolean {
  const labels = value.split(".");
  return value.length <= 253 && labels.length >= 2 && labels.every((label) => HOST_LABEL.test(label) && !label.startsWith("-") && !label.endsWith("-"));
}

/** An origin is a scheme, host and optional port: the request's path and query are appended to it. */
function isOrigin(value: string): boolean {
  if (!URL.canParse(value)) return false;
  const url = new URL(value);
  return (url.protocol === "https:" || url.protocol === "http:") && url.origin === value.replace(/\/$/, "");
}

const EdgeSiteSchema = z.object({
  site: z.string().check(z.regex(SITE_ID, `site must be a site id: ${SITE_ID_RULE}`)),
  origin: z.string().check(
    z.refine(isOrigin, "origin must be an http(s) origin such as https://origin.example.com (no path, query or credentials)"),
  ),
  rewrite: z.optional(z.boolean("rewrite must be true or false (TOML/JSON booleans, not strings)")),
});

const EdgeSitesSchema = z.record(
  z.string().check(z.refine(isHostname, "a key must be a lowercase hostname such as shop.example.com (no scheme, port or path)")),
  EdgeSiteSchema,
);

/** One store served in edge mode: its site, and its origin without a trailing slash. */
export interface EdgeSite {
  site: string;
  origin: string;
  /**
   * false: the Worker only passes the store's traffic through, every answer the origin's (HTML pages included), so a
   * store can put it in front, check that nothing changed, then turn the rewrite on. Absent in the table means true.
   */
  rewrite: boolean;
}

export type EdgeSites = ReadonlyMap<string, EdgeSite>;

export type EdgeSitesResult = { ok: true; sites: EdgeSites } | { ok: false; issues: { path: string; message: string }[] };

/** `EDGE_SITES["shop.example.com"].origin`: a hostname holds dots, so keys are quoted rather than dotted. */
function fieldPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((at, key) => (typeof key === "number" ? `${at}[${key}]` : at === "EDGE_SITES" ? `${at}[${JSON.stringify(String(key))}]` : `${at}.${String(key)}`), "EDGE_SITES");
}

/**
 * The table from the var as wrangler gives it: an object (a TOML table in wrangler.toml) or JSON text (a var set in
 * the dashboard or with `--var`). Absent means no store is served in edge mode.
 */
export function parseEdgeSites(value: unknown): EdgeSitesResult {
  if (value === undefined || value === "") return { ok: true, sites: new Map() };
  let table = value;
  if (typeof value === "string") {
    try {
      table = JSON.parse(value);
    } catch {
      return { ok: false, issues: [{ path: "EDGE_SITES", message: "EDGE_SITES is not valid JSON" }] };
    }
  }
  const result = EdgeSitesSchema.safeParse(table);
  if (!result.success) return { ok: false, issues: result.error.issues.map((issue) => ({ path: fieldPath(issue.path), message: issue.message })) };
  return {
    ok: true,
    sites: new Map(Object.entries(result.data).map(([host, { site, origin, rewrite }]) => [host, { site, origin: origin.replace(/\/$/, ""), rewrite: rewrite ?? true }])),
  };
}
