/**
 * @module "Who sees what": the whole site as each visitor sees it right now. A row per segment in precedence
 * order, then visitors the store knows nothing about (anonymous, from the US, from the UK, on a first visit from a
 * phone); a column per placement; each cell the Worker's own decision for that visitor (`POST .../preview`, the
 * function the hot path runs), on the live config or on the draft (the working copy).
 */
import type { Decision, PlacementDecision } from "../../../core/decide";
import { PLACEMENTS } from "../../../core/shared";
import type { PreviewVisitor } from "../api";
import { ApiError } from "../api";
import { el } from "../dom";
import type { Editor } from "../editor";
import { PLACEMENT_LABELS } from "../grid/grid";

interface Persona {
  id: string;
  label: string;
  as: PreviewVisitor;
}

function personas(segments: string[]): Persona[] {
  return [
    ...segments.map((segment) => ({ id: segment, label: segment, as: { segments: [segment] } })),
    { id: "anonymous", label: "Anonymous visitor", as: { segments: [] } },
    { id: "anonymous-us", label: "Anonymous visitor from the US", as: { segments: [], country: "US" } },
    { id: "anonymous-gb", label: "Anonymous visitor from the UK", as: { segments: [], country: "GB" } },
    { id: "first-visit-mobile", label: "First visit, on a phone", as: { segments: [], returning: false, device: "mobile" } },
  ];
}

export function visitorsView(editor: Editor): HTMLElement {
  const { state } = editor;
  const choice = (value: "live" | "draft", label: string) => {
    const radio = el("input", { type: "radio", name: "visitors-on", id: `visitors-on-${value}`, value });
    radio.checked = state.visitorsOn === value;
    radio.onchange = () => {
      state.visitorsOn = value;
      void showVisitors(editor);
    };
    return el("div", { class: "field check" }, radio, el("label", { for: radio.id }, label));
  };
  return el(
    "main",
    { id: "visitors", class: "visitors" },
    el("h2", {}, "Who sees what"),
    el("p", {}, "What each visitor sees in every placement right now, as the Worker decides it: by segment (in precedence order), then visitors the store does not know."),
    el("fieldset", { class: "visitors-on" }, el("legend", {}, "Decide on"), choice("live", "Live: what shoppers see now"), choice("draft", "Your draft")),
    el("div", { id: "visitors-table", "aria-live": "polite" }),
  );
}

/** Asks the Worker for every persona's decision on the chosen config, then draws the table (a later call wins). */
export async function showVisitors(editor: Editor): Promise<void> {
  const { state, api } = editor;
  const on = state.visitorsOn;
  const config = on === "live" ? state.live : state.draft;
  const box = document.getElementById("visitors-table");
  if (!box) return;
  const ticket = String(Number(box.dataset.ticket ?? 0) + 1);
  box.dataset.ticket = ticket;
  box.setAttribute("aria-busy", "true");
  const people = personas(config.segments);
  const answers = await Promise.all(people.map((p) => (on === "live" ? api.previewLive(p.as) : api.preview(config, p.as))));
  if (box.dataset.ticket !== ticket) return;
  box.setAttribute("aria-busy", "false");
  const refused = answers.find((a) => a instanceof ApiError);
  if (refused instanceof ApiError) {
    const why = refused.status === 404 ? "Nothing is live yet." : refused.issues.length ? `Your draft has ${refused.issues.length} problem(s): fix them on the Messages page to see it.` : refused.message;
    return void box.replaceChildren(el("p", { class: "error" }, why));
  }
  const rows = people.map((persona, i) => {
    const answer = answers[i];
    const decision = answer instanceof ApiError || !answer ? null : answer.decision;
    return el("tr", { "data-persona": persona.id }, el("th", { scope: "row" }, persona.label), ...PLACEMENTS.map((p) => cell(p, decision)));
  });
  box.replaceChildren(
    el(
      "table",
      { class: "grid" },
      el("caption", {}, `What each visitor sees (${on === "live" ? "live" : "your draft"})`),
      el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Visitor"), ...PLACEMENTS.map((p) => el("th", { scope: "col" }, PLACEMENT_LABELS[p])))),
      el("tbody", {}, ...rows),
    ),
  );
}

function cell(placement: (typeof PLACEMENTS)[number], decision: Decision | null): HTMLTableCellElement {
  const shown = decision?.placements[placement] ?? null;
  const td = el("td", { "data-placement": placement, "data-label": PLACEMENT_LABELS[placement] });
  if (!shown) td.append(el("span", { class: "none" }, "Nothing shown"));
  else td.append(el("span", { class: "message" }, shown.message.text), el("span", { class: "source" }, source(shown, decision)));
  return td;
}

/** Where the message comes from: the default, or a campaign (and, in an A/B test, this visitor's variant). */
function source(shown: PlacementDecision, decision: Decision | null): string {
  if (shown.campaign === null) return "Everyone else (the default)";
  const test = decision?.exposures.some((e) => e.campaign === shown.campaign);
  return `${shown.name ?? shown.campaign}${test ? `, A/B test: variant ${shown.variant}${shown.control ? " (the control, which sees the default)" : ""}` : ""}`;
}
