/**
 * @module What the editor holds for the signed-in site, created once signed in and passed to the screens: the
 * live config, the working copy every edit changes, the open cell, the visitor the preview is for, the preview's
 * problems and the page shown.
 */
import type { Config } from "../../core/config-schema";
import type { Placement } from "../../core/shared";
import type { AdminApi, Issue } from "./api";
import { ApiError } from "./api";

export type Page = "messages" | "experiments" | "segments";

/** The cell open in the panel: a campaign (by its index in the draft) or the default of a placement. */
export type Editing = { kind: "campaign"; index: number } | { kind: "default"; placement: Placement };

/** The visitor the preview is for, as the "View as" fields hold it. */
export interface ViewAs {
  segment: string;
  country: string;
  currency: string;
  device: string;
  cartTotal: string;
}

export interface EditorState {
  live: Config;
  /** The working copy every edit changes; published as a new version. */
  draft: Config;
  editing: Editing | null;
  viewAs: ViewAs;
  /** The schema's problems with the draft, from the last preview. */
  issues: Issue[];
  page: Page;
}

/**
 * The state to start from: the live config on the messages page; empty for a site without a config yet (404),
 * and for an importer (403), who may not read the messages and starts on the segments page. Any other refusal
 * (401 for a token not valid for the site) is the answer.
 */
export async function loadState(api: AdminApi): Promise<EditorState | ApiError> {
  const answer = await api.config();
  if (answer instanceof ApiError && answer.status !== 403 && answer.status !== 404) return answer;
  const live: Config = answer instanceof ApiError ? { segments: [], campaigns: [], defaults: {} } : answer;
  return {
    live,
    draft: structuredClone(live),
    editing: null,
    viewAs: { segment: live.segments[0] ?? "", country: "", currency: "EUR", device: "desktop", cartTotal: "" },
    issues: [],
    page: answer instanceof ApiError && answer.status === 403 ? "segments" : "messages",
  };
}

/** Whether the working copy differs from the live config. */
export function hasChanges(state: EditorState): boolean {
  return JSON.stringify(state.draft) !== JSON.stringify(state.live);
}
