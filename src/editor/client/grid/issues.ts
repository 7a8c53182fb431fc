/**
 * @module The schema's problems with the working copy, in words: each one under its field (when that field is on the
 * page) and all of them in the panel's list (`#issues`), named the way the marketer sees the editor ("Message
 * 'VIP: express' > Variant b > Text: a message needs text"), never as a schema path. Each entry carries its path
 * (`data-issue`) so the panel can open the message and put the cursor in the field.
 */
import type { Config } from "../../../core/config-schema";
import type { Placement } from "../../../core/shared";
import type { Issue } from "../api";
import { el } from "../dom";
import { PLACEMENT_LABELS } from "./grid";

/** Names of the fields, by their path within a campaign, a variant or a message (the longest match wins). */
const FIELD_NAMES: Record<string, string> = {
  name: "Name",
  id: "Id",
  "schedule.start": "Starts",
  "schedule.end": "Ends",
  "audience.countries": "Countries",
  "audience.paths": "Pages",
  "audience.devices": "Devices",
  "audience.visitor": "Visitors",
  "audience.segments": "Segments",
  variants: "Variants",
  weight: "Weight",
  control: "Control",
  text: "Text",
  "link.url": "Link",
  "link.label": "Link label",
  "style.background": "Background colour",
  "style.color": "Text colour",
  "style.linkColor": "Link colour",
  "style.align": "Alignment",
  "style.size": "Size",
  threshold: "Free-shipping thresholds",
  "progress.text": "Progress text",
  "progress.reached": "Text once reached",
  dismissible: "Shoppers can dismiss it",
};

/** Where the problem is, as the editor names it: "Message 'VIP' > Variant b > Text". */
export function issuePlace(path: string, draft: Config): string {
  let rest = path.split(".");
  const place: string[] = [];
  const [top, at] = rest;
  if (top === "campaigns" && at !== undefined) {
    const campaign = draft.campaigns[Number(at)];
    place.push(`Message '${campaign?.name ?? campaign?.id ?? ""}'`);
    rest = rest.slice(2);
    const variant = rest[0] === "variants" && rest[1] !== undefined ? campaign?.variants[Number(rest[1])] : undefined;
    if (variant) {
      place.push(`Variant ${variant.id}`);
      rest = rest.slice(2);
    }
  } else if (top === "defaults" && at !== undefined) {
    place.push(`Everyone else: ${PLACEMENT_LABELS[at as Placement] ?? at}`);
    rest = rest.slice(2);
  } else {
    place.push(top === "segments" ? "Segments" : "The whole config");
    rest = [];
  }
  if (rest[0] === "message") rest = rest.slice(1);
  for (let n = rest.length; n > 0; n--) {
    const name = FIELD_NAMES[rest.slice(0, n).join(".")];
    if (name) {
      place.push(name);
      break;
    }
  }
  return place.join(" > ");
}

/**
 * The problem in words. The schema's own messages are (e.g. "a message needs text"); zod's generic ones, for a value
 * of the wrong kind or size, are turned into what to do.
 */
export function inWords(issue: Issue): string {
  const m = issue.message;
  if (/weight$/.test(issue.path ?? "") && /expected number/.test(m)) return "enter a weight: a number, 0 or more (0 shows this variant to no one)";
  const size = /^Too (small|big): expected (string|number|array) to (?:have|be) ([<>]=?)(\d+)/.exec(m);
  if (size) {
    const [, , kind, , n] = size;
    const small = size[1] === "small";
    if (kind === "string") return small ? (n === "1" ? "this needs text" : `use at least ${n} characters`) : `use at most ${n} characters`;
    if (kind === "array") return small ? `list at least ${n}` : `list at most ${n}`;
    return small ? `use ${n} or more` : `use at most ${n}`;
  }
  if (/expected number/.test(m)) return "enter a number";
  return m;
}

/**
 * Shows `issues` under their fields in `root` (a problem in "…countries.0" belongs to the field of "…countries")
 * and lists them all in its `#issues`; clears what the last call showed.
 */
export function showIssues(issues: readonly Issue[], draft: Config, root: ParentNode = document): void {
  for (const p of root.querySelectorAll<HTMLElement>("[data-error-for]")) p.textContent = "";
  for (const input of root.querySelectorAll<HTMLElement>("[data-path]")) input.removeAttribute("aria-invalid");
  const list = root.querySelector("#issues");
  list?.replaceChildren();
  for (const issue of issues) {
    const words = inWords(issue);
    let path = issue.path ?? "";
    let target: HTMLElement | null = null;
    while (path && !(target = root.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(path)}"]`))) path = path.slice(0, Math.max(0, path.lastIndexOf(".")));
    if (target) {
      target.textContent = target.textContent ? `${target.textContent}; ${words}` : words;
      root.querySelector(`[data-path="${CSS.escape(path)}"]`)?.setAttribute("aria-invalid", "true");
    }
    list?.append(el("li", {}, el("button", { type: "button", class: "link", "data-issue": issue.path ?? "" }, `${issuePlace(issue.path ?? "", draft)}: ${words}`)));
  }
}
