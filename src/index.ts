/**
 * @module valuebar: the Worker. Public routes (snippet, decide, schema), admin routes behind a bearer
 * token, the demo store, the events queue's consumer, and the Durable Object classes.
 */
import { Hono } from "hono";
import { demoRoutes } from "./demo/page";
import { edgeSiteOf, proxyToOrigin } from "./edge/proxy";
import { editorRoutes } from "./editor/page";
import type { Env } from "./env";
import type { AdminEnv } from "./http/auth";
import { authenticate } from "./http/auth";
import { requireEnvironment } from "./http/environment";
import { errorBody, handleError } from "./http/errors";
import { limitApi } from "./http/rate-limit";
import { adminAccessRoutes } from "./routes/admin-access";
import { adminConfigRoutes } from "./routes/admin-config";
import { adminDraftRoutes } from "./routes/admin-draft";
import { adminExperimentRoutes } from "./routes/admin-experiments";
import { adminSegmentRoutes } from "./routes/admin-segments";
import { benchRoutes } from "./routes/bench";
import { decideRoutes } from "./routes/decide";
import { eventRoutes } from "./routes/events";
import { refundRoutes } from "./routes/refunds";
import { schemaRoutes } from "./routes/schema";
import { snippetRoutes } from "./routes/snippet";
import type { EventsMessage } from "./storage/event-queue";
import { consumeEvents } from "./storage/event-queue";

export { ExperimentShard } from "./storage/experiment-shard";
export { SiteAdmin } from "./storage/site-admin";

const app = new Hono<AdminEnv>();

// The editor's page and files are public (they hold no data); everything else under /admin needs a token. Its
// files are static assets served before the Worker runs (wrangler.toml): one under /admin/assets that reaches the
// Worker is not there, and answers 404.
const editorFiles = /^\/admin(?:\/assets\/[^/]+)?$/;
app.use("/admin/*", async (c, next) => {
  if (editorFiles.test(new URL(c.req.url).pathname)) return next();
  return requireEnvironment(c, async () => {
    await authenticate(c, next);
  });
});

// Per-client rate limits of the public routes, before any work (see src/http/rate-limit.ts and wrangler.toml).
// The snippet route checks its limit itself (src/routes/snippet.ts): one dispatch less on the hottest route.
app.use("/v1/decide/*", limitApi("PAGE_RATE_LIMIT"));
app.use("/v1/events/*", limitApi("EVENT_RATE_LIMIT"));

app
  .route("/", snippetRoutes)
  .route("/", decideRoutes)
  .route("/", eventRoutes)
  .route("/", refundRoutes)
  .route("/", schemaRoutes)
  .route("/", adminConfigRoutes)
  .route("/", adminSegmentRoutes)
  .route("/", adminExperimentRoutes)
  .route("/", adminAccessRoutes)
  .route("/", adminDraftRoutes)
  .route("/", editorRoutes)
  .route("/", benchRoutes);

// The demo store is built in for local development only (`npm start`, the tests: wrangler.toml's __DEMO__), and
// then served only with DEMO_STORE "on".
if (__DEMO__) app.route("/", demoRoutes);

/** Liveness, and the bare route the bench compares the snippet route against. */
app.get("/v1/health", (c) => c.text("ok"));

app.get("/", (c) =>
  c.json({ name: "valuebar", schema: "/v1/schema/config.json" }),
);

app.notFound((c) => c.json(errorBody("NOT_FOUND", `no route for ${c.req.method} ${new URL(c.req.url).pathname}`), 404));
app.onError(handleError);

export default {
  // A store hostname of EDGE_SITES goes to its origin (edge-rendered mode, src/edge/proxy.ts); every other request,
  // and valuebar's own paths on a store hostname, to the app. Outside Hono: a passed-through asset pays no routing.
  // Typed as app.fetch is: the tests call it with a Request they made, which has no incoming `cf`.
  fetch(request: Request, env: Env, ctx: ExecutionContext): Response | Promise<Response> {
    const edge = edgeSiteOf(request, env);
    if (edge === null) return app.fetch(request, env, ctx);
    return edge instanceof Response ? edge : proxyToOrigin(request, edge, env, ctx);
  },
  // The events queue's consumer: the events route only enqueues; this counts, a batch at a time.
  async queue(batch, env) {
    await consumeEvents(batch, env);
  },
} satisfies ExportedHandler<Env, EventsMessage>;
