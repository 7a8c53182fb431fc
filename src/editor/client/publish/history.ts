/**
 * @module The history under the grid: versions, newest first, with author, time, note and what changed, paged
 * by the API ("Older versions" appends the next page); any version not live can be made live again, once the
 * marketer has seen what that changes and confirmed.
 */
import { describeChanges } from "../../../core/config-diff";
import { ApiError } from "../api";
import { confirmDialog } from "../confirm";
import { button, el, showStatus } from "../dom";
import type { Editor } from "../editor";
import { hasChanges } from "../state";

export function historySection(): HTMLElement {
  return el("section", { class: "history", "aria-labelledby": "history-title" }, el("h2", { id: "history-title" }, "History"), el("ol", { id: "versions" }));
}

/** The newest versions, or with `before` the page of versions before that one, appended. */
export async function showHistory(editor: Editor, before?: number): Promise<void> {
  const list = document.getElementById("versions");
  const page = await editor.api.versions(before);
  if (!list || page instanceof ApiError) return;
  if (before === undefined) list.replaceChildren();
  document.getElementById("older-versions")?.remove();
  list.append(
    ...page.versions.map((v) => {
      const item = el(
        "li",
        { "data-version": String(v.version) },
        el("strong", {}, `Version ${v.version}${v.live ? " (live)" : ""}`),
        ` by ${v.author}, ${new Date(v.createdAt).toLocaleString()}${v.note ? `: ${v.note}` : ""}`,
        el("ul", {}, ...v.changes.map((c) => el("li", {}, c))),
      );
      if (!v.live) item.append(button(`Roll back to version ${v.version}`, `Roll back to version ${v.version}`, () => void rollback(editor, v.version)));
      return item;
    }),
  );
  const { next } = page;
  if (next !== null) {
    const older = button("Older versions", "Show older versions", () => void showHistory(editor, next));
    older.id = "older-versions";
    list.after(older);
  }
}

/** Shows what making `version` live again changes (and that the draft goes) and asks; then rolls back. */
async function rollback(editor: Editor, version: number): Promise<void> {
  const { api, state } = editor;
  if (!api.may("config:write")) return showStatus("Your role cannot roll back");
  const target = await api.version(version);
  if (target instanceof ApiError) return showStatus(`Rollback failed (${target.status})`);
  const drops = hasChanges(state) ? " Your unpublished draft is discarded." : "";
  const confirmed = await confirmDialog({
    title: `Roll back to version ${version}?`,
    intro: `Version ${version} becomes live again, as a new version; shoppers see it within seconds.${drops} What changes from the live version:`,
    lines: describeChanges(state.live, target.config),
    confirm: "Roll back now",
  });
  if (!confirmed) return;
  const live = await api.rollback(version);
  if (live instanceof ApiError) return showStatus(live.status === 403 ? "Your role cannot roll back" : `Rollback failed (${live.status})`);
  await reloadLive(editor, live.storefront === "pending" ? pendingText(live.version) : `Version ${version} is live again (as version ${live.version})`);
}

/** A publish the site recorded while KV did not take it yet (202): it reaches the stores when the retry does. */
export function pendingText(version: number): string {
  return `Version ${version} is saved; the stores still show the one before until storage answers (retried automatically)`;
}

/**
 * After a publish or rollback: the live config read again as the working copy, the page drawn, `message` said. A
 * draft the site still holds (a rollback leaves it) is discarded, so reopening the editor does not bring it back.
 */
export async function reloadLive(editor: Editor, message: string): Promise<void> {
  const { state, api } = editor;
  editor.drafts.cancel();
  const live = await api.config();
  if (!(live instanceof ApiError)) state.live = live;
  if (state.saved) await api.discardDraft();
  state.draft = structuredClone(state.live);
  state.saved = null;
  state.save = { kind: "idle" };
  state.editing = null;
  const shown = editor.show();
  showStatus(message);
  await shown;
}
