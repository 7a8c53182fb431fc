import { brotliCompressSync, gzipSync } from "node:zlib";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

/** The store page of the edge-mode tests' origin (test/fixtures/edge-origin.mjs), plain and compressed. */
const EDGE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Store</title></head><body><header data-valuebar="topbar"></header><main><h1>Winter sale</h1>${"<p>Warm coats and scarves.</p>".repeat(200)}</main></body></html>`;

// Worker tests run inside workerd (test/browser, test/cli and test/static run in Node, with their own configs) with the bindings of wrangler.toml: real KV, real Durable Objects.
export default defineConfig({
  // The demo store is built in, as under `wrangler dev` (wrangler.toml's define leaves it out of a deployment).
  define: { __DEMO__: "true" },
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
          SIGNING_SECRET: "test-signing-secret-0123456789abcdef",
          DEMO_STORE: "on",
          // Edge-rendered mode (src/edge): store hostnames whose origin answers (rewritten, and the same site passed
          // through with rewrite = false), and one whose origin cannot be reached.
          EDGE_SITES: {
            "shop.test": { site: "edge-shop", origin: "https://origin.test" },
            "plain.test": { site: "edge-shop", origin: "https://origin.test", rewrite: false },
            "down.test": { site: "edge-down", origin: "https://unreachable.test" },
          },
        },
        // The Worker's outbound fetch() goes to the auxiliary origin below: the proxy's own fetch, not a stand-in.
        outboundService: "edge-origin",
        // The same origin, fetched straight by the tests: the reference a proxied answer must equal.
        serviceBindings: { EDGE_ORIGIN: "edge-origin" },
        workers: [
          {
            name: "edge-origin",
            modules: true,
            scriptPath: "./test/fixtures/edge-origin.mjs",
            compatibilityDate: "2026-11-01",
            bindings: {
              PAGE: EDGE_PAGE,
              PAGE_GZIP: gzipSync(EDGE_PAGE).toString("base64"),
              PAGE_BROTLI: brotliCompressSync(EDGE_PAGE).toString("base64"),
            },
          },
        ],
      },
    }),
  ],
  // TypeScript before JavaScript, as esbuild (wrangler) resolves: snippet/dist holds runtime.js (the bundle) and
  // runtime.ts (RUNTIME_JS, what the Worker imports); Vite's default order picked runtime.js, which exports nothing,
  // so the Worker under test served "undefined" in place of the runtime and the size budgets measured that.
  resolve: { extensions: [".mts", ".ts", ".tsx", ".mjs", ".js", ".jsx", ".json"] },
  test: {
    include: ["test/**/*.test.ts"],
    // A real, compressing HTTP origin on the loopback for the edge rewrite's tests (test/compressed-origin.ts).
    globalSetup: ["./test/compressed-origin.ts"],
    exclude: ["test/browser/**", "test/cli/**", "test/static/**", "node_modules/**"],
  },
});
