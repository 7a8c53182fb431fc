/**
 * @module The working copy's segments in precedence order (a shopper in several sees the messages of the first
 * one listed): each with its members and a description; moved up or down with buttons (keyboard usable, the focus
 * stays on the button that moved it); a new one added last; one that no message targets removed. Segments that
 * imports name but the config does not are listed to be added. Every change edits the draft, and goes live through
 * the publish bar as messages do.
 */
import type { Config } from "../../../core/config-schema";
import { MAX_SEGMENT_DESCRIPTION, SEGMENT_ID, SEGMENT_ID_RULE, targetedSegments } from "../../../core/shared";
import type { SegmentCounts } from "../api";
import { button, el } from "../dom";
import type { Editor } from "../editor";
import { field } from "../grid/fields";
import { membersOf } from "./counts";

/** Draws the segments part again, then moves the focus to the element with id `focus`. */
export type Redraw = (focus?: string) => void;

/** The list, the segments imports name that the config does not, and the form that adds one. */
export function precedenceEditor(editor: Editor, counts: SegmentCounts | null, redraw: Redraw): HTMLElement[] {
  const { draft } = editor.state;
  const changed = () => editor.preview.schedule();
  const restructured = (focus: string, said: string) => {
    changed();
    redraw(focus);
    const moved = document.getElementById("segments-said");
    if (moved) moved.textContent = said;
  };
  // role="list": Safari drops the list semantics of a list without markers (the numbers are drawn by CSS).
  const list = el("ol", { id: "segment-list", class: "segment-list ordered", role: "list" }, ...draft.segments.map((segment, i) => segmentItem(draft, segment, i, counts, changed, restructured)));
  const imported = (counts?.segments ?? []).filter((s) => !draft.segments.includes(s.segment));
  return [
    list,
    ...(imported.length
      ? [
          el("h4", {}, "In imports, not in the config"),
          el(
            "ul",
            { class: "segment-list" },
            ...imported.map((s) =>
              el(
                "li",
                { "data-segment": s.segment },
                el("strong", {}, s.segment),
                " ",
                el("span", { class: "members" }, String(s.members)),
                s.members === 1 ? " member " : " members ",
                button(`Add ${s.segment}`, `Add ${s.segment} to the segments`, () => {
                  draft.segments.push(s.segment);
                  restructured(descriptionId(s.segment), `${s.segment} added last.`);
                }, "move"),
              ),
            ),
          ),
        ]
      : []),
    addSegmentForm(draft, (segment) => restructured(descriptionId(segment), `${segment} added last.`)),
  ];
}

/** The id `field` gives the description input of `segment`. */
const descriptionId = (segment: string) => `f-segmentDescriptions-${segment.replace(/\W/g, "-")}`;

function segmentItem(
  draft: Config,
  segment: string,
  i: number,
  counts: SegmentCounts | null,
  changed: () => void,
  restructured: (focus: string, said: string) => void,
): HTMLLIElement {
  const segments = draft.segments;
  const move = (to: number, direction: "up" | "down") => {
    segments.splice(i, 1);
    segments.splice(to, 0, segment);
    // At the top (or bottom) its button is disabled: the other one keeps the focus.
    const stays = (direction === "up" ? to > 0 : to < segments.length - 1) ? direction : direction === "up" ? "down" : "up";
    restructured(`move-${stays}-${segment}`, `${segment} is now ${to + 1} of ${segments.length}.`);
  };
  const up = button("Move up", `Move ${segment} up`, () => move(i - 1, "up"), "move");
  const down = button("Move down", `Move ${segment} down`, () => move(i + 1, "down"), "move");
  up.id = `move-up-${segment}`;
  down.id = `move-down-${segment}`;
  up.disabled = i === 0;
  down.disabled = i === segments.length - 1;
  const description = field(`Description of ${segment}`, `segmentDescriptions.${segment}`, draft.segmentDescriptions?.[segment] ?? "", (text) => describe(draft, segment, text), changed);
  // The segment's name beside the input says what it is for (its label is read out, not shown).
  const input = description.querySelector("input");
  input?.setAttribute("maxlength", String(MAX_SEGMENT_DESCRIPTION));
  input?.setAttribute("placeholder", `Describe ${segment}: who is in it`);
  const controls = el("div", { class: "moves" }, up, down);
  // A segment a message targets stays: removing it would leave that message's audience naming nothing.
  const targeted = draft.campaigns.some((c) => targetedSegments(c.audience).includes(segment) || c.audience?.segments?.none?.includes(segment));
  if (!targeted) {
    controls.append(
      button("Remove", `Remove ${segment}`, () => {
        segments.splice(i, 1);
        describe(draft, segment, "");
        restructured("new-segment", `${segment} removed.`);
      }),
    );
  }
  const members = counts ? membersOf(counts, segment) : null;
  return el(
    "li",
    { "data-segment": segment },
    el(
      "div",
      { class: "segment-title" },
      el("strong", {}, segment),
      ...(members === null ? [] : [" ", el("span", { class: "count" }, el("span", { class: "members" }, String(members)), members === 1 ? " member" : " members")]),
    ),
    description,
    controls,
  );
}

/** Sets a segment's description; an empty one is left out (the schema wants text or nothing). */
function describe(draft: Config, segment: string, text: string): void {
  const descriptions = { ...draft.segmentDescriptions };
  if (text.trim()) descriptions[segment] = text;
  else delete descriptions[segment];
  if (Object.keys(descriptions).length) draft.segmentDescriptions = descriptions;
  else delete draft.segmentDescriptions;
}

/** Adds a segment last (lowest precedence); a bad id or one taken is said at the field. */
function addSegmentForm(draft: Config, added: (segment: string) => void): HTMLFormElement {
  const input = el("input", { id: "new-segment", autocomplete: "off", maxlength: "64", "aria-describedby": "new-segment-hint new-segment-error" });
  const error = el("p", { id: "new-segment-error", class: "error" });
  const form = el(
    "form",
    { class: "add-segment", novalidate: "" },
    el("label", { for: "new-segment" }, "New segment id"),
    el("p", { id: "new-segment-hint", class: "hint" }, `${SEGMENT_ID_RULE}, e.g. gold_card. It goes last: move it up to give it precedence.`),
    input,
    el("button", { type: "submit" }, "Add the segment"),
    error,
  );
  form.onsubmit = (e) => {
    e.preventDefault();
    const segment = input.value.trim();
    error.textContent = !SEGMENT_ID.test(segment) ? `Use ${SEGMENT_ID_RULE}.` : draft.segments.includes(segment) ? `${segment} is a segment already.` : "";
    if (error.textContent) {
      input.setAttribute("aria-invalid", "true");
      return input.focus();
    }
    draft.segments.push(segment);
    added(segment);
  };
  return form;
}
