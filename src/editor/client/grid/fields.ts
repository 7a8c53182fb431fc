/**
 * @module Field binders: labelled inputs bound to a path of the working copy. Each one writes its value into the
 * draft on input and calls `changed` (the preview follows); its error, from the schema, appears right under it
 * (the element `data-error-for` its path, which describes the input). Native inputs where they fit: a colour
 * picker beside each hex field, date and time in the marketer's own time zone for schedules.
 */
import type { Campaign, Message } from "../../../core/config-schema";
import { HEX_COLOUR } from "../../../core/safe";
import type { Placement } from "../../../core/shared";
import { DEVICES, dismissibleByDefault, GUARDRAIL_METRICS } from "../../../core/shared";
import { GUARDRAIL_LABELS } from "../../../core/guardrails";
import { el } from "../dom";

/** Called after every edit. */
export type Changed = () => void;

type Style = NonNullable<Message["style"]>;

/** The element id of the field for a config path ("campaigns.0.name" gives "f-campaigns-0-name"). */
const fieldId = (path: string) => `f-${path.replace(/\W/g, "-")}`;

/** A labelled input (or textarea) bound to `path`; `hint`, the id of a text that describes it too. */
export function field(label: string, path: string, value: string, set: (value: string) => void, changed: Changed, type = "text", hint = ""): HTMLElement {
  const id = fieldId(path);
  const describedBy = `${id}-error${hint && ` ${hint}`}`;
  const input =
    type === "textarea"
      ? el("textarea", { id, rows: "2", "data-path": path, "aria-describedby": describedBy })
      : el("input", { id, type, "data-path": path, "aria-describedby": describedBy, ...(type === "number" ? { min: "0", step: "1" } : {}) });
  input.value = value;
  input.oninput = () => {
    set(input.value);
    changed();
  };
  return el("div", { class: "field" }, el("label", { for: id }, label), input, el("p", { id: `${id}-error`, class: "error", "data-error-for": path }));
}

function checkbox(label: string, path: string, checked: boolean, set: (value: boolean) => void, changed: Changed): HTMLElement {
  const id = fieldId(path);
  const input = el("input", { id, type: "checkbox", "data-path": path });
  input.checked = checked;
  input.onchange = () => {
    set(input.checked);
    changed();
  };
  return el("div", { class: "field check" }, input, el("label", { for: id }, label));
}

/** A labelled select bound to `path`. */
function choice(label: string, path: string, value: string, options: [string, string][], set: (value: string) => void, changed: Changed): HTMLElement {
  const id = fieldId(path);
  const select = el("select", { id, "data-path": path, "aria-describedby": `${id}-error` }, ...options.map(([v, text]) => el("option", { value: v }, text)));
  select.value = value;
  select.onchange = () => {
    set(select.value);
    changed();
  };
  return el("div", { class: "field" }, el("label", { for: id }, label), select, el("p", { id: `${id}-error`, class: "error", "data-error-for": path }));
}

/** "#abc" or "#AABBCC" as a colour input holds it ("#aabbcc"); null for what is not a hex colour yet. */
function pickerValue(hex: string): string | null {
  if (!HEX_COLOUR.test(hex)) return null;
  const digits = hex.slice(1).toLowerCase();
  return `#${digits.length === 3 ? digits.replace(/./g, "$&$&") : digits}`;
}

/**
 * A hex colour field with a colour picker beside it, kept in step: the picker writes the hex, and a complete hex
 * typed moves the picker. The hex field stays the one bound to `path` (where its error shows).
 */
function colour(name: string, path: string, value: string, set: (value: string) => void, changed: Changed): HTMLElement {
  const box = field(`${name} (#rrggbb)`, path, value, set, changed);
  const hex = box.querySelector("input") as HTMLInputElement;
  const picker = el("input", { type: "color", "aria-label": `${name} picker` });
  picker.value = pickerValue(value) ?? "#000000";
  picker.oninput = () => {
    hex.value = picker.value;
    set(picker.value);
    changed();
  };
  hex.addEventListener("input", () => {
    const six = pickerValue(hex.value);
    if (six) picker.value = six;
  });
  const row = el("div", { class: "pick" });
  hex.replaceWith(row);
  row.append(hex, picker);
  return box;
}

/** The fields of a message at `path` (e.g. "campaigns.0.variants.1.message") shown in `placement`. */
export function messageFields(message: Message, path: string, placement: Placement, changed: Changed): HTMLElement[] {
  const style = () => (message.style ??= {});
  const setStyle = (key: keyof Style, value: string) => {
    // The schema checks the values (a colour must be hex, an alignment one of three): the editor passes them on.
    const s = style();
    if (value) (s as Record<string, string>)[key] = value;
    else delete s[key];
    if (Object.keys(s).length === 0) delete message.style;
  };
  const setProgress = (key: "text" | "reached", value: string) => {
    const progress = { text: "", ...message.progress, [key]: value };
    if (!progress.reached) delete progress.reached;
    // Both empty: no progress. One of them: the schema says what the other needs.
    if (progress.text || progress.reached) message.progress = progress;
    else delete message.progress;
  };
  const thresholds = Object.entries(message.threshold ?? {}).map(([c, v]) => `${c} ${v}`).join(", ");
  // What shoppers get when the message does not say: shown as it applies, stored only when it differs.
  const usual = dismissibleByDefault(placement);
  return [
    field("Text", `${path}.text`, message.text, (v) => void (message.text = v), changed, "textarea"),
    field("Link (https://… or /path)", `${path}.link.url`, message.link?.url ?? "", (v) => {
      if (v) message.link = { ...message.link, url: v };
      else delete message.link;
    }, changed),
    field("Link label", `${path}.link.label`, message.link?.label ?? "", (v) => {
      if (!message.link) return;
      if (v) message.link.label = v;
      else delete message.link.label;
    }, changed),
    colour("Background colour", `${path}.style.background`, message.style?.background ?? "", (v) => setStyle("background", v), changed),
    colour("Text colour", `${path}.style.color`, message.style?.color ?? "", (v) => setStyle("color", v), changed),
    colour("Link colour", `${path}.style.linkColor`, message.style?.linkColor ?? "", (v) => setStyle("linkColor", v), changed),
    choice("Alignment", `${path}.style.align`, message.style?.align ?? "", [["", "Centred (default)"], ["left", "Left"], ["right", "Right"]], (v) => setStyle("align", v), changed),
    choice("Size", `${path}.style.size`, message.style?.size ?? "", [["", "Medium (default)"], ["small", "Small"], ["large", "Large"]], (v) => setStyle("size", v), changed),
    field("Free-shipping thresholds in cents, e.g. EUR 6000, USD 7500 ({{threshold}} in a text)", `${path}.threshold`, thresholds, (v) => {
      const entries = v.split(",").map((part) => part.trim().split(/\s+/)).filter((p) => p[0]);
      if (entries.length === 0) delete message.threshold;
      else message.threshold = Object.fromEntries(entries.map(([c, n]) => [c ?? "", Number(n)]));
    }, changed),
    field("Progress with a cart, e.g. Add {{remaining}} more for free shipping", `${path}.progress.text`, message.progress?.text ?? "", (v) => setProgress("text", v), changed, "textarea"),
    field("Once the cart reaches the threshold, e.g. Your order ships free", `${path}.progress.reached`, message.progress?.reached ?? "", (v) => setProgress("reached", v), changed, "textarea"),
    checkbox("Shoppers can dismiss it", `${path}.dismissible`, message.dismissible ?? usual, (v) => {
      if (v === usual) delete message.dismissible;
      else message.dismissible = v;
    }, changed),
  ];
}

const pad = (n: number) => String(n).padStart(2, "0");

/** An ISO time as a date-and-time input holds it, in this browser's time zone: "2026-12-01T09:00". */
function localTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/**
 * A date-and-time input's "2026-12-01T09:00" as ISO with this browser's offset on that day, "2026-12-01T09:00:00+01:00":
 * the time the marketer chose, as they read it, with the zone that makes it exact.
 */
function isoTime(local: string): string {
  const offset = -new Date(local).getTimezoneOffset();
  const abs = Math.abs(offset);
  return `${local.slice(0, 16)}:00${offset < 0 ? "-" : "+"}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** A campaign's optional start and end, at `path` ("campaigns.0.schedule"), as dates and times in the marketer's time zone. */
export function scheduleFields(campaign: Campaign, path: string, changed: Changed): HTMLElement[] {
  const set = (key: "start" | "end", value: string) => {
    const schedule = (campaign.schedule ??= {});
    if (value) schedule[key] = isoTime(value);
    else delete schedule[key];
    if (!schedule.start && !schedule.end) delete campaign.schedule;
  };
  const hint = `${fieldId(path)}-zone`;
  const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  return [
    el("p", { id: hint, class: "hint" }, `Times in your time zone, ${zone}. Leave empty to start now or never end.`),
    field("Starts (optional)", `${path}.start`, localTime(campaign.schedule?.start ?? ""), (v) => set("start", v), changed, "datetime-local", hint),
    field("Ends (optional)", `${path}.end`, localTime(campaign.schedule?.end ?? ""), (v) => set("end", v), changed, "datetime-local", hint),
  ];
}

/** The audience beyond segments, at `path` ("campaigns.0.audience"): countries, pages, devices, new or returning visitors. */
export function audienceFields(campaign: Campaign, path: string, changed: Changed): HTMLElement[] {
  const audience = () => (campaign.audience ??= {});
  const tidy = () => {
    if (campaign.audience && Object.keys(campaign.audience).length === 0) delete campaign.audience;
  };
  const list = (v: string) => v.split(",").map((x) => x.trim()).filter(Boolean);
  const devices = campaign.audience?.devices ?? [];
  const deviceBoxes = DEVICES.map((device) =>
    checkbox(`Only on ${device}`, `${path}.devices.${device}`, devices.includes(device), (on) => {
      const now = new Set(campaign.audience?.devices ?? []);
      if (on) now.add(device);
      else now.delete(device);
      if (now.size) audience().devices = [...now];
      else delete audience().devices;
      tidy();
    }, changed),
  );
  const visitorId = `${fieldId(path)}-visitor`;
  const visitor = el("select", { id: visitorId, "data-path": `${path}.visitor` }, el("option", { value: "" }, "Any visitor"), el("option", { value: "new" }, "First visit only"), el("option", { value: "returning" }, "Returning visitors only"));
  visitor.value = campaign.audience?.visitor ?? "";
  visitor.onchange = () => {
    if (visitor.value === "new" || visitor.value === "returning") audience().visitor = visitor.value;
    else delete audience().visitor;
    tidy();
    changed();
  };
  return [
    field("Only in countries (e.g. US, CA)", `${path}.countries`, (campaign.audience?.countries ?? []).join(", "), (v) => {
      const codes = list(v).map((c) => c.toUpperCase());
      if (codes.length) audience().countries = codes;
      else delete audience().countries;
      tidy();
    }, changed),
    field("Only on pages (e.g. /products/*)", `${path}.paths`, (campaign.audience?.paths ?? []).join(", "), (v) => {
      const paths = list(v);
      if (paths.length) audience().paths = paths;
      else delete audience().paths;
      tidy();
    }, changed),
    ...deviceBoxes,
    el("div", { class: "field" }, el("label", { for: visitorId }, "Visitors"), visitor),
  ];
}

/**
 * An experiment's guardrails, at `path` ("campaigns.0.experiment.guardrails"): a box per metric; a variant the test
 * finds worse on a ticked one is switched off by the guardrail.
 */
export function guardrailFields(campaign: Campaign, path: string, changed: Changed): HTMLElement[] {
  const ticked = campaign.experiment?.guardrails ?? [];
  return GUARDRAIL_METRICS.map((metric) =>
    checkbox(`Switch off a variant worse on ${GUARDRAIL_LABELS[metric]}`, `${path}.${metric}`, ticked.includes(metric), (on) => {
      const experiment = (campaign.experiment ??= {});
      const now = GUARDRAIL_METRICS.filter((m) => (m === metric ? on : (experiment.guardrails ?? []).includes(m)));
      if (now.length) experiment.guardrails = now;
      else delete experiment.guardrails;
      if (Object.keys(experiment).length === 0) delete campaign.experiment;
    }, changed),
  );
}
