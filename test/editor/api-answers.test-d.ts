/**
 * @module The editor's API client (src/editor/client/api.ts) against the Worker: every answer it reads has the
 * type the route's handler returns (Hono infers it from `c.json(...)`), or, where a route passes on what the
 * site's Durable Object returns, that type. The editor is type-checked with the DOM's types and cannot import
 * those modules, so it restates them; a route or the object changing its answer fails `npm run typecheck` here
 * (test/tsconfig.json checks this file; vitest does not run it).
 */
import type { ExtractSchema } from "hono/types";
import { expectTypeOf } from "vitest";
import type { AdminApi, ApiError } from "../../src/editor/client/api";
import type { adminConfigRoutes } from "../../src/routes/admin-config";
import type { adminDraftRoutes } from "../../src/routes/admin-draft";
import type { adminExperimentRoutes } from "../../src/routes/admin-experiments";
import type { adminSegmentRoutes } from "../../src/routes/admin-segments";
import type { Draft, Published, StoredVersion, VersionPage } from "../../src/core/config-history";

/** What a method of the editor's client resolves to when the API answers yes. */
type Answer<K extends keyof AdminApi> = AdminApi[K] extends (...args: never[]) => Promise<infer T> ? Exclude<T, ApiError> : never;

type Config = ExtractSchema<typeof adminConfigRoutes>;
type Drafts = ExtractSchema<typeof adminDraftRoutes>;
type Experiments = ExtractSchema<typeof adminExperimentRoutes>;
type Segments = ExtractSchema<typeof adminSegmentRoutes>;
type Import = Segments["/admin/sites/:site/segments"]["$post"]["output"];

expectTypeOf<Answer<"config">>().toEqualTypeOf<Config["/admin/sites/:site/config"]["$get"]["output"]>();
expectTypeOf<Answer<"versions">>().toEqualTypeOf<Config["/admin/sites/:site/config/versions"]["$get"]["output"]>();
expectTypeOf<Answer<"versions">>().toEqualTypeOf<VersionPage>();
// A publish (of the draft, or of a config at once) and a rollback answer with what SiteAdmin returns (routes/admin-config.ts `publishedAnswer`).
expectTypeOf<Answer<"rollback">>().toEqualTypeOf<Published>();
expectTypeOf<Answer<"publish">>().toEqualTypeOf<Published>();
expectTypeOf<Answer<"publishDraft">>().toEqualTypeOf<Published>();
expectTypeOf<Answer<"saveDraft">>().toEqualTypeOf<Drafts["/admin/sites/:site/draft"]["$put"]["output"]>();
expectTypeOf<Answer<"saveDraft">>().toEqualTypeOf<Draft>();
expectTypeOf<Answer<"draft">>().toEqualTypeOf<Drafts["/admin/sites/:site/draft"]["$get"]["output"]>();
expectTypeOf<Answer<"discardDraft">>().toEqualTypeOf<Drafts["/admin/sites/:site/draft"]["$delete"]["output"]>();
expectTypeOf<Answer<"previewLive">>().toEqualTypeOf<Drafts["/admin/sites/:site/preview"]["$post"]["output"]>();
expectTypeOf<Answer<"version">>().toEqualTypeOf<Config["/admin/sites/:site/config/versions/:version"]["$get"]["output"]>();
expectTypeOf<Answer<"version">>().toEqualTypeOf<StoredVersion>();
expectTypeOf<Answer<"previewLink">>().toEqualTypeOf<Drafts["/admin/sites/:site/draft/preview-link"]["$post"]["output"]>();
expectTypeOf<Answer<"preview">>().toEqualTypeOf<Drafts["/admin/sites/:site/preview"]["$post"]["output"]>();
// Hono's JSON types spell the records of ExperimentResults differently (no undefined entries), so: every answer is one.
expectTypeOf<Experiments["/admin/sites/:site/experiments/:campaign/results"]["$get"]["output"]>().toExtend<Answer<"results">>();
expectTypeOf<Answer<"segments">>().toEqualTypeOf<Segments["/admin/sites/:site/segments"]["$get"]["output"]>();
expectTypeOf<Answer<"member">>().toEqualTypeOf<Segments["/admin/sites/:site/segments/:customerId"]["$get"]["output"]>();
expectTypeOf<Answer<"checkImport">>().toEqualTypeOf<Extract<Import, { dryRun: true }>>();
expectTypeOf<Answer<"importMembers">>().toEqualTypeOf<Exclude<Import, { dryRun: true }>>();
