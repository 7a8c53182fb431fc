/**
 * @module The marketer's editor in the browser: sign in with a site and a token, then the site's grid (a row per
 * segment in precedence order, then geo and other campaigns, then everyone else; a column per placement), each
 * cell with its messages and their variants and weights. Marketer text only ever goes in through `textContent`.
 * The token lives in this tab's sessionStorage and travels in the Authorization header, never in a cookie.
 */
import type { Campaign, Config, Message } from "../../core/config-schema";
import type { Placement } from "../../core/shared";
import { MAX_IMPORT_ROWS, SITE_ID } from "../../core/shared";
import { RUNTIME_JS } from "../../../snippet/dist/runtime";

const PLACEMENT_LABELS: Record<Placement, string> = { topbar: "Top bar", shipping: "Free shipping", returns: "Free returns" };
const PLACEMENTS = Object.keys(PLACEMENT_LABELS) as Placement[];
const SESSION_KEY = "valuebar_editor";

interface Session {
  site: string;
  token: string;
}

const app = document.getElementById("app") as HTMLElement;

/** An element with text (never HTML) and attributes. */
function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...children: (Node | string)[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

async function api(session: Session, path: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers);
  headers.set("authorization", `Bearer ${session.token}`);
  return fetch(`/admin/sites/${encodeURIComponent(session.site)}${path}`, { ...init, headers });
}

function savedSession(): Session | null {
  try {
    const value = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? "null") as Session | null;
    return value && typeof value.site == "string" && typeof value.token == "string" ? value : null;
  } catch {
    return null;
  }
}

function showSignIn(problem = ""): void {
  const site = el("input", { id: "site", name: "site", required: "", autocomplete: "off", pattern: SITE_ID.source.slice(1, -1), value: savedSession()?.site ?? "" });
  const token = el("input", { id: "token", name: "token", type: "password", required: "", autocomplete: "off" });
  const error = el("p", { id: "sign-in-error", role: "alert", class: "error" }, problem);
  const form = el(
    "form",
    { class: "sign-in", "aria-describedby": "sign-in-error" },
    el("h1", {}, "valuebar editor"),
    el("label", { for: "site" }, "Site id"),
    site,
    el("label", { for: "token" }, "Token"),
    token,
    error,
    el("button", { type: "submit" }, "Sign in"),
  );
  form.onsubmit = async (event) => {
    event.preventDefault();
    const session = { site: site.value.trim(), token: token.value.trim() };
    const res = await api(session, "/config");
    if (res.status === 401) return void (error.textContent = "This token is not valid for that site.");
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    await showSite(session, res);
  };
  app.replaceChildren(form);
  (site.value ? token : site).focus();
}

/** What the editor holds for the signed-in site. */
interface State {
  session: Session;
  live: Config;
  /** The working copy every edit changes; published as a new version. */
  draft: Config;
  /** The cell being edited. */
  editing: { kind: "campaign"; index: number } | { kind: "default"; placement: Placement } | null;
  viewAs: { segment: string; country: string; currency: string; device: string; cartTotal: string };
  issues: { path: string; message: string }[];
  page: "messages" | "experiments" | "segments";
  /** The token's role, from the API's answers: an analyst is offered no preview link. */
  role: string | null;
}

let state: State | null = null;
let previewTimer: ReturnType<typeof setTimeout> | undefined;
// Only the latest preview request may update the page: an older answer arriving late is dropped.
let previewSeq = 0;

async function showSite(session: Session, first?: Response): Promise<void> {
  const res = first ?? (await api(session, "/config"));
  if (res.status === 401) return showSignIn("Your token is no longer valid. Sign in again.");
  // An importer may not read the messages: the segments page is theirs.
  const importer = res.status === 403;
  const live: Config = res.status === 404 || importer ? { segments: [], campaigns: [], defaults: {} } : ((await res.json()) as Config);
  state = {
    session,
    live,
    draft: structuredClone(live),
    editing: null,
    viewAs: { segment: live.segments[0] ?? "", country: "", currency: "EUR", device: "desktop", cartTotal: "" },
    issues: [],
    page: importer ? "segments" : "messages",
    role: res.headers.get("x-valuebar-role"),
  };
  render();
  if (importer) await showSegments();
  else await showHistory();
}

function render(): void {
  if (!state) return;
  const { session } = state;
  const signOut = el("button", { type: "button", class: "link" }, "Sign out");
  signOut.onclick = () => {
    sessionStorage.removeItem(SESSION_KEY);
    state = null;
    showSignIn();
  };
  const changed = JSON.stringify(state.draft) !== JSON.stringify(state.live);
  const tab = (name: State["page"], label: string) => {
    const b = el("button", { type: "button", class: "tab", ...(state?.page === name ? { "aria-current": "page" } : {}) }, label);
    b.onclick = () => {
      if (!state) return;
      state.page = name;
      render();
      if (name === "messages") void showHistory();
      else if (name === "experiments") void showExperiments();
      else void showSegments();
    };
    return b;
  };
  const header = el(
    "header",
    { class: "bar" },
    el("h1", {}, `valuebar · ${session.site}`),
    el("nav", { "aria-label": "Editor" }, tab("messages", "Messages"), tab("experiments", "Experiments"), tab("segments", "Segments")),
    el("span", { class: "status", role: "status", id: "status" }, changed ? "Unpublished changes" : ""),
    signOut,
  );
  if (state.page === "experiments") {
    app.replaceChildren(header, el("main", { id: "experiments", "aria-busy": "true" }, el("h2", {}, "Experiments")));
    return;
  }
  if (state.page === "segments") {
    app.replaceChildren(header, el("main", { id: "segments" }, el("h2", {}, "Segments")));
    return;
  }
  app.replaceChildren(
    header,
    el("main", { class: "layout" }, el("section", { "aria-label": "Messages" }, grid(state.draft)), panel()),
    el("section", { class: "history", "aria-labelledby": "history-title" }, el("h2", { id: "history-title" }, "History"), el("ol", { id: "versions" })),
  );
}

function setStatus(text: string): void {
  const status = document.getElementById("status");
  if (status) status.textContent = text;
}
/** The campaigns that reach a segment through `any` or `all`, in a placement. */
function campaignsFor(config: Config, placement: Placement, segment: string | null): Campaign[] {
  return config.campaigns.filter((c) => {
    if (c.placement !== placement) return false;
    const targeted = [...(c.audience?.segments?.any ?? []), ...(c.audience?.segments?.all ?? [])];
    return segment === null ? targeted.length === 0 : targeted.includes(segment);
  });
}

function grid(config: Config): HTMLTableElement {
  const head = el("tr", {}, el("th", { scope: "col" }, "Who"), ...PLACEMENTS.map((p) => el("th", { scope: "col" }, PLACEMENT_LABELS[p])));
  const rows: HTMLTableRowElement[] = [];
  for (const segment of config.segments) {
    rows.push(el("tr", { "data-segment": segment }, el("th", { scope: "row" }, segment), ...PLACEMENTS.map((p) => cell(config, p, segment))));
  }
  rows.push(el("tr", { "data-segment": "(other)" }, el("th", { scope: "row" }, "Geo, page and device campaigns"), ...PLACEMENTS.map((p) => cell(config, p, null))));
  rows.push(
    el(
      "tr",
      { "data-segment": "(everyone)" },
      el("th", { scope: "row" }, "Everyone else"),
      ...PLACEMENTS.map((p) => {
        const message = config.defaults[p];
        const edit = button(message ? "Edit" : "Add a default", `Edit the default ${PLACEMENT_LABELS[p]} message`, () => openEditor({ kind: "default", placement: p }));
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

function button(text: string, label: string, onClick: () => void, kind = "link"): HTMLButtonElement {
  const b = el("button", { type: "button", class: kind, "aria-label": label }, text);
  b.onclick = onClick;
  return b;
}

function cell(config: Config, placement: Placement, segment: string | null): HTMLTableCellElement {
  const campaigns = campaignsFor(config, placement, segment);
  const td = el("td", { "data-placement": placement });
  if (campaigns.length === 0) {
    td.append(el("span", { class: "none" }, "—"));
    if (segment !== null) {
      td.append(el("div", {}, button("Add a message", `Add a ${PLACEMENT_LABELS[placement]} message for ${segment}`, () => addCampaign(placement, segment))));
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
    const edit = button("Edit", `Edit ${campaign.name ?? campaign.id}`, () => openEditor({ kind: "campaign", index }));
    td.append(el("div", { class: "campaign", "data-campaign": campaign.id }, el("strong", {}, campaign.name ?? campaign.id), list, edit));
  }
  return td;
}

function messageLine(message: Message): HTMLSpanElement {
  const line = el("span", { class: "message" }, message.text);
  if (message.style?.background) line.style.borderLeft = `6px solid ${message.style.background}`;
  return line;
}

function addCampaign(placement: Placement, segment: string): void {
  if (!state) return;
  const taken = new Set(state.draft.campaigns.map((c) => c.id));
  let id = `${segment}-${placement}`.replace(/_/g, "-");
  for (let n = 2; taken.has(id); n++) id = `${segment}-${placement}-${n}`.replace(/_/g, "-");
  state.draft.campaigns.push({ id, placement, audience: { segments: { any: [segment] } }, variants: [{ id: "a", weight: 100, message: { text: "" } }] });
  openEditor({ kind: "campaign", index: state.draft.campaigns.length - 1 });
}

function openEditor(editing: NonNullable<State["editing"]>): void {
  if (!state) return;
  state.editing = editing;
  render();
  void showHistory();
  document.querySelector<HTMLElement>(".panel textarea, .panel input")?.focus();
  schedulePreview(0);
}

/** The element id of the field for a config path ("campaigns.0.name" gives "f-campaigns-0-name"). */
const fieldId = (path: string) => `f-${path.replace(/\W/g, "-")}`;

/** A labelled input bound to a path of the draft; its error (from the schema) appears right under it. */
function field(label: string, path: string, value: string, set: (value: string) => void, type = "text"): HTMLElement {
  const id = fieldId(path);
  const input =
    type === "textarea"
      ? el("textarea", { id, rows: "2", "data-path": path, "aria-describedby": `${id}-error` })
      : el("input", { id, type, "data-path": path, "aria-describedby": `${id}-error`, ...(type === "number" ? { min: "0", step: "1" } : {}) });
  input.value = value;
  input.oninput = () => {
    set(input.value);
    schedulePreview();
  };
  return el("div", { class: "field" }, el("label", { for: id }, label), input, el("p", { id: `${id}-error`, class: "error", "data-error-for": path }));
}

function checkbox(label: string, path: string, checked: boolean, set: (value: boolean) => void): HTMLElement {
  const id = fieldId(path);
  const input = el("input", { id, type: "checkbox", "data-path": path });
  input.checked = checked;
  input.onchange = () => {
    set(input.checked);
    schedulePreview();
  };
  return el("div", { class: "field check" }, input, el("label", { for: id }, label));
}

/** The fields of a message at `path` (e.g. "campaigns.0.variants.1.message"). */
function messageFields(message: Message, path: string): HTMLElement[] {
  const style = () => (message.style ??= {});
  const thresholds = Object.entries(message.threshold ?? {}).map(([c, v]) => `${c} ${v}`).join(", ");
  return [
    field("Text", `${path}.text`, message.text, (v) => void (message.text = v), "textarea"),
    field("Link (https://… or /path)", `${path}.link.url`, message.link?.url ?? "", (v) => {
      if (v) message.link = { ...message.link, url: v };
      else delete message.link;
    }),
    field("Link label", `${path}.link.label`, message.link?.label ?? "", (v) => {
      if (!message.link) return;
      if (v) message.link.label = v;
      else delete message.link.label;
    }),
    field("Background colour (#rrggbb)", `${path}.style.background`, message.style?.background ?? "", (v) => setStyle(style(), "background", v, message)),
    field("Text colour (#rrggbb)", `${path}.style.color`, message.style?.color ?? "", (v) => setStyle(style(), "color", v, message)),
    field("Link colour (#rrggbb)", `${path}.style.linkColor`, message.style?.linkColor ?? "", (v) => setStyle(style(), "linkColor", v, message)),
    choice("Alignment", `${path}.style.align`, message.style?.align ?? "", [["", "Centred (default)"], ["left", "Left"], ["right", "Right"]], (v) => setStyle(style(), "align", v, message)),
    choice("Size", `${path}.style.size`, message.style?.size ?? "", [["", "Medium (default)"], ["small", "Small"], ["large", "Large"]], (v) => setStyle(style(), "size", v, message)),
    field("Free-shipping thresholds in cents, e.g. EUR 6000, USD 7500", `${path}.threshold`, thresholds, (v) => {
      const entries = v.split(",").map((part) => part.trim().split(/\s+/)).filter((p) => p[0]);
      if (entries.length === 0) delete message.threshold;
      else message.threshold = Object.fromEntries(entries.map(([c, n]) => [c ?? "", Number(n)]));
    }),
    checkbox("Shoppers can dismiss it", `${path}.dismissible`, message.dismissible ?? false, (v) => void (message.dismissible = v)),
  ];
}

function setStyle(style: NonNullable<Message["style"]>, key: keyof NonNullable<Message["style"]>, value: string, message: Message): void {
  // The schema checks the values (a colour must be hex, an alignment one of three): the editor passes them on.
  if (value) (style as Record<string, string>)[key] = value;
  else delete style[key];
  if (Object.keys(style).length === 0) delete message.style;
}

/** A labelled select bound to a path of the draft. */
function choice(label: string, path: string, value: string, options: [string, string][], set: (value: string) => void): HTMLElement {
  const id = fieldId(path);
  const select = el("select", { id, "data-path": path, "aria-describedby": `${id}-error` }, ...options.map(([v, text]) => el("option", { value: v }, text)));
  select.value = value;
  select.onchange = () => {
    set(select.value);
    schedulePreview();
  };
  return el("div", { class: "field" }, el("label", { for: id }, label), select, el("p", { id: `${id}-error`, class: "error", "data-error-for": path }));
}

function panel(): HTMLElement {
  const aside = el("aside", { class: "panel", "aria-label": "Edit and preview" });
  if (!state?.editing) {
    aside.append(el("p", { class: "none" }, "Choose Edit on a message to change it and see it as shoppers will."));
    return aside;
  }
  const { draft, editing } = state;
  const form = el("form", { class: "edit", novalidate: "" });
  form.onsubmit = (e) => e.preventDefault();
  if (editing.kind === "default") {
    const message = (draft.defaults[editing.placement] ??= { text: "" });
    form.append(el("h2", {}, `Everyone else: ${PLACEMENT_LABELS[editing.placement]}`), ...messageFields(message, `defaults.${editing.placement}`));
  } else {
    const campaign = draft.campaigns[editing.index];
    if (!campaign) return aside;
    const base = `campaigns.${editing.index}`;
    form.append(
      el("h2", {}, campaign.name ?? campaign.id),
      field("Name", `${base}.name`, campaign.name ?? "", (v) => void (v ? (campaign.name = v) : delete campaign.name)),
      field("Starts (ISO time, optional)", `${base}.schedule.start`, campaign.schedule?.start ?? "", (v) => setSchedule(campaign, "start", v)),
      field("Ends (ISO time, optional)", `${base}.schedule.end`, campaign.schedule?.end ?? "", (v) => setSchedule(campaign, "end", v)),
      ...audienceFields(campaign, `${base}.audience`),
    );
    campaign.variants.forEach((variant, j) => {
      const path = `${base}.variants.${j}`;
      const set = el("fieldset", { "data-variant": variant.id }, el("legend", {}, `Variant ${variant.id}${variant.control ? " (control: sees the default)" : ""}`));
      set.append(field("Weight", `${path}.weight`, String(variant.weight), (v) => void (variant.weight = Number(v)), "number"));
      if (variant.message) set.append(...messageFields(variant.message, `${path}.message`));
      if (campaign.variants.length > 1) set.append(button("Remove this variant", `Remove variant ${variant.id}`, () => removeVariant(campaign, j)));
      form.append(set);
    });
    form.append(button("Add a variant (A/B test)", "Add a variant", () => addVariant(campaign)));
  }
  form.append(el("ul", { class: "issues", id: "issues", "aria-live": "polite" }));
  aside.append(form, viewAsBar(), el("iframe", { id: "preview", title: "Preview as on the store", sandbox: "allow-scripts" }), publishBar());
  return aside;
}

/** The audience beyond segments: countries, pages, devices, new or returning visitors. */
function audienceFields(campaign: Campaign, path: string): HTMLElement[] {
  const audience = () => (campaign.audience ??= {});
  const tidy = () => {
    if (campaign.audience && Object.keys(campaign.audience).length === 0) delete campaign.audience;
  };
  const list = (v: string) => v.split(",").map((x) => x.trim()).filter(Boolean);
  const devices = campaign.audience?.devices ?? [];
  const deviceBoxes = (["mobile", "tablet", "desktop"] as const).map((device) =>
    checkbox(`Only on ${device}`, `${path}.devices.${device}`, devices.includes(device), (on) => {
      const now = new Set(campaign.audience?.devices ?? []);
      if (on) now.add(device);
      else now.delete(device);
      if (now.size) audience().devices = [...now];
      else delete audience().devices;
      tidy();
    }),
  );
  const visitorId = `${fieldId(path)}-visitor`;
  const visitor = el("select", { id: visitorId, "data-path": `${path}.visitor` }, el("option", { value: "" }, "Any visitor"), el("option", { value: "new" }, "First visit only"), el("option", { value: "returning" }, "Returning visitors only"));
  visitor.value = campaign.audience?.visitor ?? "";
  visitor.onchange = () => {
    if (visitor.value === "new" || visitor.value === "returning") audience().visitor = visitor.value;
    else delete audience().visitor;
    tidy();
    schedulePreview();
  };
  return [
    field("Only in countries (e.g. US, CA)", `${path}.countries`, (campaign.audience?.countries ?? []).join(", "), (v) => {
      const codes = list(v).map((c) => c.toUpperCase());
      if (codes.length) audience().countries = codes;
      else delete audience().countries;
      tidy();
    }),
    field("Only on pages (e.g. /products/*)", `${path}.paths`, (campaign.audience?.paths ?? []).join(", "), (v) => {
      const paths = list(v);
      if (paths.length) audience().paths = paths;
      else delete audience().paths;
      tidy();
    }),
    ...deviceBoxes,
    el("div", { class: "field" }, el("label", { for: visitorId }, "Visitors"), visitor),
  ];
}

function setSchedule(campaign: Campaign, key: "start" | "end", value: string): void {
  const schedule = (campaign.schedule ??= {});
  if (value) schedule[key] = value;
  else delete schedule[key];
  if (!schedule.start && !schedule.end) delete campaign.schedule;
}

function addVariant(campaign: Campaign): void {
  const ids = new Set(campaign.variants.map((v) => v.id));
  const id = "abcdefghij".split("").find((c) => !ids.has(c)) ?? `v${campaign.variants.length + 1}`;
  const model = campaign.variants.find((v) => v.message)?.message;
  campaign.variants.push({ id, weight: campaign.variants[0]?.weight ?? 50, message: { text: model?.text ?? "" } });
  rerenderPanel();
}

function removeVariant(campaign: Campaign, index: number): void {
  campaign.variants.splice(index, 1);
  rerenderPanel();
}

function rerenderPanel(): void {
  render();
  void showHistory();
  schedulePreview(0);
}

function viewAsBar(): HTMLElement {
  if (!state) return el("div");
  const v = state.viewAs;
  const select = (label: string, key: keyof State["viewAs"], options: [string, string][]) => {
    const id = `as-${key}`;
    const s = el("select", { id }, ...options.map(([value, text]) => el("option", { value }, text)));
    s.value = v[key];
    s.onchange = () => {
      v[key] = s.value;
      schedulePreview(0);
    };
    return el("div", { class: "field" }, el("label", { for: id }, label), s);
  };
  const input = (label: string, key: keyof State["viewAs"], attrs: Record<string, string>) => {
    const id = `as-${key}`;
    const i = el("input", { id, ...attrs });
    i.value = v[key];
    i.oninput = () => {
      v[key] = i.value;
      schedulePreview();
    };
    return el("div", { class: "field" }, el("label", { for: id }, label), i);
  };
  return el(
    "fieldset",
    { class: "view-as" },
    el("legend", {}, "View as"),
    select("Segment", "segment", [["", "No segment"], ...state.draft.segments.map((s): [string, string] => [s, s])]),
    input("Country", "country", { maxlength: "2", size: "3", placeholder: "US" }),
    select("Currency", "currency", ["EUR", "USD", "GBP"].map((c): [string, string] => [c, c])),
    select("Device", "device", [["desktop", "Desktop"], ["mobile", "Mobile"], ["tablet", "Tablet"]]),
    input("Cart total", "cartTotal", { type: "number", min: "0", step: "0.01", size: "6" }),
  );
}

function schedulePreview(delay = 250): void {
  clearTimeout(previewTimer);
  previewTimer = setTimeout(() => void refreshPreview(), delay);
}

/** Asks the Worker for the decision on the working copy, shows its problems by their fields, and renders it. */
async function refreshPreview(): Promise<void> {
  if (!state) return;
  clearTimeout(previewTimer);
  const seq = ++previewSeq;
  const { viewAs } = state;
  const res = await api(state.session, "/preview", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      config: state.draft,
      as: {
        segments: viewAs.segment ? [viewAs.segment] : [],
        ...(viewAs.country.length === 2 ? { country: viewAs.country.toUpperCase() } : {}),
        currency: viewAs.currency,
        device: viewAs.device,
      },
    }),
  });
  const body = (await res.json()) as { decision?: unknown; error?: { issues?: State["issues"] } };
  if (seq !== previewSeq || !state) return;
  state.issues = res.ok ? [] : (body.error?.issues ?? []);
  showIssues();
  const changed = JSON.stringify(state.draft) !== JSON.stringify(state.live);
  setStatus(state.issues.length ? `${state.issues.length} problem(s) to fix before publishing` : changed ? "Unpublished changes" : "");
  if (res.ok) renderPreview(body.decision);
}

function showIssues(): void {
  if (!state) return;
  for (const p of document.querySelectorAll<HTMLElement>("[data-error-for]")) p.textContent = "";
  for (const input of document.querySelectorAll<HTMLElement>("[data-path]")) input.removeAttribute("aria-invalid");
  const list = document.getElementById("issues");
  list?.replaceChildren();
  for (const issue of state.issues) {
    // The field of the issue's path, or of its nearest parent ("…countries.0" belongs to "…countries").
    let path = issue.path;
    let target: HTMLElement | null = null;
    while (path && !(target = document.querySelector<HTMLElement>(`[data-error-for="${CSS.escape(path)}"]`))) path = path.slice(0, Math.max(0, path.lastIndexOf(".")));
    if (target) {
      target.textContent = target.textContent ? `${target.textContent}; ${issue.message}` : issue.message;
      document.querySelector(`[data-path="${CSS.escape(path)}"]`)?.setAttribute("aria-invalid", "true");
    } else list?.append(el("li", { class: "error" }, `${issue.path}: ${issue.message}`));
  }
}

/** The decision drawn by the real runtime in a sandboxed store page (storing and sending nothing). */
function renderPreview(decision: unknown): void {
  const frame = document.getElementById("preview") as HTMLIFrameElement | null;
  if (!frame || !state) return;
  const nonce = (document.querySelector("script[nonce]") as HTMLScriptElement | null)?.nonce ?? "";
  const total = Number(state.viewAs.cartTotal);
  const cart = state.viewAs.cartTotal && Number.isFinite(total) ? { total: Math.round(total * 100), currency: state.viewAs.currency } : null;
  const payload = JSON.stringify({ site: state.session.site, decision, consent: false }).replace(/</g, "\\u003c");
  const setup = JSON.stringify({ consent: false, cart }).replace(/</g, "\\u003c");
  frame.srcdoc = `<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0;font:15px system-ui,sans-serif}header{padding:14px 20px;border-bottom:1px solid #ddd}main{padding:12px 20px}[data-valuebar]{color:#0b5d3b;font-weight:600}</style></head><body><header>Your store</header><main><p data-valuebar="shipping"></p><p data-valuebar="returns"></p></main><script nonce="${nonce}">window.valuebar=${setup};(function(){${RUNTIME_JS}\n__vbr.run(${payload})})();</script></body></html>`;
}

function publishBar(): HTMLElement {
  const note = el("input", { id: "publish-note", placeholder: "What changed, e.g. Winter sale copy" });
  const publish = button("Publish", "Publish these changes", () => void publishDraft(note.value), "primary");
  const bar = el("div", { class: "publish" }, el("label", { for: "publish-note" }, "Note for the history"), note, publish);
  // A preview link shows the draft to whoever holds it: editors and the owner make them, analysts only read.
  if (state?.role === "analyst") return bar;
  const storePage = el("input", { id: "store-page", type: "url", placeholder: "https://your-store.example/" });
  const out = el("p", { id: "preview-link", role: "status" });
  const link = button("Get a preview link", "Get a preview link for the store", () => void previewLink(storePage.value.trim(), out));
  bar.append(el("label", { for: "store-page" }, "Store page to preview on (optional)"), storePage, link, out);
  return bar;
}

/** Saves the working copy as the draft and gives a signed link (an hour) that shows it on the real store. */
async function previewLink(storePage: string, out: HTMLElement): Promise<void> {
  if (!state) return;
  await refreshPreview();
  previewSeq++;
  if (state.issues.length) return void (out.textContent = `Fix the ${state.issues.length} problem(s) first.`);
  const saved = await api(state.session, "/draft", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(state.draft) });
  if (!saved.ok) return void (out.textContent = saved.status === 403 ? "Your role cannot save a draft." : `The draft was not saved (${saved.status}).`);
  const res = await api(state.session, "/draft/preview-link", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ minutes: 60 }) });
  if (!res.ok) return void (out.textContent = `No preview link (${res.status}).`);
  const { param, expiresAt } = (await res.json()) as { param: string; expiresAt: string };
  const until = ` Valid until ${new Date(expiresAt).toLocaleTimeString()}: anyone with the link sees the draft, shoppers without it do not.`;
  if (!/^https?:\/\//.test(storePage)) return void (out.textContent = `Add ?${param} to any page of your store.${until}`);
  const href = `${storePage}${storePage.includes("?") ? "&" : "?"}${param}`;
  out.replaceChildren(el("a", { href, target: "_blank", rel: "noopener", id: "preview-link-a" }, "Open the store with this draft"), until);
}

async function publishDraft(note: string): Promise<void> {
  if (!state) return;
  await refreshPreview();
  // Whatever a preview still in flight says now, this publish's outcome is the status shown.
  previewSeq++;
  if (state.issues.length) return setStatus(`Not published: ${state.issues.length} problem(s) to fix first`);
  const saved = await api(state.session, "/draft", { method: "PUT", headers: { "content-type": "application/json" }, body: JSON.stringify(state.draft) });
  if (saved.status === 403) return setStatus("Not published: your role cannot publish");
  if (!saved.ok) return setStatus(`Not published: ${((await saved.json()) as { error?: { message?: string } }).error?.message ?? saved.status}`);
  const { savedAt } = (await saved.json()) as { savedAt: string };
  const res = await api(state.session, "/draft/publish", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ note, savedAt }) });
  if (res.status === 409) return setStatus("Not published: someone else saved a draft meanwhile; publish again to publish yours");
  if (!res.ok) return setStatus(`Not published (${res.status})`);
  const version = (await res.json()) as { version: number };
  await reloadLive(res.status === 202 ? pendingText(version.version) : `Version ${version.version} is live`);
}

/** A publish the site recorded while KV did not take it yet (202): it reaches the stores when the retry does. */
function pendingText(version: number): string {
  return `Version ${version} is saved; the stores still show the one before until storage answers (retried automatically)`;
}

async function reloadLive(message: string): Promise<void> {
  if (!state) return;
  const res = await api(state.session, "/config");
  if (res.ok) state.live = (await res.json()) as Config;
  state.draft = structuredClone(state.live);
  state.editing = null;
  render();
  setStatus(message);
  await showHistory();
}

/**
 * Versions, newest first, with author, time, note and what changed; any older one can be made live again. The
 * API pages them: "Older versions" appends the next page.
 */
async function showHistory(before?: number): Promise<void> {
  if (!state) return;
  const list = document.getElementById("versions");
  const res = await api(state.session, `/config/versions${before === undefined ? "" : `?before=${before}`}`);
  if (!list || !res.ok) return;
  const { versions, next } = (await res.json()) as { versions: { version: number; createdAt: string; note: string; author: string; live: boolean; changes: string[] }[]; next: number | null };
  if (before === undefined) list.replaceChildren();
  document.getElementById("older-versions")?.remove();
  list.append(
    ...versions.map((v) => {
      const item = el(
        "li",
        { "data-version": String(v.version) },
        el("strong", {}, `Version ${v.version}${v.live ? " (live)" : ""}`),
        ` by ${v.author}, ${new Date(v.createdAt).toLocaleString()}${v.note ? `: ${v.note}` : ""}`,
        el("ul", {}, ...v.changes.map((c) => el("li", {}, c))),
      );
      if (!v.live) item.append(button(`Roll back to version ${v.version}`, `Roll back to version ${v.version}`, () => void rollback(v.version)));
      return item;
    }),
  );
  if (next !== null) {
    const older = button("Older versions", "Show older versions", () => void showHistory(next));
    older.id = "older-versions";
    list.after(older);
  }
}

async function rollback(version: number): Promise<void> {
  if (!state) return;
  const res = await api(state.session, "/config/rollback", { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ version }) });
  if (res.status === 403) return setStatus("Your role cannot roll back");
  if (!res.ok) return setStatus(`Rollback failed (${res.status})`);
  const live = (await res.json()) as { version: number };
  await reloadLive(res.status === 202 ? pendingText(live.version) : `Version ${version} is live again (as version ${live.version})`);
}

interface MetricVariant {
  variant: string;
  units: number;
  conversions: number;
  value: number;
  interval: [number, number] | null;
  vsControl: null | { verdict: string; absolute?: { estimate: number; interval: [number, number] }; relative?: { estimate: number; interval: [number, number] } | null; pValue?: number; chanceToBeatControl?: number };
}

interface Results {
  campaign: string;
  control: string;
  run: { firstExposure: string; lastExposure: string } | null;
  units: { counted: number; multipleVariants: number; multipleVariantShare: number };
  cappedOrders: { total: number };
  sampleRatio: { pValue: number; mismatch: boolean } | null;
  metrics: { clickThrough: { variants: MetricVariant[] }; addToCart: { variants: MetricVariant[] }; purchase: { variants: MetricVariant[] }; revenuePerVisitor: Record<string, { variants: MetricVariant[] }> };
  warnings: string[];
}

const VERDICTS: Record<string, string> = { better: "Better", worse: "Worse", inconclusive: "No clear difference", not_enough_data: "Not enough data" };

/** Every campaign with two or more weighted variants, with its results as tables and interval charts. */
async function showExperiments(): Promise<void> {
  if (!state) return;
  const main = document.getElementById("experiments");
  if (!main) return;
  const experiments = state.live.campaigns.filter((c) => c.variants.filter((v) => v.weight > 0).length >= 2);
  if (experiments.length === 0) main.append(el("p", { class: "none" }, "No experiments: give a message two or more variants with a weight to start one."));
  for (const campaign of experiments) {
    const res = await api(state.session, `/experiments/${encodeURIComponent(campaign.id)}/results`);
    if (!res.ok) {
      main.append(el("p", { class: "error" }, `${campaign.name ?? campaign.id}: results unavailable (${res.status})`));
      continue;
    }
    main.append(experimentSection(campaign, (await res.json()) as Results));
  }
  main.setAttribute("aria-busy", "false");
}

function experimentSection(campaign: Campaign, r: Results): HTMLElement {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const section = el("section", { class: "experiment", "data-experiment": r.campaign, "aria-labelledby": `exp-${r.campaign}` });
  section.append(
    el("h3", { id: `exp-${r.campaign}` }, campaign.name ?? campaign.id),
    el(
      "p",
      {},
      `${r.units.counted} visitors counted`,
      r.run ? `, ${new Date(r.run.firstExposure).toLocaleDateString()} to ${new Date(r.run.lastExposure).toLocaleDateString()}` : ", none yet",
      `. Compared with ${r.control}.`,
      r.cappedOrders.total ? ` ${r.cappedOrders.total} orders above the order value cap counted at the cap.` : "",
    ),
  );
  if (r.warnings.length) section.append(el("div", { class: "warning", role: "alert" }, ...r.warnings.map((w) => el("p", {}, w))));
  const metrics: [string, { variants: MetricVariant[] }, (x: number) => string][] = [
    ["Click-through", r.metrics.clickThrough, pct],
    ["Add to cart", r.metrics.addToCart, pct],
    ["Purchase conversion", r.metrics.purchase, pct],
    ...Object.entries(r.metrics.revenuePerVisitor).map(([currency, m]): [string, { variants: MetricVariant[] }, (x: number) => string] => [`Revenue per visitor (${currency})`, m, (x) => x.toFixed(2)]),
  ];
  for (const [name, metric, format] of metrics) {
    const rows = metric.variants.map((v) => {
      const vs = v.vsControl;
      const interval = (i?: [number, number] | null, f = format) => (i ? `${f(i[0])} to ${f(i[1])}` : "");
      return el(
        "tr",
        { "data-variant": v.variant },
        el("th", { scope: "row" }, v.variant === r.control ? `${v.variant} (control)` : v.variant),
        el("td", {}, String(v.units)),
        el("td", {}, String(v.conversions)),
        el("td", {}, `${format(v.value)}${v.interval ? ` (${interval(v.interval)})` : ""}`),
        el("td", {}, vs?.absolute ? `${format(vs.absolute.estimate)} (${interval(vs.absolute.interval)})` : ""),
        el("td", {}, vs?.relative ? `${pct(vs.relative.estimate)} (${interval(vs.relative.interval, pct)})` : ""),
        el("td", {}, vs?.pValue !== undefined ? vs.pValue.toFixed(4) : ""),
        el("td", {}, vs?.chanceToBeatControl !== undefined ? pct(vs.chanceToBeatControl) : ""),
        el("td", { class: "verdict" }, vs ? (VERDICTS[vs.verdict] ?? vs.verdict) : "—"),
      );
    });
    section.append(
      el(
        "table",
        { class: "results" },
        el("caption", {}, name),
        el("thead", {}, el("tr", {}, ...["Variant", "Visitors", "Converted", "Value (95% interval)", "Uplift", "Relative uplift", "p-value", "Chance to beat control", "Verdict"].map((h) => el("th", { scope: "col" }, h)))),
        el("tbody", {}, ...rows),
      ),
      intervalChart(name, metric.variants, format),
    );
  }
  return section;
}

/** Each variant's value as a dot with its 95% interval as a bar, on one scale: an SVG with a text alternative. */
function intervalChart(name: string, variants: MetricVariant[], format: (x: number) => string): SVGSVGElement {
  const ns = "http://www.w3.org/2000/svg";
  const make = (tag: string, attrs: Record<string, string | number>) => {
    const node = document.createElementNS(ns, tag);
    for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
    return node;
  };
  const width = 520;
  const rowHeight = 26;
  const left = 110;
  const max = Math.max(1e-9, ...variants.map((v) => v.interval?.[1] ?? v.value));
  const x = (value: number) => left + (Math.max(0, value) / max) * (width - left - 20);
  const svg = make("svg", { viewBox: `0 0 ${width} ${variants.length * rowHeight + 10}`, width, role: "img", class: "chart" }) as SVGSVGElement;
  svg.setAttribute("aria-label", `${name}: ${variants.map((v) => `${v.variant} ${format(v.value)}${v.interval ? ` (${format(v.interval[0])} to ${format(v.interval[1])})` : ""}`).join("; ")}`);
  variants.forEach((v, i) => {
    const y = i * rowHeight + 18;
    const label = make("text", { x: 0, y: y + 4, "font-size": 13 });
    label.textContent = v.variant;
    svg.append(label);
    if (v.interval) svg.append(make("line", { x1: x(v.interval[0]), x2: x(v.interval[1]), y1: y, y2: y, stroke: "#3730a3", "stroke-width": 4, "stroke-linecap": "round", opacity: 0.45 }));
    svg.append(make("circle", { cx: x(v.value), cy: y, r: 5, fill: "#3730a3" }));
  });
  return svg;
}

/** Rows per upload request: the import API's limit. */
const BATCH_ROWS = MAX_IMPORT_ROWS;

/** Members per segment, one customer's segments, and a file upload checked whole before anything is written. */
async function showSegments(): Promise<void> {
  if (!state) return;
  const main = document.getElementById("segments");
  if (!main) return;
  const session = state.session;
  const counts = el("div", { id: "segment-counts", "aria-live": "polite" });
  const refresh = async () => {
    const res = await api(session, "/segments");
    if (res.status === 403) return void counts.replaceChildren(el("p", { class: "error" }, "Your role cannot see segments."));
    if (!res.ok) return void counts.replaceChildren(el("p", { class: "error" }, `Segments unavailable (${res.status})`));
    const body = (await res.json()) as { segments: { segment: string; members: number; inConfig: boolean }[]; customers: number; lastImport: string | null };
    counts.replaceChildren(
      el("p", {}, `${body.customers} customers in at least one segment${body.lastImport ? `; last import ${new Date(body.lastImport).toLocaleString()}` : ""}.`),
      el(
        "table",
        { class: "results" },
        el("caption", {}, "Members per segment"),
        el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Segment"), el("th", { scope: "col" }, "Members"))),
        el(
          "tbody",
          {},
          ...body.segments.map((s) =>
            el("tr", { "data-segment": s.segment }, el("th", { scope: "row" }, s.inConfig ? s.segment : `${s.segment} (not in the config)`), el("td", { class: "members" }, String(s.members))),
          ),
        ),
      ),
    );
  };

  const customer = el("input", { id: "lookup-id", autocomplete: "off" });
  const found = el("p", { id: "lookup-result", role: "status" });
  const lookup = el("form", { class: "lookup" }, el("label", { for: "lookup-id" }, "Customer id"), customer, el("button", { type: "submit" }, "Look up"), found);
  lookup.onsubmit = async (e) => {
    e.preventDefault();
    const res = await api(session, `/segments/${encodeURIComponent(customer.value.trim())}`);
    if (res.status === 404) return void (found.textContent = "In no segment.");
    if (!res.ok) return void (found.textContent = `Look-up failed (${res.status})`);
    const body = (await res.json()) as { segments: string[]; expires_at?: string };
    found.textContent = `In ${body.segments.join(", ")}${body.expires_at ? ` until ${new Date(body.expires_at).toLocaleString()}` : ""}.`;
  };

  const file = el("input", { id: "upload-file", type: "file", accept: ".csv,.ndjson,.jsonl,.txt" });
  const progress = el("progress", { id: "upload-progress", max: "1", value: "0", "aria-label": "Upload progress" });
  const status = el("p", { id: "upload-status", role: "status" });
  const errors = el("ul", { id: "upload-errors", class: "issues" });
  const upload = el(
    "form",
    { class: "upload" },
    el("label", { for: "upload-file" }, "Upload memberships (CSV with customer_id,segments, or NDJSON)"),
    file,
    el("button", { type: "submit" }, "Upload"),
    progress,
    status,
    errors,
  );
  upload.onsubmit = async (e) => {
    e.preventDefault();
    const chosen = file.files?.[0];
    if (!chosen) return void (status.textContent = "Choose a file first.");
    errors.replaceChildren();
    const text = await chosen.text();
    const csv = /\.csv$/i.test(chosen.name);
    const batches = toBatches(text, csv);
    progress.max = batches.length * 2;
    progress.value = 0;
    // First every batch is checked; only a file without a bad line is written.
    const problems: string[] = [];
    for (const batch of batches) {
      const res = await importBatch(session, batch.body, csv, true);
      progress.value++;
      if (res.status === 400) {
        const body = (await res.json()) as { error: { message: string; issues?: { line?: number; path?: string; message: string }[] } };
        for (const issue of body.error.issues ?? [{ message: body.error.message }]) {
          problems.push(issue.line !== undefined ? `Line ${batch.firstLine + issue.line - (csv ? 2 : 1)}: ${issue.path ? `${issue.path}: ` : ""}${issue.message}` : issue.message);
        }
      } else if (!res.ok) problems.push(`Batch ${batches.indexOf(batch) + 1} was refused (${res.status})`);
    }
    if (problems.length) {
      progress.value = 0;
      status.textContent = `Nothing was imported: ${problems.length} problem(s) in the file.`;
      errors.replaceChildren(...problems.slice(0, 200).map((p) => el("li", { class: "error" }, p)));
      return;
    }
    let written = 0;
    for (const batch of batches) {
      const res = await importBatch(session, batch.body, csv, false);
      if (!res.ok) return void (status.textContent = `Stopped after ${written} rows (${res.status}); upload the file again to finish.`);
      written += ((await res.json()) as { written: number }).written;
      progress.value++;
      status.textContent = `Imported ${written} rows…`;
    }
    status.textContent = `Imported ${written} rows.`;
    await refresh();
  };

  main.append(counts, el("h3", {}, "Look up a customer"), lookup, el("h3", {}, "Import"), upload);
  await refresh();
}

/** The file split into requests of at most BATCH_ROWS rows (a CSV's header repeated in each), with their first line. */
function toBatches(text: string, csv: boolean): { body: string; firstLine: number }[] {
  const lines = text.replace(/^\uFEFF/, "").replace(/\s+$/, "").split(/\r?\n/);
  const header = csv ? (lines.shift() ?? "") : "";
  const start = csv ? 2 : 1;
  const batches: { body: string; firstLine: number }[] = [];
  for (let i = 0; i < Math.max(lines.length, 1); i += BATCH_ROWS) {
    const chunk = lines.slice(i, i + BATCH_ROWS);
    batches.push({ body: (csv ? [header, ...chunk] : chunk).join("\n"), firstLine: start + i });
  }
  return batches;
}

function importBatch(session: Session, body: string, csv: boolean, dryRun: boolean): Promise<Response> {
  return api(session, `/segments${dryRun ? "?dry_run=1" : ""}`, { method: "POST", headers: { "content-type": csv ? "text/csv" : "application/x-ndjson" }, body });
}

const session = savedSession();
if (session) void showSite(session);
else showSignIn();
