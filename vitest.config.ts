import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

// Worker tests run inside workerd (test/browser, test/cli and test/static run in Node, with their own configs) with the bindings of wrangler.toml: real KV, real Durable Objects.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: "./wrangler.toml" },
      miniflare: {
        bindings: {
          ADMIN_TOKEN: "test-admin-token-0123456789abcdef",
          SIGNING_SECRET: "test-signing-secret-0123456789abcdef",
          DEMO_STORE: "on",
        },
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
