/**
 * @module The signed-in editor as its screens see it: the API of the site, the state, the preview, the draft
 * saver, and a way to draw the page again. Made once signed in (shell.ts) and passed to every screen: nothing sits
 * at module scope.
 */
import type { AdminApi } from "./api";
import type { Preview } from "./preview/preview";
import type { DraftSaver } from "./publish/drafts";
import type { EditorState } from "./state";

export interface Editor {
  readonly api: AdminApi;
  readonly state: EditorState;
  readonly preview: Preview;
  /** Saves the working copy as the site's draft once a preview has checked it. */
  readonly drafts: DraftSaver;
  /**
   * Draws the page `state.page` names from the state, at once, then loads what it lists (the history, the
   * results, the segment counts); resolves when that is shown.
   */
  show(): Promise<void>;
}
