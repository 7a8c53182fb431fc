/**
 * @module What the editor holds for the signed-in site, created once signed in and passed to the screens: the
 * live config, the working copy every edit changes, the draft it was last saved as, the open cell, the visitor
 * the preview is for, the preview's problems and the page shown.
 */
import type { Draft } from "../../core/config-history";
import type { Config } from "../../core/config-schema";
import type { Placement } from "../../core/shared";
import type { AdminApi, Issue } from "./api";
import { ApiError } from "./api";

export type Page = "messages" | "visitors" | "experiments" | "segments";

/** The cell open in the panel: a campaign (by its index in the draft) or the default of a placement. */
export type Editing = { kind: "campaign"; index: number } | { kind: "default"; placement: Placement };

/** The visitor the preview is for, as the "View as" fields hold it. */
export interface ViewAs {
  segment: string;
  country: string;
  currency: string;
  device: string;
  cartTotal: string;
  /** The variant of the campaign being edited to show ("" or an id it does not have: the one this visitor gets). */
  variant: string;
}

/** Where saving the working copy as the draft stands (publish/drafts.ts), as the draft bar says it. */
export type SaveState =
  | { kind: "idle" | "pending" | "saving" | "saved" | "forbidden" }
  | { kind: "invalid"; problems: number }
  | { kind: "failed"; message: string }
  /** Someone else saved another draft (`theirs`; null when it was published or discarded) after ours. */
  | { kind: "conflict"; theirs: Draft | null };

export interface EditorState {
  live: Config;
  /** The working copy every edit changes; saved as the site's draft as it goes, published as a new version. */
  draft: Config;
  /** The site's draft as this editor last read or saved it (null: none): what the working copy is saved over. */
  saved: Draft | null;
  save: SaveState;
  editing: Editing | null;
  viewAs: ViewAs;
  /** The schema's problems with the draft, from the last preview. */
  issues: Issue[];
  page: Page;
  /** Which config the "Who sees what" page decides on. */
  visitorsOn: "live" | "draft";
}

/** A site without a config and without a draft: a mistyped id, or a site still to create. */
export class NoSite {
  constructor(readonly mayCreate: boolean) {}
}

/**
 * The state to start from: the site's draft when it has one (saved by anyone with edit rights), else the live
 * config, on the messages page; empty for an importer (403), who may not read the messages and starts on the
 * segments page. A site with neither a config nor a draft is `NoSite` unless `create`: then it starts empty. Any
 * other refusal (401 for a token not valid for the site) is the answer.
 */
export async function loadState(api: AdminApi, create = false): Promise<EditorState | NoSite | ApiError> {
  const [answer, saved] = await Promise.all([api.config(), api.draft()]);
  if (answer instanceof ApiError && answer.status !== 403 && answer.status !== 404) return answer;
  const draft = saved instanceof ApiError ? null : saved;
  if (answer instanceof ApiError && answer.status === 404 && !draft && !create) return new NoSite(api.may("config:write"));
  const live: Config = answer instanceof ApiError ? { segments: [], campaigns: [], defaults: {} } : answer;
  return {
    live,
    draft: structuredClone(draft?.config ?? live),
    saved: draft,
    save: { kind: "idle" },
    editing: null,
    viewAs: { segment: live.segments[0] ?? "", country: "", currency: "EUR", device: "desktop", cartTotal: "", variant: "" },
    issues: [],
    page: answer instanceof ApiError && answer.status === 403 ? "segments" : "messages",
    visitorsOn: "live",
  };
}

/** Whether the working copy differs from the live config (there is something to publish). */
export function hasChanges(state: EditorState): boolean {
  return JSON.stringify(state.draft) !== JSON.stringify(state.live);
}

/** Whether the working copy differs from what the site holds for it (its draft, else the live config): lost on leaving. */
export function unsaved(state: EditorState): boolean {
  return JSON.stringify(state.draft) !== JSON.stringify(state.saved?.config ?? state.live);
}
