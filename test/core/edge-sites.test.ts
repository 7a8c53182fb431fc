import { describe, expect, it } from "vitest";
import { parseEdgeSites } from "../../src/core/edge-sites";

const paths = (value: unknown) => {
  const result = parseEdgeSites(value);
  return result.ok ? [] : result.issues.map((issue) => issue.path);
};

describe("EDGE_SITES", () => {
  it("reads a TOML table (an object) and JSON text alike, the origin without its trailing slash", () => {
    const table = { "shop.example.com": { site: "demo", origin: "https://origin.example.com/" } };
    for (const value of [table, JSON.stringify(table)]) {
      const result = parseEdgeSites(value);
      expect(result.ok && [...result.sites]).toEqual([["shop.example.com", { site: "demo", origin: "https://origin.example.com", rewrite: true }]]);
    }
  });

  it("rewrite: absent or true rewrites the store's pages, false passes every answer through (TOML table and JSON text alike)", () => {
    const table = {
      "shop.example.com": { site: "demo", origin: "https://origin.example.com" },
      "new.example.com": { site: "demo", origin: "https://origin.example.com", rewrite: false },
      "on.example.com": { site: "demo", origin: "https://origin.example.com", rewrite: true },
    };
    for (const value of [table, JSON.stringify(table)]) {
      const result = parseEdgeSites(value);
      const rewrites = result.ok ? Object.fromEntries([...result.sites].map(([host, site]) => [host, site.rewrite])) : result.issues;
      expect(rewrites).toEqual({ "shop.example.com": true, "new.example.com": false, "on.example.com": true });
    }
  });

  it("rewrite given as a string is refused with a message that says to write a boolean", () => {
    const result = parseEdgeSites({ "shop.example.com": { site: "demo", origin: "https://origin.example.com", rewrite: "false" } });
    expect(result.ok ? [] : result.issues).toEqual([{ path: 'EDGE_SITES["shop.example.com"].rewrite', message: "rewrite must be true or false (TOML/JSON booleans, not strings)" }]);
  });

  it("absent or empty is no store in edge mode", () => {
    for (const value of [undefined, "", {}]) {
      const result = parseEdgeSites(value);
      expect(result.ok && result.sites.size).toBe(0);
    }
  });

  it.each<[string, unknown, string[]]>([
    ["not JSON", "{shop", ["EDGE_SITES"]],
    ["not a table", ["shop.example.com"], ["EDGE_SITES"]],
    ["an uppercase hostname (requests are lowercased)", { "Shop.example.com": { site: "demo", origin: "https://o.example.com" } }, ['EDGE_SITES["Shop.example.com"]']],
    ["a hostname with a scheme", { "https://shop.example.com": { site: "demo", origin: "https://o.example.com" } }, ['EDGE_SITES["https://shop.example.com"]']],
    ["a hostname with a port", { "shop.example.com:8443": { site: "demo", origin: "https://o.example.com" } }, ['EDGE_SITES["shop.example.com:8443"]']],
    ["a label ending in '-'", { "shop-.example.com": { site: "demo", origin: "https://o.example.com" } }, ['EDGE_SITES["shop-.example.com"]']],
    ["a bad site id", { "shop.example.com": { site: "Demo Store", origin: "https://o.example.com" } }, ['EDGE_SITES["shop.example.com"].site']],
    ["an origin with a path", { "shop.example.com": { site: "demo", origin: "https://o.example.com/shop" } }, ['EDGE_SITES["shop.example.com"].origin']],
    ["an origin that is not http(s)", { "shop.example.com": { site: "demo", origin: "ftp://o.example.com" } }, ['EDGE_SITES["shop.example.com"].origin']],
    ["an origin with credentials", { "shop.example.com": { site: "demo", origin: "https://u:p@o.example.com" } }, ['EDGE_SITES["shop.example.com"].origin']],
    ["a missing origin", { "shop.example.com": { site: "demo" } }, ['EDGE_SITES["shop.example.com"].origin']],
  ])("refuses %s, naming the field", (_, value, expected) => {
    expect(paths(value)).toEqual(expected);
  });
});
