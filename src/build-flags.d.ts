/**
 * Build-time constants (esbuild's `define`): wrangler.toml's `define` for a deployment, `wrangler dev --define` for
 * local development (scripts/dev-server.mjs), vitest.config.ts's `define` for the worker tests.
 */
/** Whether the demo store (src/demo/page.ts) is built into the Worker: false in wrangler.toml, true locally. */
declare const __DEMO__: boolean;
