/**
 * @module The signed-in editor's page: a header (the site, the tabs, the status line, sign out) over one of three
 * pages: the messages (grid, edit panel, history), the experiments, or the segments. Makes the `Editor` the
 * screens are given, once per sign-in.
 */
import type { AdminApi } from "./api";
import { el } from "./dom";
import type { Editor } from "./editor";
import { experimentsView, showExperiments } from "./experiments/experiments";
import { grid } from "./grid/grid";
import { openCell, panel } from "./grid/panel";
import { Preview } from "./preview/preview";
import { historySection, showHistory } from "./publish/history";
import { showMemberCounts } from "./segments/row-header";
import { segmentsView, showSegments } from "./segments/segments";
import type { EditorState, Page } from "./state";
import { hasChanges } from "./state";

/** Opens the editor of a signed-in site in `app` on the page `state` names; `signOut` runs when they sign out. */
export function openEditor(app: HTMLElement, api: AdminApi, state: EditorState, signOut: () => void): Promise<void> {
  const editor: Editor = {
    api,
    state,
    preview: new Preview(api, state),
    show: () => show(app, editor, signOut),
  };
  return editor.show();
}

function show(app: HTMLElement, editor: Editor, signOut: () => void): Promise<void> {
  const bar = header(editor, signOut);
  const { state } = editor;
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
  const messages = grid(state.draft, (editing) => openCell(editor, editing), state.viewAs.currency);
  app.replaceChildren(bar, el("main", { class: "layout" }, el("section", { "aria-label": "Messages" }, messages), panel(editor)), historySection());
  return Promise.all([showHistory(editor), showMemberCounts(editor.api)]).then(() => undefined);
}

function header(editor: Editor, signOut: () => void): HTMLElement {
  const { state } = editor;
  const out = el("button", { type: "button", class: "link" }, "Sign out");
  out.onclick = () => {
    editor.preview.cancel();
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
    el("nav", { "aria-label": "Editor" }, tab("messages", "Messages"), tab("experiments", "Experiments"), tab("segments", "Segments")),
    el("span", { class: "status", role: "status", id: "status" }, hasChanges(state) ? "Unpublished changes" : ""),
    out,
  );
}
