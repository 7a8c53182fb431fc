/**
 * @module The publish bar under the preview: publish the working copy with a note once the marketer has seen what
 * changes and confirmed (through the draft, so a draft someone else saved meanwhile is not overwritten), or get a
 * signed link that shows it on the real store.
 */
import { describeChanges } from "../../../core/config-diff";
import { ApiError } from "../api";
import { confirmDialog } from "../confirm";
import { button, el, showStatus } from "../dom";
import type { Editor } from "../editor";
import { hasChanges } from "../state";
import { pendingText, reloadLive } from "./history";

export function publishBar(editor: Editor): HTMLElement {
  const note = el("input", { id: "publish-note", placeholder: "What changed, e.g. Winter sale copy" });
  const publish = button("Publish", "Publish these changes", () => void publishDraft(editor, note.value), "primary");
  const bar = el("div", { class: "publish" }, el("label", { for: "publish-note" }, "Note for the history"), note, publish);
  // A preview link shows the draft to whoever holds it: editors and the owner make them, analysts only read.
  if (editor.api.role === "analyst") return bar;
  const storePage = el("input", { id: "store-page", type: "url", placeholder: "https://your-store.example/" });
  const out = el("p", { id: "preview-link", role: "status" });
  const link = button("Get a preview link", "Get a preview link for the store", () => void previewLink(editor, storePage.value.trim(), out));
  bar.append(el("label", { for: "store-page" }, "Store page to preview on (optional)"), storePage, link, out);
  return bar;
}

/** The draft's problems, checked afresh; whatever a preview still in flight says, the caller's outcome is shown. */
async function problems(editor: Editor): Promise<number> {
  await editor.preview.refresh();
  editor.preview.cancel();
  return editor.state.issues.length;
}

/** Checks the working copy, shows what publishing it changes and asks; then saves it as the draft and publishes that. */
async function publishDraft(editor: Editor, note: string): Promise<void> {
  const { state, api } = editor;
  if (!api.may("config:write")) return showStatus("Not published: your role cannot publish");
  const count = await problems(editor);
  if (count) return showStatus(`Not published: ${count} problem(s) to fix first`);
  if (!hasChanges(state)) return showStatus("Nothing to publish: the draft is the live version");
  const confirmed = await confirmDialog({
    title: "Publish these changes?",
    intro: "Shoppers see them within seconds. What changes from the live version:",
    lines: describeChanges(state.live, state.draft),
    confirm: "Publish now",
  });
  if (!confirmed) return;
  const saved = await editor.drafts.saveNow();
  if (!saved) return showStatus("Not published: the draft could not be saved (see above)");
  const version = await api.publishDraft(note, saved.savedAt);
  if (version instanceof ApiError) {
    if (version.status !== 409) return showStatus(`Not published (${version.status})`);
    await editor.drafts.conflict();
    return showStatus("Not published: someone else saved a draft meanwhile; open theirs or save yours over it, then publish");
  }
  // The publish cleared the site's draft.
  state.saved = null;
  await reloadLive(editor, version.storefront === "pending" ? pendingText(version.version) : `Version ${version.version} is live`);
}

/** Saves the working copy as the draft and gives a signed link (an hour) that shows it on the real store. */
async function previewLink(editor: Editor, storePage: string, out: HTMLElement): Promise<void> {
  const count = await problems(editor);
  if (count) return void (out.textContent = `Fix the ${count} problem(s) first.`);
  const saved = await editor.drafts.saveNow();
  if (!saved) return void (out.textContent = editor.api.may("config:write") ? "The draft was not saved (see above)." : "Your role cannot save a draft.");
  const link = await editor.api.previewLink(60);
  if (link instanceof ApiError) return void (out.textContent = `No preview link (${link.status}).`);
  const until = ` Valid until ${new Date(link.expiresAt).toLocaleTimeString()}: anyone with the link sees the draft, shoppers without it do not.`;
  if (!/^https?:\/\//.test(storePage)) return void (out.textContent = `Add ?${link.param} to any page of your store.${until}`);
  const href = `${storePage}${storePage.includes("?") ? "&" : "?"}${link.param}`;
  out.replaceChildren(el("a", { href, target: "_blank", rel: "noopener", id: "preview-link-a" }, "Open the store with this draft"), until);
}
