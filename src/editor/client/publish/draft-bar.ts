/**
 * @module The bar above the grid: where the site's draft stands (who saved it and when, not saved and why, a
 * colleague's draft saved meanwhile) with the choices that go with it (discard it, save ours over theirs), and
 * whether leaving now loses work.
 */
import { describeChanges } from "../../../core/config-diff";
import { ApiError } from "../api";
import { confirmDialog } from "../confirm";
import { button, el, showStatus } from "../dom";
import type { Editor } from "../editor";
import type { EditorState } from "../state";
import { hasChanges, unsaved } from "../state";

/** The bar above the grid: where the draft stands (a live region, so each change is announced), and the choices. */
export function draftBar(editor: Editor): HTMLElement {
  const bar = el("div", { class: "draft-bar", id: "draft-bar" }, el("p", { id: "draft-state", role: "status" }), el("span"));
  fillDraftBar(bar, editor);
  return bar;
}

/** The bar filled again in place, when the page shows it: drawing the whole page would move the focus. */
export function showDraftState(editor: Editor): void {
  const bar = document.getElementById("draft-bar");
  if (bar) fillDraftBar(bar, editor);
}

function fillDraftBar(bar: HTMLElement, editor: Editor): void {
  const { state } = editor;
  const [line, actions] = bar.children;
  if (!line || !actions) return;
  line.textContent = draftText(state);
  const choices: HTMLElement[] = [];
  const { save } = state;
  if (save.kind === "conflict") {
    const base = save.theirs?.savedAt ?? null;
    choices.push(button("Save mine over it", "Save your working copy as the draft, over theirs", () => void saveOver(editor, base)));
  } else if (hasChanges(state) || state.saved) {
    choices.push(button("Discard the draft", "Discard the draft", () => void discard(editor)));
  }
  // A choice that had the focus gives it to the one that replaces it, not to the page.
  const focused = actions.contains(document.activeElement);
  actions.replaceChildren(...choices);
  if (focused) choices[0]?.focus();
}

function draftText(state: EditorState): string {
  const { save, saved } = state;
  switch (save.kind) {
    case "pending":
    case "saving":
      return "Saving the draft…";
    case "invalid":
      return `Draft not saved: fix ${save.problems} problem${save.problems === 1 ? "" : "s"}`;
    case "forbidden":
      return "Your changes are not saved: your role cannot save drafts";
    case "failed":
      return `Draft not saved: ${save.message}. It is saved with your next edit.`;
    case "conflict":
      return save.theirs
        ? `Not saved: ${save.theirs.savedBy} saved another draft ${ago(save.theirs.savedAt)}. Reload the page to open theirs (yours is lost), or save yours over it.`
        : "Not saved: the draft you started from was published or discarded meanwhile.";
  }
  return saved && hasChanges(state) ? `Draft saved by ${saved.savedBy} ${ago(saved.savedAt)}, not live until published` : "";
}

/** "just now", "5 minutes ago", "yesterday". */
function ago(iso: string): string {
  const seconds = (Date.now() - Date.parse(iso)) / 1000;
  if (seconds < 45) return "just now";
  const rtf = new Intl.RelativeTimeFormat("en", { numeric: "auto" });
  for (const [unit, size] of [["day", 86400], ["hour", 3600], ["minute", 60]] as const) {
    if (seconds >= size || unit === "minute") return rtf.format(-Math.round(seconds / size), unit);
  }
  return "";
}

async function saveOver(editor: Editor, base: string | null): Promise<void> {
  editor.state.save = { kind: "idle" };
  if (await editor.drafts.saveNow(base)) showStatus("Your draft is saved");
}

/** Asks, then drops the working copy and the site's draft: the editor shows the live config again. */
async function discard(editor: Editor): Promise<void> {
  const { state, api } = editor;
  const lines = describeChanges(state.live, state.draft);
  if (!(await confirmDialog({ title: "Discard the draft?", intro: "These unpublished changes are lost; shoppers keep the live version:", lines, confirm: "Discard" }))) return;
  editor.drafts.cancel();
  const done = await api.discardDraft();
  if (done instanceof ApiError && done.status !== 404) return showStatus(`The draft was not discarded (${done.message})`);
  state.draft = structuredClone(state.live);
  state.saved = null;
  state.save = { kind: "idle" };
  state.editing = null;
  await editor.show();
  showStatus("Draft discarded");
}

/** Whether leaving now loses work: edits not saved yet (or that cannot be saved). */
export function losesWork(state: EditorState): boolean {
  return unsaved(state) || state.save.kind === "conflict";
}

/** The reason leaving loses work, for the sign-out dialog. */
export function unsavedReason(state: EditorState): string {
  return `Your latest changes are not saved${state.save.kind === "invalid" ? ` (${draftText(state).slice("Draft not saved: ".length)} first)` : ""}: signing out now loses them.`;
}
