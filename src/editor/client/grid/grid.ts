/**
 * @module The grid of messages: a row per segment in precedence order, then the geo, page and device campaigns
 * (those that target no segment), then everyone else (the defaults); a column per placement. Each cell shows its
 * messages with their variants and weights, and opens in the edit panel.
 */
import type { Campaign, Config, Message } from "../../../core/config-schema";
import type { Placement } from "../../../core/shared";
import { PLACEMENTS, targetedSegments } from "../../../core/shared";
import { button, el } from "../dom";
import { segmentRowHeader } from "../segments/row-header";
import type { Editing } from "../state";

export const PLACEMENT_LABELS: Record<Placement, string> = { topbar: "Top bar", shipping: "Free shipping", returns: "Free returns" };

/** The grid of `config`; `open` opens a cell in the panel. */
export function grid(config: Config, open: (editing: Editing) => void): HTMLTableElement {
  const head = el("tr", {}, el("th", { scope: "col" }, "Who"), ...PLACEMENTS.map((p) => el("th", { scope: "col" }, PLACEMENT_LABELS[p])));
  const rows: HTMLTableRowElement[] = [];
  for (const segment of config.segments) {
    rows.push(el("tr", { "data-segment": segment }, segmentRowHeader(config, segment), ...PLACEMENTS.map((p) => cell(config, p, segment, open))));
  }
  rows.push(el("tr", { "data-segment": "(other)" }, el("th", { scope: "row" }, "Geo, page and device campaigns"), ...PLACEMENTS.map((p) => cell(config, p, null, open))));
  rows.push(
    el(
      "tr",
      { "data-segment": "(everyone)" },
      el("th", { scope: "row" }, "Everyone else"),
      ...PLACEMENTS.map((p) => {
        const message = config.defaults[p];
        const edit = button(message ? "Edit" : "Add a default", `Edit the default ${PLACEMENT_LABELS[p]} message`, () => open({ kind: "default", placement: p }));
        return el("td", { "data-placement": p }, message ? messageLine(message) : el("span", { class: "none" }, "Nothing shown"), el("div", {}, edit));
      }),
    ),
  );
  return el(
    "table",
    { class: "grid" },
    el("caption", {}, "Messages by segment (in precedence order) and placement"),
    el("thead", {}, head),
    el("tbody", {}, ...rows),
  );
}

/**
 * The campaigns of a placement that reach `segment`, by the segments their audience targets (the rule the
 * decision ranks them by); for null, those that target no segment.
 */
function campaignsFor(config: Config, placement: Placement, segment: string | null): Campaign[] {
  return config.campaigns.filter((c) => {
    if (c.placement !== placement) return false;
    const targeted = targetedSegments(c.audience);
    return segment === null ? targeted.length === 0 : targeted.includes(segment);
  });
}

function cell(config: Config, placement: Placement, segment: string | null, open: (editing: Editing) => void): HTMLTableCellElement {
  const campaigns = campaignsFor(config, placement, segment);
  const td = el("td", { "data-placement": placement });
  if (campaigns.length === 0) {
    td.append(el("span", { class: "none" }, "—"));
    if (segment !== null) {
      td.append(el("div", {}, button("Add a message", `Add a ${PLACEMENT_LABELS[placement]} message for ${segment}`, () => open(addCampaign(config, placement, segment)))));
    }
  }
  for (const campaign of campaigns) {
    const index = config.campaigns.indexOf(campaign);
    const total = campaign.variants.reduce((s, v) => s + v.weight, 0) || 1;
    const list = el(
      "ul",
      { class: "variants" },
      ...campaign.variants.map((v) =>
        el(
          "li",
          { "data-variant": v.id },
          v.message ? messageLine(v.message) : el("span", { class: "none" }, "Control: the default"),
          el("span", { class: "weight" }, ` ${Math.round((v.weight / total) * 100)}%`),
        ),
      ),
    );
    const edit = button("Edit", `Edit ${campaign.name ?? campaign.id}`, () => open({ kind: "campaign", index }));
    td.append(el("div", { class: "campaign", "data-campaign": campaign.id }, el("strong", {}, campaign.name ?? campaign.id), list, edit));
  }
  return td;
}

function messageLine(message: Message): HTMLSpanElement {
  const line = el("span", { class: "message" }, message.text);
  if (message.style?.background) line.style.borderLeft = `6px solid ${message.style.background}`;
  return line;
}

/** Adds to `config` a campaign with one empty message for `segment` in `placement`, under an id not taken yet. */
function addCampaign(config: Config, placement: Placement, segment: string): Editing {
  const taken = new Set(config.campaigns.map((c) => c.id));
  let id = `${segment}-${placement}`.replace(/_/g, "-");
  for (let n = 2; taken.has(id); n++) id = `${segment}-${placement}-${n}`.replace(/_/g, "-");
  config.campaigns.push({ id, placement, audience: { segments: { any: [segment] } }, variants: [{ id: "a", weight: 100, message: { text: "" } }] });
  return { kind: "campaign", index: config.campaigns.length - 1 };
}
