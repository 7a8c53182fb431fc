/**
 * @module The signed-in editor's page: a header (the site, the tabs, the status line, sign out) over one of four
 * pages: the messages (the draft's bar, grid, edit panel, history), who sees what, the experiments, or the
 * segments. Makes the `Editor` the screens are given, once per sign-in; leaving the page or signing out with
 * changes not saved as the draft asks first.
 */
import type { AdminApi } from "./api";
import { confirmDialog } from "./confirm";
import { el } from "./dom";
import type { Editor } from "./editor";
import { experimentsView, showExperiments } from "./experiments/experiments";
import { grid } from "./grid/grid";
import { openCell, panel } from "./grid/panel";
import { Preview } from "./preview/preview";
import { showVisitors, visitorsView } from "./preview/visitors";
import { draftBar, losesWork, showDraftState, unsavedReason } from "./publish/draft-bar";
import { DraftSaver } from "./publish/drafts";
import { historySection, showHistory } from "./publish/history";
import { showMemberCounts } from "./segments/row-header";
import { segmentsView, showSegments } from "./segments/segments";
import type { EditorState, Page } from "./state";
import { hasChanges, unsaved } from "./state";

/** Opens the editor of a signed-in site in `app` on the page `state` names; `signOut` runs when they sign out. */
export function openEditor(app: HTMLElement, api: AdminApi, state: EditorState, signOut: () => void): Promise<void> {
  const drafts = new DraftSaver(api, state, () => showDraftState(editor));
  const follow = (event: FocusEvent) => editor.preview.follow(event.target);
  const leave = () => {
    app.removeEventListener("focusin", follow);
    window.onbeforeunload = null;
    signOut();
  };
  const editor: Editor = {
    api,
    state,
    drafts,
    preview: new Preview(api, state, (problems) => drafts.checked(problems)),
    show: () => show(app, editor, leave),
  };
  // The browser's own prompt: a page may not say more than "changes you made may not be saved".
  window.onbeforeunload = (event) => {
    if (losesWork(state)) event.preventDefault();
  };
  app.addEventListener("focusin", follow);
  return editor.show();
}

function show(app: HTMLElement, editor: Editor, signOut: () => void): Promise<void> {
  const bar = header(editor, signOut);
  const { state } = editor;
  // However the working copy changed (an edit, a message paused or removed), it is checked, then saved.
  if (unsaved(state) && state.page !== "segments") editor.preview.schedule();
  if (state.page === "experiments") {
    const main = experimentsView();
    app.replaceChildren(bar, main);
    return showExperiments(editor, main);
  }
  if (state.page === "segments") {
    const main = segmentsView();
    app.replaceChildren(bar, main);
    return showSegments(editor, main);
  }
  if (state.page === "visitors") {
    app.replaceChildren(bar, visitorsView(editor));
    return showVisitors(editor);
  }
  const messages = grid(state.draft, (editing) => openCell(editor, editing), state.viewAs.currency);
  app.replaceChildren(bar, draftBar(editor), el("main", { class: "layout" }, el("section", { "aria-label": "Messages" }, messages), panel(editor)), historySection());
  return Promise.all([showHistory(editor), showMemberCounts(editor.api)]).then(() => undefined);
}

function header(editor: Editor, signOut: () => void): HTMLElement {
  const { state } = editor;
  const out = el("button", { type: "button", class: "link" }, "Sign out");
  out.onclick = async () => {
    // Valid edits still waiting for their save are saved now; what cannot be saved is lost only if they say so.
    if (unsaved(state) && state.save.kind === "pending") await editor.drafts.saveNow();
    if (losesWork(state) && !(await confirmDialog({ title: "Sign out without saving?", intro: unsavedReason(state), confirm: "Sign out anyway", stay: "Stay" }))) return;
    editor.preview.cancel();
    editor.drafts.cancel();
    signOut();
  };
  const tab = (page: Page, label: string) => {
    const b = el("button", { type: "button", class: "tab", ...(state.page === page ? { "aria-current": "page" } : {}) }, label);
    b.onclick = () => {
      state.page = page;
      void editor.show();
    };
    return b;
  };
  return el(
    "header",
    { class: "bar" },
    el("h1", {}, `valuebar · ${editor.api.session.site}`),
    el("nav", { "aria-label": "Editor" }, tab("messages", "Messages"), tab("visitors", "Who sees what"), tab("experiments", "Experiments"), tab("segments", "Segments")),
    el("span", { class: "status", role: "status", id: "status" }, hasChanges(state) ? "Unpublished changes" : ""),
    out,
  );
}
