/**
 * @module The segments page: the config's segments in precedence order with their members and descriptions, to
 * add, describe and reorder (precedence.ts, published like messages); one customer's segments; and the upload of
 * a memberships file (upload.ts). An importer, who may not read the config, sees the members per segment only.
 */
import type { AdminApi, SegmentCounts } from "../api";
import { ApiError } from "../api";
import { el } from "../dom";
import type { Editor } from "../editor";
import { counted } from "../plural";
import { publishBar } from "../publish/publish";
import { memberCounts } from "./counts";
import { precedenceEditor } from "./precedence";
import { uploadForm } from "./upload";

export function segmentsView(): HTMLElement {
  return el("main", { id: "segments" }, el("h2", {}, "Segments"));
}

export async function showSegments(editor: Editor, main: HTMLElement): Promise<void> {
  const part = el("div", { id: "segment-counts" });
  let counts: SegmentCounts | ApiError | null = null;
  const draw = (focus?: string) => {
    drawSegments(editor, part, counts, draw);
    if (focus) document.getElementById(focus)?.focus();
  };
  const refresh = async () => {
    counts = await memberCounts(editor.api, true);
    draw();
  };
  // Says where a moved segment went, for screen readers (kept out of the part drawn again on every move).
  main.append(el("p", { id: "segments-said", class: "sr-only", role: "status" }));
  main.append(part, el("h3", {}, "Look up a customer"), lookupForm(editor.api), el("h3", {}, "Import"), uploadForm(editor.api, refresh));
  await refresh();
}

function drawSegments(editor: Editor, part: HTMLElement, answer: SegmentCounts | ApiError | null, redraw: (focus?: string) => void): void {
  const counts = answer instanceof ApiError ? null : answer;
  const summary = !answer
    ? ""
    : answer instanceof ApiError
      ? el("p", { class: answer.status === 403 ? "none" : "error" }, answer.status === 403 ? "Your role cannot see member counts." : `Member counts unavailable (${answer.status}).`)
      : el("p", {}, `${counted(answer.customers, "customer")} in at least one segment${answer.lastImport ? `; last import ${new Date(answer.lastImport).toLocaleString()}` : ""}.`);
  // An importer may not read the config: the members per segment, as the imports name them.
  if (editor.api.role === "importer") {
    const list = (counts?.segments ?? []).map((s) =>
      el("li", { "data-segment": s.segment }, el("strong", {}, s.inConfig ? s.segment : `${s.segment} (not in the config)`), " ", el("span", { class: "members" }, String(s.members)), s.members === 1 ? " member" : " members"),
    );
    return void part.replaceChildren(summary, el("ol", { id: "segment-list", class: "segment-list" }, ...list));
  }
  part.replaceChildren(
    el("h3", { id: "precedence-title" }, "Segments and precedence"),
    el("p", { class: "hint" }, "A shopper in several segments sees the messages of the first one listed. Changes go live when you publish, like messages."),
    summary,
    ...precedenceEditor(editor, counts, redraw),
    el("ul", { class: "issues", id: "issues", "aria-live": "polite" }),
    publishBar(editor),
  );
}

function lookupForm(api: AdminApi): HTMLFormElement {
  const customer = el("input", { id: "lookup-id", autocomplete: "off" });
  const found = el("p", { id: "lookup-result", role: "status" });
  const form = el("form", { class: "lookup" }, el("label", { for: "lookup-id" }, "Customer id"), customer, el("button", { type: "submit" }, "Look up"), found);
  form.onsubmit = async (e) => {
    e.preventDefault();
    const member = await api.member(customer.value.trim());
    if (member instanceof ApiError) found.textContent = member.status === 404 ? "In no segment." : `Look-up failed (${member.status})`;
    else found.textContent = `In ${member.segments.join(", ")}${member.expires_at ? ` until ${new Date(member.expires_at).toLocaleString()}` : ""}.`;
  };
  return form;
}
