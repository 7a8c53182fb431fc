/**
 * @module The import direction of valuebar, checked by dependency-cruiser (`npm run lint:deps`, part of `npm test`).
 *
 * The Worker's layers, lowest first; a layer imports only from layers below it and itself:
 *   core      src/core/        pure domain: config schema, decision, access, shared rules (also run by the
 *                              snippet, the editor and the CLI; no Hono, no Workers runtime, no Node)
 *   platform  src/platform/    Web Crypto as workerd has it (HMAC, SHA-256, constant-time compare, signed tokens)
 *   storage   src/storage/     KV and the Durable Objects (SiteAdmin, ExperimentShard) and their SQLite modules
 *   env       src/env.ts       the Worker's bindings (types of storage's objects) and their validation
 *   service   src/service/     the hot path: the visitor from the request, the decision served (no Hono)
 *   http      src/http/        Hono middleware and the error envelope: auth, environment guard, body, limits
 *   edge      src/edge/        edge-rendered mode: the proxy to a store's origin and the HTML rewrite (no Hono;
 *                              the error envelope from http, the decision from service)
 *   routes    src/routes/, src/demo/, src/editor/page.ts   one module per route group
 *   index     src/index.ts     builds the app
 * service and http sit side by side: neither imports the other. Type-only imports count like any other.
 *
 * Outside the Worker: the snippet (snippet/src) and the CLI (src/cli) import only src/core; the editor's browser
 * code (src/editor/client) imports values only from src/core and the built snippet, and types from anywhere
 * (`import type` is erased, so it costs the bundle nothing and pulls no server code in).
 *
 * Any import cycle fails, type-only ones included: a cycle is a design question (see STYLE.md).
 */

/** Path patterns of each layer (dependency-cruiser matches them against paths relative to the repository). */
const CORE = "^src/core/";
const PLATFORM = "^src/platform/";
const STORAGE = "^src/storage/";
const ENV = "^src/env\\.ts$";
const SERVICE = "^src/service/";
const HTTP = "^src/http/";
const EDGE = "^src/edge/";
const ROUTES = ["^src/routes/", "^src/demo/", "^src/editor/page\\.ts$"];
const INDEX = "^src/index\\.ts$";
const EDITOR_CLIENT = "^src/editor/client/";
const CLI = "^src/cli/";
const SNIPPET = "^snippet/src/";
const SNIPPET_BUNDLE = "^snippet/dist/";
/**
 * npm packages a layer may use, Hono excepted (only http, routes and index speak Hono). Not anchored at the start:
 * where node_modules is a symbolic link (a second worktree), packages resolve to the path it points to.
 */
const NPM_BUT_HONO = "(^|/)node_modules/(?!hono/)";
const NPM = "(^|/)node_modules/";
/** The Workers runtime's own module (storage's Durable Object base class). */
const WORKERS_RUNTIME = "^cloudflare:";

/** A rule: files matching `from` may import only what matches one of `allowed`. */
function only(name, comment, from, allowed) {
  return { name, comment, severity: "error", from: { path: from }, to: { pathNot: allowed } };
}

module.exports = {
  forbidden: [
    {
      name: "no-cycle",
      comment: "An import cycle: one of the modules belongs below the other, or what both need belongs below both.",
      severity: "error",
      from: {},
      to: { circular: true },
    },
    only("core-imports-core", "src/core is pure and runs in the Worker, the browser and Node: it imports only src/core (and npm packages other than Hono).", CORE, [CORE, NPM_BUT_HONO]),
    only("platform-imports-below", "src/platform imports only src/core and itself.", PLATFORM, [CORE, PLATFORM, NPM_BUT_HONO]),
    only("storage-imports-below", "src/storage imports only src/core, src/platform and itself: roles, actors and crypto are not http's.", STORAGE, [CORE, PLATFORM, STORAGE, NPM_BUT_HONO, WORKERS_RUNTIME]),
    only("env-imports-below", "src/env.ts names storage's objects in the bindings; it imports nothing above storage.", ENV, [CORE, PLATFORM, STORAGE, NPM_BUT_HONO]),
    only("service-imports-below", "src/service (the hot path) imports core, platform, storage and env; not http (no Hono) and no route.", SERVICE, [CORE, PLATFORM, STORAGE, ENV, SERVICE, NPM_BUT_HONO]),
    only("http-imports-below", "src/http imports core, platform, storage and env; never a route or the hot path's service.", HTTP, [CORE, PLATFORM, STORAGE, ENV, HTTP, NPM]),
    only("edge-imports-below", "src/edge (edge-rendered mode) imports core, platform, storage, env, service, http's envelope and the runtime's bundle (inlined into the page); no Hono, no route.", EDGE, [CORE, PLATFORM, STORAGE, ENV, SERVICE, HTTP, EDGE, SNIPPET_BUNDLE, NPM_BUT_HONO]),
    only("routes-import-below", "Routes import any layer below them and each other, never src/index.ts, the CLI or the editor's sources.", ROUTES, [CORE, PLATFORM, STORAGE, ENV, SERVICE, HTTP, EDGE, ...ROUTES, SNIPPET_BUNDLE, NPM]),
    only("index-imports-worker", "src/index.ts builds the Worker from its layers, not from the CLI or the editor's sources.", INDEX, [CORE, PLATFORM, STORAGE, ENV, SERVICE, HTTP, EDGE, ...ROUTES, NPM]),
    only("snippet-imports-core", "The snippet runs on stores' pages: it imports only src/core (and itself).", SNIPPET, [CORE, SNIPPET]),
    {
      name: "cli-imports-core",
      comment: "The CLI runs in Node over the pure code: it imports only src/core (and itself, npm and Node's own modules).",
      severity: "error",
      from: { path: CLI },
      to: { pathNot: [CORE, CLI, NPM_BUT_HONO], dependencyTypesNot: ["core"] },
    },
    {
      name: "editor-client-values-from-core",
      comment: "The editor's browser code imports values only from src/core, itself and the built snippet; from anywhere else, `import type` only.",
      severity: "error",
      from: { path: EDITOR_CLIENT },
      to: { pathNot: [CORE, EDITOR_CLIENT, SNIPPET_BUNDLE, NPM_BUT_HONO], dependencyTypesNot: ["type-only"] },
    },
    {
      name: "src-file-in-a-layer",
      comment: "Every file of src belongs to a layer of this config: add a new folder's layer here.",
      severity: "error",
      from: { path: "^src/", pathNot: [CORE, PLATFORM, STORAGE, ENV, SERVICE, HTTP, EDGE, ...ROUTES, INDEX, EDITOR_CLIENT, CLI] },
      to: {},
    },
  ],
  options: {
    // `import type` is erased by the compiler; seen here all the same, so a type cannot point a layer upwards.
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    doNotFollow: { path: "node_modules" },
    enhancedResolveOptions: {
      // TypeScript sources first, as esbuild and vitest resolve (snippet/dist holds runtime.ts and runtime.js).
      extensions: [".ts", ".mts", ".js", ".mjs", ".json"],
      exportsFields: ["exports"],
      conditionNames: ["import", "types", "default"],
    },
  },
};
