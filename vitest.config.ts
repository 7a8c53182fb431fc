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
  test: {
    include: ["test/**/*.test.ts"],
    exclude: ["test/browser/**", "test/cli/**", "test/static/**", "node_modules/**"],
  },
});
