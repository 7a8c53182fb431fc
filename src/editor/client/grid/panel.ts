/**
 * @module The edit panel beside the grid: the open cell's fields (a default message, or a campaign's name,
 * schedule, audience and variants), bound to the working copy, then the "View as" visitor, the preview and the
 * publish bar.
 */
import type { Campaign } from "../../../core/config-schema";
import { button, el } from "../dom";
import type { Editor } from "../editor";
import { viewAsBar } from "../preview/preview";
import { publishBar } from "../publish/publish";
import type { Editing } from "../state";
import { audienceFields, field, messageFields, scheduleFields } from "./fields";
import { PLACEMENT_LABELS } from "./grid";

/** Opens a cell in the panel, moves focus into its first field and previews it. */
export function openCell(editor: Editor, editing: Editing): void {
  editor.state.editing = editing;
  void editor.show();
  document.querySelector<HTMLElement>(".panel textarea, .panel input")?.focus();
  editor.preview.schedule(0);
}

export function panel(editor: Editor): HTMLElement {
  const aside = el("aside", { class: "panel", "aria-label": "Edit and preview" });
  const { draft, editing } = editor.state;
  if (!editing) {
    aside.append(el("p", { class: "none" }, "Choose Edit on a message to change it and see it as shoppers will."));
    return aside;
  }
  const changed = () => editor.preview.schedule();
  const form = el("form", { class: "edit", novalidate: "" });
  form.onsubmit = (e) => e.preventDefault();
  if (editing.kind === "default") {
    const message = (draft.defaults[editing.placement] ??= { text: "" });
    form.append(el("h2", {}, `Everyone else: ${PLACEMENT_LABELS[editing.placement]}`), ...messageFields(message, `defaults.${editing.placement}`, changed));
  } else {
    const campaign = draft.campaigns[editing.index];
    if (!campaign) return aside;
    const base = `campaigns.${editing.index}`;
    form.append(
      el("h2", {}, campaign.name ?? campaign.id),
      field("Name", `${base}.name`, campaign.name ?? "", (v) => void (v ? (campaign.name = v) : delete campaign.name), changed),
      ...scheduleFields(campaign, `${base}.schedule`, changed),
      ...audienceFields(campaign, `${base}.audience`, changed),
    );
    campaign.variants.forEach((variant, j) => {
      const path = `${base}.variants.${j}`;
      const set = el("fieldset", { "data-variant": variant.id }, el("legend", {}, `Variant ${variant.id}${variant.control ? " (control: sees the default)" : ""}`));
      set.append(field("Weight", `${path}.weight`, String(variant.weight), (v) => void (variant.weight = Number(v)), changed, "number"));
      if (variant.message) set.append(...messageFields(variant.message, `${path}.message`, changed));
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
      button("Add a variant (A/B test)", "Add a variant", () => {
        addVariant(campaign);
        redraw(editor);
      }),
    );
  }
  form.append(el("ul", { class: "issues", id: "issues", "aria-live": "polite" }));
  aside.append(form, viewAsBar(editor.state, editor.preview), el("iframe", { id: "preview", title: "Preview as on the store", sandbox: "allow-scripts" }), publishBar(editor));
  return aside;
}

/** A new variant (the next free letter) with the text of the first message, for an A/B test. */
function addVariant(campaign: Campaign): void {
  const ids = new Set(campaign.variants.map((v) => v.id));
  const id = "abcdefghij".split("").find((c) => !ids.has(c)) ?? `v${campaign.variants.length + 1}`;
  const model = campaign.variants.find((v) => v.message)?.message;
  campaign.variants.push({ id, weight: campaign.variants[0]?.weight ?? 50, message: { text: model?.text ?? "" } });
}

/** The page again after the variants changed, and the preview at once. */
function redraw(editor: Editor): void {
  void editor.show();
  editor.preview.schedule(0);
}
