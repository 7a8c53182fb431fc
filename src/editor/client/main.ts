/**
 * @module The marketer's editor in the browser: sign in with a site and a token, then the site's grid (a row per
 * segment in precedence order, then geo and other campaigns, then everyone else; a column per placement), each
 * cell with its messages and their variants and weights. Marketer text only ever goes in through `textContent`.
 * The token lives in this tab's sessionStorage and travels in the Authorization header, never in a cookie.
 */
import type { Campaign, Config, Message, Placement } from "../../core/config-schema";

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
  const site = el("input", { id: "site", name: "site", required: "", autocomplete: "off", pattern: "[a-z0-9-]{1,64}", value: savedSession()?.site ?? "" });
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
    if (res.status === 403) return void (error.textContent = "This token cannot read the site's messages.");
    sessionStorage.setItem(SESSION_KEY, JSON.stringify(session));
    await showSite(session, res);
  };
  app.replaceChildren(form);
  (site.value ? token : site).focus();
}

async function showSite(session: Session, first?: Response): Promise<void> {
  const res = first ?? (await api(session, "/config"));
  if (res.status === 401) return showSignIn("Your token is no longer valid. Sign in again.");
  const config: Config = res.status === 404 ? { segments: [], campaigns: [], defaults: {} } : ((await res.json()) as Config);
  const signOut = el("button", { type: "button", class: "link" }, "Sign out");
  signOut.onclick = () => {
    sessionStorage.removeItem(SESSION_KEY);
    showSignIn();
  };
  app.replaceChildren(
    el("header", { class: "bar" }, el("h1", {}, `valuebar · ${session.site}`), signOut),
    el("main", {}, grid(config)),
  );
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
    rows.push(el("tr", { "data-segment": segment }, el("th", { scope: "row" }, segment), ...PLACEMENTS.map((p) => cell(campaignsFor(config, p, segment)))));
  }
  rows.push(el("tr", { "data-segment": "(other)" }, el("th", { scope: "row" }, "Geo, page and device campaigns"), ...PLACEMENTS.map((p) => cell(campaignsFor(config, p, null)))));
  rows.push(
    el(
      "tr",
      { "data-segment": "(everyone)" },
      el("th", { scope: "row" }, "Everyone else"),
      ...PLACEMENTS.map((p) => {
        const message = config.defaults[p];
        return el("td", { "data-placement": p }, message ? messageLine(message) : el("span", { class: "none" }, "Nothing shown"));
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

function cell(campaigns: Campaign[]): HTMLTableCellElement {
  const td = el("td", { "data-placement": campaigns[0]?.placement ?? "" });
  if (campaigns.length === 0) td.append(el("span", { class: "none" }, "—"));
  for (const campaign of campaigns) {
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
    td.append(el("div", { class: "campaign", "data-campaign": campaign.id }, el("strong", {}, campaign.name ?? campaign.id), list));
  }
  return td;
}

function messageLine(message: Message): HTMLSpanElement {
  const line = el("span", { class: "message" }, message.text);
  if (message.style?.background) line.style.borderLeft = `6px solid ${message.style.background}`;
  return line;
}

const session = savedSession();
if (session) void showSite(session);
else showSignIn();
