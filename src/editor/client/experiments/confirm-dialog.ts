/**
 * @module A modal confirmation (the native `<dialog>`: focus kept inside, Escape cancels, the focus goes back to
 * what opened it): a title, what will change, and a button that does it. Cancel is focused first, so Enter on a
 * dialog opened by mistake changes nothing.
 *
 * @example
 * if (await confirmDialog("Roll out b to everyone?", [el("p", {}, "a: 50% → 0%")], "Publish as a new version")) publish();
 */
import { el } from "../dom";

/** Resolves true when the person confirms, false on Cancel or Escape; the dialog is gone either way. */
export function confirmDialog(title: string, body: Node[], confirm: string): Promise<boolean> {
  const yes = el("button", { type: "button" }, confirm);
  const no = el("button", { type: "button", class: "link" }, "Cancel");
  const dialog = el("dialog", { class: "confirm", "aria-labelledby": "confirm-title" }, el("h2", { id: "confirm-title" }, title), ...body, el("div", { class: "actions" }, no, yes));
  yes.onclick = () => dialog.close("yes");
  no.onclick = () => dialog.close();
  document.body.append(dialog);
  dialog.showModal();
  no.focus();
  return new Promise((resolve) => {
    dialog.onclose = () => {
      dialog.remove();
      resolve(dialog.returnValue === "yes");
    };
  });
}
