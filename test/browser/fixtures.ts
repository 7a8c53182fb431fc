/**
 * @module Fixture store pages: the built runtime (snippet/dist/runtime.js) wrapped exactly as the Worker
 * serves it, around hand-written decisions.
 */
import { existsSync, readFileSync } from "node:fs";
import type { Decision, PlacementDecision } from "../../src/core/decide";
import { runtimeCall } from "../../src/core/script-json";
import type { SnippetPayload } from "../../snippet/src/index";

const runtimeFile = new URL("../../snippet/dist/runtime.js", import.meta.url);
if (!existsSync(runtimeFile)) throw new Error("snippet/dist/runtime.js is missing: run `npm run build:snippet` first");

/** The runtime bundle as the Worker embeds it (RUNTIME_JS). */
export const RUNTIME_JS = readFileSync(runtimeFile, "utf8").trimEnd();
/** The edge runtime as the edge rewrite inlines it (EDGE_RUNTIME_JS): it takes over the messages the Worker wrote. */
export const EDGE_RUNTIME_JS = readFileSync(new URL("../../snippet/dist/edge-runtime.js", import.meta.url), "utf8").trimEnd();
// Pages inline the script; a "</script" in the bundle would end the tag early.
if (/<\/script/i.test(RUNTIME_JS + EDGE_RUNTIME_JS)) throw new Error("a runtime contains </script and cannot be inlined");

type Placements = Decision["placements"];

/** A decision for a new, anonymous desktop visitor with the given placements (the rest null). */
export function decisionWith(placements: Partial<Placements>): Decision {
  return {
    visitor: { id: "v_fixture", identified: false, returning: false, country: "DE", device: "desktop" },
    placements: { topbar: null, shipping: null, returns: null, ...placements },
    exposures: [],
  };
}

/** A payload for site "demo"; `placements` fill the decision. */
export function payloadWith(placements: Partial<Placements>, extra: Partial<SnippetPayload> = {}): SnippetPayload {
  return { site: "demo", decision: decisionWith(placements), ...extra };
}

/** A campaign's message in a placement (variant "a" of campaign "spring" unless overridden). */
export function campaign(message: Partial<PlacementDecision["message"]> & { text: string }, fields: Partial<PlacementDecision> = {}): PlacementDecision {
  return { campaign: "spring", variant: "a", ...fields, message: { dismissible: false, ...message } };
}

/** A placement's default message (no campaign). */
export function fallback(message: Partial<PlacementDecision["message"]> & { text: string }): PlacementDecision {
  return { campaign: null, variant: null, message: { dismissible: false, ...message } };
}

/**
 * The script for `payload` exactly as `GET /v1/s/{site}.js` answers it (and the edge rewrite inlines it, with `runtime`
 * EDGE_RUNTIME_JS): the Worker's own runtimeCall, so message text such as "</script>" cannot end an inline tag.
 * `payload` may be anything, for robustness tests.
 */
export function workerScript(payload: unknown, runtime = RUNTIME_JS): string {
  return runtimeCall(runtime, payload);
}

export interface StorePage {
  /** The snippet's payload; omit for a page without the snippet. */
  payload?: unknown;
  /** Extra markup in <head>, before the snippet (store scripts that set window.valuebar, styles). */
  head?: string;
  body?: string;
  lang?: string;
}

/** A store page that runs the snippet from <head>, before the body exists, like an async tag that arrives early. */
export function storePage({ payload, head = "", body = "", lang = "en" }: StorePage): string {
  const snippet = payload === undefined ? "" : `<script>${workerScript(payload)}</script>`;
  return `<!doctype html><html lang="${lang}"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Fixture store</title>${head}${snippet}</head><body>${body}</body></html>`;
}
