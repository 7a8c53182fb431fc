/**
 * @module Field binders: labelled inputs bound to a path of the working copy. Each one writes its value into the
 * draft on input and calls `changed` (the preview follows); its error, from the schema, appears right under it
 * (the element `data-error-for` its path, which describes the input).
 */
import type { Campaign, Message } from "../../../core/config-schema";
import { DEVICES } from "../../../core/shared";
import { el } from "../dom";

/** Called after every edit. */
export type Changed = () => void;

type Style = NonNullable<Message["style"]>;

/** The element id of the field for a config path ("campaigns.0.name" gives "f-campaigns-0-name"). */
const fieldId = (path: string) => `f-${path.replace(/\W/g, "-")}`;

/** A labelled input (or textarea) bound to `path`. */
export function field(label: string, path: string, value: string, set: (value: string) => void, changed: Changed, type = "text"): HTMLElement {
  const id = fieldId(path);
  const input =
    type === "textarea"
      ? el("textarea", { id, rows: "2", "data-path": path, "aria-describedby": `${id}-error` })
      : el("input", { id, type, "data-path": path, "aria-describedby": `${id}-error`, ...(type === "number" ? { min: "0", step: "1" } : {}) });
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

/** The fields of a message at `path` (e.g. "campaigns.0.variants.1.message"). */
export function messageFields(message: Message, path: string, changed: Changed): HTMLElement[] {
  const style = () => (message.style ??= {});
  const setStyle = (key: keyof Style, value: string) => {
    // The schema checks the values (a colour must be hex, an alignment one of three): the editor passes them on.
    const s = style();
    if (value) (s as Record<string, string>)[key] = value;
    else delete s[key];
    if (Object.keys(s).length === 0) delete message.style;
  };
  const thresholds = Object.entries(message.threshold ?? {}).map(([c, v]) => `${c} ${v}`).join(", ");
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
    field("Background colour (#rrggbb)", `${path}.style.background`, message.style?.background ?? "", (v) => setStyle("background", v), changed),
    field("Text colour (#rrggbb)", `${path}.style.color`, message.style?.color ?? "", (v) => setStyle("color", v), changed),
    field("Link colour (#rrggbb)", `${path}.style.linkColor`, message.style?.linkColor ?? "", (v) => setStyle("linkColor", v), changed),
    choice("Alignment", `${path}.style.align`, message.style?.align ?? "", [["", "Centred (default)"], ["left", "Left"], ["right", "Right"]], (v) => setStyle("align", v), changed),
    choice("Size", `${path}.style.size`, message.style?.size ?? "", [["", "Medium (default)"], ["small", "Small"], ["large", "Large"]], (v) => setStyle("size", v), changed),
    field("Free-shipping thresholds in cents, e.g. EUR 6000, USD 7500", `${path}.threshold`, thresholds, (v) => {
      const entries = v.split(",").map((part) => part.trim().split(/\s+/)).filter((p) => p[0]);
      if (entries.length === 0) delete message.threshold;
      else message.threshold = Object.fromEntries(entries.map(([c, n]) => [c ?? "", Number(n)]));
    }, changed),
    checkbox("Shoppers can dismiss it", `${path}.dismissible`, message.dismissible ?? false, (v) => void (message.dismissible = v), changed),
  ];
}

/** A campaign's optional start and end, at `path` ("campaigns.0.schedule"). */
export function scheduleFields(campaign: Campaign, path: string, changed: Changed): HTMLElement[] {
  const set = (key: "start" | "end", value: string) => {
    const schedule = (campaign.schedule ??= {});
    if (value) schedule[key] = value;
    else delete schedule[key];
    if (!schedule.start && !schedule.end) delete campaign.schedule;
  };
  return [
    field("Starts (ISO time, optional)", `${path}.start`, campaign.schedule?.start ?? "", (v) => set("start", v), changed),
    field("Ends (ISO time, optional)", `${path}.end`, campaign.schedule?.end ?? "", (v) => set("end", v), changed),
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
