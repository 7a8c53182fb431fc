/**
 * @module The editor's one confirmation: a modal `<dialog>` that says what is about to happen (a publish, a
 * rollback, a discard, signing out with unsaved changes), lists what changes, and resolves true only for its
 * confirm button. The page behind is inert while it is open; focus starts on the safe choice (Cancel, or `stay`),
 * Escape cancels, and focus goes back to the control that opened it.
 */
import { el } from "./dom";

export interface Confirmation {
  title: string;
  /** What confirming does, in a sentence. */
  intro: string;
  /** What changes, a line each (src/core/config-diff.ts). */
  lines?: string[];
  confirm: string;
  /** The button that keeps things as they are. */
  stay?: string;
}

export function confirmDialog({ title, intro, lines = [], confirm, stay = "Cancel" }: Confirmation): Promise<boolean> {
  const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
  const yes = el("button", { type: "button", class: "primary" }, confirm);
  const no = el("button", { type: "button", class: "link" }, stay);
  const dialog = el(
    "dialog",
    { class: "confirm", "aria-labelledby": "confirm-title", "aria-describedby": "confirm-intro" },
    el("h2", { id: "confirm-title" }, title),
    el("p", { id: "confirm-intro" }, intro),
    ...(lines.length ? [el("ul", { class: "changes" }, ...lines.map((line) => el("li", {}, line)))] : []),
    el("div", { class: "actions" }, no, yes),
  );
  yes.onclick = () => dialog.close("yes");
  no.onclick = () => dialog.close();
  document.body.append(dialog);
  dialog.showModal();
  no.focus();
  return new Promise((resolve) => {
    // Escape closes it too (a `cancel`, leaving returnValue empty).
    dialog.onclose = () => {
      dialog.remove();
      if (opener?.isConnected) opener.focus();
      resolve(dialog.returnValue === "yes");
    };
  });
}
