/**
 * @module The grid of messages: a row per segment in precedence order, then the geo, page and device campaigns
 * (those that target no segment), then everyone else (the defaults); a column per placement. Each cell shows its
 * messages with their variants and weights (a paused one says so), and opens in the edit panel. Texts are shown as
 * shoppers read them ({{threshold}} as the amount), and a segment without a message of its own shows what it gets
 * instead: the default, after any geo, page or device campaign.
 */
import type { Campaign, Config, Message, Variant } from "../../../core/config-schema";
import { baselineVariant } from "../../../core/experiment";
import { fillPlaceholders, formatMoney } from "../../../core/money";
import type { Placement } from "../../../core/shared";
import { PLACEMENTS, targetedSegments } from "../../../core/shared";
import { button, el } from "../dom";
import { segmentRowHeader } from "../segments/row-header";
import type { Editing } from "../state";

export const PLACEMENT_LABELS: Record<Placement, string> = { topbar: "Top bar", shipping: "Free shipping", returns: "Free returns" };

/**
 * The grid of `config`; `open` opens a cell in the panel. Amounts are in `currency` (the one the preview is viewed
 * in) where a message has one, else in its first.
 */
export function grid(config: Config, open: (editing: Editing) => void, currency = "EUR"): HTMLTableElement {
  const line = (message: Message) => messageLine(message, currency);
  const head = el("tr", {}, el("th", { scope: "col" }, "Who"), ...PLACEMENTS.map((p) => el("th", { scope: "col" }, PLACEMENT_LABELS[p])));
  const rows: HTMLTableRowElement[] = [];
  for (const segment of config.segments) {
    rows.push(el("tr", { "data-segment": segment }, segmentRowHeader(config, segment), ...PLACEMENTS.map((p) => cell(config, p, segment, open, line))));
  }
  rows.push(el("tr", { "data-segment": "(other)" }, el("th", { scope: "row" }, "Geo, page and device campaigns"), ...PLACEMENTS.map((p) => cell(config, p, null, open, line))));
  rows.push(
    el(
      "tr",
      { "data-segment": "(everyone)" },
      el("th", { scope: "row" }, "Everyone else"),
      ...PLACEMENTS.map((p) => {
        const message = config.defaults[p];
        const edit = button(message ? "Edit" : "Add a default", `Edit the default ${PLACEMENT_LABELS[p]} message`, () => open({ kind: "default", placement: p }));
        return el("td", { "data-placement": p, "data-label": PLACEMENT_LABELS[p] }, message ? line(message) : el("span", { class: "none" }, "Nothing shown"), el("div", {}, edit));
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

function cell(config: Config, placement: Placement, segment: string | null, open: (editing: Editing) => void, line: (message: Message) => HTMLElement): HTMLTableCellElement {
  const campaigns = campaignsFor(config, placement, segment);
  const td = el("td", { "data-placement": placement, "data-label": PLACEMENT_LABELS[placement] });
  // A segment's empty cell says what applies instead (below); the geo, page and device row's is just empty.
  if (campaigns.length === 0 && segment === null) td.append(el("span", { class: "none" }, "—"));
  for (const campaign of campaigns) {
    const index = config.campaigns.indexOf(campaign);
    const total = campaign.variants.reduce((s, v) => s + v.weight, 0) || 1;
    // A stopped variant's visitors see the baseline: its share is the baseline's (core/decide.ts).
    const baseline = baselineVariant(campaign);
    const stoppedWeight = campaign.variants.reduce((s, v) => s + (v.stopped ? v.weight : 0), 0);
    const share = (v: Variant) => ` ${Math.round(((v.weight + (v === baseline ? stoppedWeight : 0)) / total) * 100)}%`;
    const list = el(
      "ul",
      { class: "variants" },
      ...campaign.variants.map((v) =>
        el(
          "li",
          { "data-variant": v.id },
          v.message ? line(v.message) : el("span", { class: "none" }, "Control: the default"),
          // A weight being typed may be empty for a moment (the schema then says so at its field).
          ...(v.stopped
            ? [" ", el("span", { class: "weight stopped", title: "Switched off: its visitors see the baseline" }, "Off")]
            : [el("span", { class: "weight" }, Number.isFinite(v.weight) ? share(v) : " ?")]),
        ),
      ),
    );
    const paused = campaign.enabled === false ? [" ", el("span", { class: "paused" }, "Paused")] : [];
    const edit = button("Edit", `Edit ${campaign.name ?? campaign.id}`, () => open({ kind: "campaign", index }));
    td.append(el("div", { class: "campaign", "data-campaign": campaign.id }, el("strong", {}, campaign.name ?? campaign.id), ...paused, list, edit));
  }
  if (segment !== null) {
    if (campaigns.every((c) => c.enabled === false)) td.append(fallback(config, placement, line));
    if (campaigns.length === 0) {
      td.append(el("div", {}, button("Add a message", `Add a ${PLACEMENT_LABELS[placement]} message for ${segment}`, () => open(addCampaign(config, placement, segment)))));
    }
  }
  return td;
}

/**
 * What a segment without a live message of its own sees in `placement`: a geo, page or device campaign that
 * reaches the visitor, else the default (the decision's order, core/decide.ts).
 */
function fallback(config: Config, placement: Placement, line: (message: Message) => HTMLElement): HTMLElement {
  const others = campaignsFor(config, placement, null).some((c) => c.enabled !== false);
  const message = config.defaults[placement];
  const lead = others ? "Geo, page or device campaigns first, else " : "";
  return message
    ? el("p", { class: "fallback" }, `${lead}${lead ? "the default" : "The default"}: `, line(message))
    : el("p", { class: "fallback" }, others ? `${lead}nothing` : "Nothing shown");
}

/** A message's text as shoppers read it, {{threshold}} formatted in `currency` if it has one, else in its first. */
function messageLine(message: Message, currency: string): HTMLSpanElement {
  const { threshold } = message;
  const shown = threshold && (currency in threshold ? currency : Object.keys(threshold)[0]);
  const amount = shown === undefined ? undefined : threshold?.[shown];
  const values: Record<string, string> = amount === undefined || shown === undefined ? {} : { threshold: formatMoney(amount, shown, navigator.language) };
  const line = el("span", { class: "message" }, fillPlaceholders(message.text, values));
  if (message.style?.background) line.style.borderLeft = `6px solid ${message.style.background}`;
  return line;
}

/** Adds to `config` a campaign with one empty message for `segment` in `placement`, under an id not taken yet. */
function addCampaign(config: Config, placement: Placement, segment: string): Editing {
  const id = freeId(config.campaigns, `${segment}-${placement}`.replace(/_/g, "-"));
  config.campaigns.push({ id, placement, audience: { segments: { any: [segment] } }, variants: [{ id: "a", weight: 100, message: { text: "" } }] });
  return { kind: "campaign", index: config.campaigns.length - 1 };
}

/** `base`, else `base-2`, `base-3`…: the first id no campaign has. */
export function freeId(campaigns: readonly Campaign[], base: string): string {
  const taken = new Set(campaigns.map((c) => c.id));
  let id = base;
  for (let n = 2; taken.has(id); n++) id = `${base}-${n}`;
  return id;
}
