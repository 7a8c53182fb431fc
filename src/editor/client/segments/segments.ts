/**
 * @module The segments page: members per segment (from the imports), one customer's segments, and the upload
 * of a memberships file (./upload.ts).
 */
import type { AdminApi } from "../api";
import { ApiError } from "../api";
import { el } from "../dom";
import { uploadForm } from "./upload";

export function segmentsView(): HTMLElement {
  return el("main", { id: "segments" }, el("h2", {}, "Segments"));
}

export async function showSegments(api: AdminApi, main: HTMLElement): Promise<void> {
  const counts = el("div", { id: "segment-counts", "aria-live": "polite" });
  const refresh = () => showCounts(api, counts);
  main.append(counts, el("h3", {}, "Look up a customer"), lookupForm(api), el("h3", {}, "Import"), uploadForm(api, refresh));
  await refresh();
}

async function showCounts(api: AdminApi, counts: HTMLElement): Promise<void> {
  const body = await api.segments();
  if (body instanceof ApiError) {
    return void counts.replaceChildren(el("p", { class: "error" }, body.status === 403 ? "Your role cannot see segments." : `Segments unavailable (${body.status})`));
  }
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
}

function lookupForm(api: AdminApi): HTMLFormElement {
  const customer = el("input", { id: "lookup-id", autocomplete: "off" });
  const found = el("p", { id: "lookup-result", role: "status" });
  const form = el("form", { class: "lookup" }, el("label", { for: "lookup-id" }, "Customer id"), customer, el("button", { type: "submit" }, "Look up"), found);
  form.onsubmit = async (e) => {
    e.preventDefault();
    const member = await api.member(customer.value.trim());
    if (member instanceof ApiError) found.textContent = member.status === 404 ? "In no segment." : `Look-up failed (${member.status})`;
    else found.textContent = `In ${member.segments.join(", ")}${member.expires_at ? ` until ${new Date(member.expires_at).toLocaleString()}` : ""}.`;
  };
  return form;
}
