/**
 * @module The live preview: the Worker's decision on the working copy (`POST .../preview`, the function the hot
 * path runs) for the visitor chosen under "View as", and for the variant chosen under "Show variant" (or the one
 * whose fields are being edited), drawn by the real snippet runtime in a sandboxed store page that stores and
 * sends nothing; the schema's problems shown by their fields (grid/issues.ts).
 */
import type { Campaign } from "../../../core/config-schema";
import type { Decision } from "../../../core/decide";
import { runtimeCall, scriptJson } from "../../../core/script-json";
import { RUNTIME_JS } from "../../../../snippet/dist/runtime";
import type { AdminApi } from "../api";
import { ApiError } from "../api";
import { el, showStatus } from "../dom";
import { showIssues } from "../grid/issues";
import type { EditorState, ViewAs } from "../state";
import { hasChanges } from "../state";
import { shownVariant, unitFor } from "./variants";

/** Previews of one signed-in editor: edits schedule one, and only the latest request may update the page. */
export class Preview {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private seq = 0;

  /** `checked` gets the number of problems the Worker found in the working copy (the draft is saved when none). */
  constructor(
    private readonly api: AdminApi,
    private readonly state: EditorState,
    private readonly checked: (problems: number) => void,
  ) {}

  /** A preview in `delay` ms, unless another edit comes first (typing previews once it pauses). */
  schedule(delay = 250): void {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.refresh(), delay);
  }

  /** Asks the Worker for the decision on the working copy, shows its problems by their fields, and renders it. */
  async refresh(): Promise<void> {
    clearTimeout(this.timer);
    const seq = ++this.seq;
    const { state } = this;
    const { viewAs } = state;
    const campaign = editedCampaign(state);
    const variant = campaign && shownVariant(campaign, viewAs.variant);
    const answer = await this.api.preview(state.draft, {
      segments: viewAs.segment ? [viewAs.segment] : [],
      ...(viewAs.country.length === 2 ? { country: viewAs.country.toUpperCase() } : {}),
      currency: viewAs.currency,
      device: viewAs.device,
      ...(campaign ? { unit: unitFor(campaign, variant) } : {}),
    });
    // An older answer arriving late is dropped.
    if (seq !== this.seq) return;
    const issues = answer instanceof ApiError ? answer.issues : [];
    state.issues = issues;
    showIssues(issues, state.draft);
    showStatus(issues.length ? `${issues.length} problem(s) to fix before publishing` : hasChanges(state) ? "Unpublished changes" : "");
    if (!(answer instanceof ApiError)) {
      renderPreview(this.api.session.site, answer.decision, viewAs);
      showShown(campaign, answer.decision);
    }
    // Only an answer about the config says whether it can be saved (not a network or storage failure).
    if (!(answer instanceof ApiError) || answer.code === "INVALID_CONFIG") this.checked(issues.length);
  }

  /** No preview scheduled, and the answer of one in flight dropped: what the caller does next is what shows. */
  cancel(): void {
    clearTimeout(this.timer);
    this.seq++;
  }

  /** Focus moved to `target`: inside a variant's fields, the preview shows that variant (what is edited is seen). */
  follow(target: EventTarget | null): void {
    const id = target instanceof Element ? target.closest(".panel fieldset[data-variant]")?.getAttribute("data-variant") : null;
    const campaign = editedCampaign(this.state);
    if (!id || !campaign || id === this.state.viewAs.variant || shownVariant(campaign, id) !== id) return;
    this.state.viewAs.variant = id;
    const select = document.getElementById("as-variant") as HTMLSelectElement | null;
    if (select) select.value = id;
    this.schedule(0);
  }
}

/** The campaign open in the panel, if any. */
function editedCampaign(state: EditorState): Campaign | undefined {
  return state.editing?.kind === "campaign" ? state.draft.campaigns[state.editing.index] : undefined;
}

/** The "View as" fields (the visitor the preview is for) and, for a campaign with variants, "Show variant". */
export function viewAsBar(state: EditorState, preview: Preview): HTMLElement {
  const v = state.viewAs;
  const select = (label: string, key: keyof ViewAs, options: [string, string][]) => {
    const id = `as-${key}`;
    const s = el("select", { id }, ...options.map(([value, text]) => el("option", { value }, text)));
    s.value = v[key];
    s.onchange = () => {
      v[key] = s.value;
      preview.schedule(0);
    };
    return el("div", { class: "field" }, el("label", { for: id }, label), s);
  };
  const input = (label: string, key: keyof ViewAs, attrs: Record<string, string>) => {
    const id = `as-${key}`;
    const i = el("input", { id, ...attrs });
    i.value = v[key];
    i.oninput = () => {
      v[key] = i.value;
      preview.schedule();
    };
    return el("div", { class: "field" }, el("label", { for: id }, label), i);
  };
  const bar = el(
    "div",
    { class: "preview-as" },
    el(
      "fieldset",
      { class: "view-as" },
      el("legend", {}, "View as"),
      select("Segment", "segment", [["", "No segment"], ...state.draft.segments.map((s): [string, string] => [s, s])]),
      input("Country", "country", { maxlength: "2", size: "3", placeholder: "US" }),
      select("Currency", "currency", ["EUR", "USD", "GBP"].map((c): [string, string] => [c, c])),
      select("Device", "device", [["desktop", "Desktop"], ["mobile", "Mobile"], ["tablet", "Tablet"]]),
      input("Cart total", "cartTotal", { type: "number", min: "0", step: "0.01", size: "6" }),
    ),
  );
  const campaign = editedCampaign(state);
  if (campaign && campaign.variants.length > 1) {
    const choice = select(
      "Show variant",
      "variant",
      campaign.variants.map((variant): [string, string] => [variant.id, `${variant.id}${variant.control ? " (control: sees the default)" : ""}${variant.weight > 0 ? "" : " (weight 0: no one sees it)"}`]),
    );
    const s = choice.querySelector("select");
    if (s) {
      for (const option of s.options) option.disabled = !campaign.variants.some((x) => x.id === option.value && x.weight > 0);
      s.value = shownVariant(campaign, v.variant) ?? "";
    }
    bar.append(choice);
  }
  bar.append(el("p", { id: "preview-shows", class: "none", "aria-live": "polite" }));
  return bar;
}

/** Says what the preview shows in the edited campaign's placement: which variant, or what wins there instead. */
function showShown(campaign: Campaign | undefined, decision: Decision): void {
  const line = document.getElementById("preview-shows");
  if (!line || !campaign) return;
  const shown = decision.placements[campaign.placement];
  line.textContent =
    shown?.campaign === campaign.id
      ? campaign.variants.length > 1
        ? `Showing variant ${shown.variant}${shown.control ? " (the control: it sees the default)" : ""}.`
        : ""
      : `This visitor does not get this campaign: ${shown ? `they see ${shown.name ?? shown.campaign ?? "the default"} here` : "nothing is shown here"}.`;
}

/** The decision drawn by the real runtime in a sandboxed store page (storing and sending nothing). */
function renderPreview(site: string, decision: Decision, viewAs: ViewAs): void {
  const frame = document.getElementById("preview") as HTMLIFrameElement | null;
  if (!frame) return;
  const nonce = (document.querySelector("script[nonce]") as HTMLScriptElement | null)?.nonce ?? "";
  const total = Number(viewAs.cartTotal);
  const cart = viewAs.cartTotal && Number.isFinite(total) ? { total: Math.round(total * 100), currency: viewAs.currency } : null;
  const setup = scriptJson({ consent: false, cart });
  frame.srcdoc = `<!doctype html><html><head><meta charset="utf-8"><style>body{margin:0;font:15px system-ui,sans-serif}header{padding:14px 20px;border-bottom:1px solid #ddd}main{padding:12px 20px}[data-valuebar]{color:#0b5d3b;font-weight:600}</style></head><body><header>Your store</header><main><p data-valuebar="shipping"></p><p data-valuebar="returns"></p></main><script nonce="${nonce}">window.valuebar=${setup};${runtimeCall(RUNTIME_JS, { site, decision, consent: false })}</script></body></html>`;
}
