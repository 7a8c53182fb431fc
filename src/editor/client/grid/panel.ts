/**
 * @module The edit panel beside the grid (under it on a phone): the problems to fix, listed with links to their
 * fields; the open cell (a default message, or a campaign's name, schedule, audience and variants, with pause,
 * duplicate and delete), bound to the working copy; then the "View as" visitor, the preview and the publish bar,
 * there whether a cell is open or not.
 */
import type { Campaign } from "../../../core/config-schema";
import type { Placement } from "../../../core/shared";
import { targetedSegments } from "../../../core/shared";
import { button, el, showStatus } from "../dom";
import type { Editor } from "../editor";
import { viewAsBar } from "../preview/preview";
import { publishBar } from "../publish/publish";
import type { Editing } from "../state";
import { describeStop } from "../../../core/guardrails";
import { audienceFields, field, guardrailFields, messageFields, scheduleFields } from "./fields";
import { freeId, PLACEMENT_LABELS } from "./grid";
import { showIssues } from "./issues";

/** Opens a cell in the panel, moves focus into its first field and previews it. */
export function openCell(editor: Editor, editing: Editing): void {
  editor.state.editing = editing;
  redraw(editor);
  document.querySelector<HTMLElement>(".panel .edit textarea, .panel .edit input")?.focus();
}

export function panel(editor: Editor): HTMLElement {
  const { state } = editor;
  const issues = el("ul", { class: "issues", id: "issues", "aria-label": "Problems to fix before publishing", "aria-live": "polite" });
  issues.onclick = (event) => {
    const path = (event.target as Element).closest("[data-issue]")?.getAttribute("data-issue");
    if (path) goToField(editor, path);
  };
  const aside = el("aside", { class: "panel", "aria-label": "Edit and preview" }, issues, editForm(editor) ?? el("p", { class: "none" }, "Choose Edit on a message to change it and see it as shoppers will."));
  // The same frame across redraws: it keeps showing the last preview while the draft has a problem (a new message
  // without text yet), instead of going blank. A new frame gets its first preview.
  let frame = document.getElementById("preview");
  if (!frame) {
    frame = el("iframe", { id: "preview", title: "Preview as on the store", sandbox: "allow-scripts" });
    editor.preview.schedule(0);
  }
  aside.append(viewAsBar(state, editor.preview), frame, publishBar(editor));
  showIssues(state.issues, state.draft, aside);
  return aside;
}

/** The form of the open cell, or null when none is open. */
function editForm(editor: Editor): HTMLFormElement | null {
  const { draft, live, editing } = editor.state;
  const changed = () => editor.preview.schedule();
  const form = el("form", { class: "edit", novalidate: "" });
  form.onsubmit = (e) => e.preventDefault();
  if (editing?.kind === "default") {
    const { placement } = editing;
    // Opening "Add a default" adds nothing: the message joins the draft with its first edit, so a default opened
    // and left empty does not stand in the way of a publish.
    const message = draft.defaults[placement] ?? { text: "" };
    const isNew = !live.defaults[placement];
    form.append(
      el("h2", {}, `Everyone else: ${PLACEMENT_LABELS[placement]}`),
      actions(button(isNew ? "Discard" : "Delete", isNew ? "Discard this new message" : "Delete this message", () => removeDefault(editor, placement, isNew))),
      ...messageFields(message, `defaults.${placement}`, placement, () => {
        draft.defaults[placement] = message;
        changed();
      }),
    );
    return form;
  }
  if (editing?.kind !== "campaign") return null;
  const { index } = editing;
  const campaign = draft.campaigns[index];
  if (!campaign) return null;
  const base = `campaigns.${index}`;
  const paused = campaign.enabled === false;
  const isNew = !live.campaigns.some((c) => c.id === campaign.id);
  form.append(
    el("h2", {}, campaign.name ?? campaign.id),
    ...(paused ? [el("p", { class: "paused" }, "Paused: shoppers do not see it.")] : []),
    actions(
      button(paused ? "Resume" : "Pause", paused ? "Resume this message" : "Pause this message", () => setPaused(editor, campaign, !paused)),
      button("Duplicate", "Duplicate this message", () => duplicate(editor, index)),
      button(isNew ? "Discard" : "Delete", isNew ? "Discard this new message" : "Delete this message", () => removeCampaign(editor, index, isNew)),
    ),
    field("Name", `${base}.name`, campaign.name ?? "", (v) => void (v ? (campaign.name = v) : delete campaign.name), changed),
    ...scheduleFields(campaign, `${base}.schedule`, changed),
    ...audienceFields(campaign, `${base}.audience`, changed),
  );
  if (campaign.variants.length > 1) {
    form.append(
      el(
        "fieldset",
        { class: "guardrails" },
        el("legend", {}, "Guardrails"),
        el("p", { class: "hint" }, "Checked every 15 minutes while the test runs: a variant clearly worse than the baseline is switched off, and its visitors see the baseline."),
        ...guardrailFields(campaign, `${base}.experiment.guardrails`, changed),
      ),
    );
  }
  campaign.variants.forEach((variant, j) => {
    const path = `${base}.variants.${j}`;
    const set = el("fieldset", { "data-variant": variant.id }, el("legend", {}, `Variant ${variant.id}${variant.control ? " (control: sees the default)" : ""}`));
    // An empty weight is not 0: it stays empty (null to the schema), which refuses it in words at the field.
    set.append(field("Weight", `${path}.weight`, String(variant.weight), (v) => void (variant.weight = v === "" ? Number.NaN : Number(v)), changed, "number"));
    if (variant.stopped) {
      set.append(
        el("p", { class: "stopped" }, `${describeStop(variant.stopped)}. Its visitors see the baseline.`),
        button("Switch back on", `Switch variant ${variant.id} back on`, () => {
          delete variant.stopped;
          redraw(editor);
          showStatus(`Variant ${variant.id} switched back on: publish to show it again`);
        }),
      );
    }
    if (variant.message) set.append(...messageFields(variant.message, `${path}.message`, campaign.placement, changed));
    if (campaign.variants.length > 1) {
      set.append(
        button("Remove this variant", `Remove variant ${variant.id}`, () => {
          campaign.variants.splice(j, 1);
          redraw(editor);
        }),
      );
    }
    form.append(set);
  });
  form.append(
    el("p", { class: "error", "data-error-for": `${base}.variants` }),
    button("Add a variant (A/B test)", "Add a variant", () => {
      addVariant(campaign);
      redraw(editor);
      document.querySelector<HTMLElement>(`[data-path="${base}.variants.${campaign.variants.length - 1}.weight"]`)?.focus();
    }),
  );
  return form;
}

function actions(...buttons: HTMLButtonElement[]): HTMLElement {
  return el("div", { class: "actions" }, ...buttons);
}

/** A new variant (the next free letter) with a copy of the first message (text, link, style, amounts), for an A/B test. */
function addVariant(campaign: Campaign): void {
  const ids = new Set(campaign.variants.map((v) => v.id));
  const id = "abcdefghij".split("").find((c) => !ids.has(c)) ?? `v${campaign.variants.length + 1}`;
  const model = campaign.variants.find((v) => v.message)?.message;
  campaign.variants.push({ id, weight: campaign.variants[0]?.weight ?? 50, message: model ? structuredClone(model) : { text: "" } });
}

/** Paused: in the config (so the history says so) but shown to no one until resumed. */
function setPaused(editor: Editor, campaign: Campaign, paused: boolean): void {
  if (paused) campaign.enabled = false;
  else delete campaign.enabled;
  redraw(editor);
  showStatus(paused ? "Paused: publish to take it off the store" : "Resumed: publish to show it again");
  document.querySelector<HTMLElement>(`.panel .actions button[aria-label="${paused ? "Resume" : "Pause"} this message"]`)?.focus();
}

/** A paused copy right after the original (so it takes nothing over until resumed), opened in the panel. */
function duplicate(editor: Editor, index: number): void {
  const { campaigns } = editor.state.draft;
  const original = campaigns[index];
  if (!original) return;
  const copy = structuredClone(original);
  copy.id = freeId(campaigns, `${original.id.slice(0, 56)}-copy`);
  if (original.name) copy.name = `${original.name} (copy)`;
  copy.enabled = false;
  campaigns.splice(index + 1, 0, copy);
  // The problems found so far name campaigns by index: the next preview finds them afresh.
  editor.state.issues = [];
  openCell(editor, { kind: "campaign", index: index + 1 });
}

/**
 * Takes a campaign out of the working copy: one that is live leaves the store once published; a new one is simply
 * gone. Focus goes back to its cell in the grid.
 */
function removeCampaign(editor: Editor, index: number, isNew: boolean): void {
  const { state } = editor;
  const [removed] = state.draft.campaigns.splice(index, 1);
  if (!removed) return;
  state.issues = [];
  closed(editor, targetedSegments(removed.audience)[0] ?? "(other)", removed.placement, isNew);
}

function removeDefault(editor: Editor, placement: Placement, isNew: boolean): void {
  delete editor.state.draft.defaults[placement];
  closed(editor, "(everyone)", placement, isNew);
}

/** The panel closed after a removal: the page again, said, and focus on the cell the message was in. */
function closed(editor: Editor, segment: string, placement: Placement, isNew: boolean): void {
  editor.state.editing = null;
  redraw(editor);
  showStatus(isNew ? "New message discarded" : "Deleted: publish to take it off the store");
  document.querySelector<HTMLElement>(`tr[data-segment="${CSS.escape(segment)}"] td[data-placement="${placement}"] button`)?.focus();
}

/** The cell a problem's path is in: "campaigns.3.…" or "defaults.topbar.…". */
function cellOf(path: string): Editing | null {
  const [top, at] = path.split(".");
  if (top === "campaigns" && at) return { kind: "campaign", index: Number(at) };
  if (top === "defaults" && (at === "topbar" || at === "shipping" || at === "returns")) return { kind: "default", placement: at };
  return null;
}

/** Opens the cell a problem is in, unless it is open, and puts the cursor in its field (or the nearest one above it). */
function goToField(editor: Editor, path: string): void {
  const cell = cellOf(path);
  if (cell && JSON.stringify(cell) !== JSON.stringify(editor.state.editing)) {
    editor.state.editing = cell;
    redraw(editor);
  }
  let at = path;
  let target: HTMLElement | null = null;
  while (at && !(target = document.querySelector<HTMLElement>(`.panel [data-path="${CSS.escape(at)}"]`))) at = at.slice(0, Math.max(0, at.lastIndexOf(".")));
  (target ?? document.querySelector<HTMLElement>(".panel .edit input, .panel .edit textarea"))?.focus();
}

/** The page again after the working copy changed, and the preview at once. */
function redraw(editor: Editor): void {
  void editor.show();
  editor.preview.schedule(0);
}
