/**
 * @module The history under the grid: versions, newest first, with author, time, note and what changed, paged
 * by the API ("Older versions" appends the next page); any version not live can be made live again.
 */
import { ApiError } from "../api";
import { button, el, showStatus } from "../dom";
import type { Editor } from "../editor";

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

async function rollback(editor: Editor, version: number): Promise<void> {
  const live = await editor.api.rollback(version);
  if (live instanceof ApiError) return showStatus(live.status === 403 ? "Your role cannot roll back" : `Rollback failed (${live.status})`);
  await reloadLive(editor, live.storefront === "pending" ? pendingText(live.version) : `Version ${version} is live again (as version ${live.version})`);
}

/** A publish the site recorded while KV did not take it yet (202): it reaches the stores when the retry does. */
export function pendingText(version: number): string {
  return `Version ${version} is saved; the stores still show the one before until storage answers (retried automatically)`;
}

/** After a publish or rollback: the live config read again as the working copy, the page drawn, `message` said. */
export async function reloadLive(editor: Editor, message: string): Promise<void> {
  const { state } = editor;
  const live = await editor.api.config();
  if (!(live instanceof ApiError)) state.live = live;
  state.draft = structuredClone(state.live);
  state.editing = null;
  const shown = editor.show();
  showStatus(message);
  await shown;
}
