/**
 * @module The experiments page: every live campaign that is an experiment (two or more weighted variants), with
 * its variants and their texts, its results per metric as a table and an interval chart, its warnings, and "Not
 * enough data" said as such; a test can be stopped, or a variant rolled out to everyone (rollout.ts).
 */
import type { Campaign } from "../../../core/config-schema";
import { isExperiment } from "../../../core/experiment";
import type { ExperimentResults, MetricResult, Verdict } from "../../../core/experiment-results";
import { ApiError } from "../api";
import { el } from "../dom";
import type { Editor } from "../editor";
import { counted } from "../plural";
import { intervalChart } from "./chart";
import { rolloutButton, stopButton } from "./rollout";
import { cupedLine, segmentSection } from "./segment-table";
import { stoppedLine } from "./switch-on";
import { sharePercent, variantText } from "./variants";

const VERDICTS: Record<Verdict, string> = { better: "Better", worse: "Worse", inconclusive: "No clear difference", not_enough_data: "Not enough data" };
// The verdict is the sequential test's, valid however often the page is opened ("p, any look"); the uplift's interval,
// the fixed-horizon p and the chance to beat control hold only for one look at a size fixed in advance.
const COLUMNS = ["Variant", "Visitors", "Converted", "Value (95% interval)", "Uplift", "Relative uplift", "p, any look", "p, one fixed look", "Chance to beat control", "Verdict"];
const VERDICT_COLUMN = COLUMNS.length - 2;

/** The page, busy until every experiment's results are in. */
export function experimentsView(): HTMLElement {
  return el("main", { id: "experiments", "aria-busy": "true" }, el("h2", {}, "Experiments"));
}

export async function showExperiments(editor: Editor, main: HTMLElement): Promise<void> {
  const experiments = editor.state.live.campaigns.filter(isExperiment);
  if (experiments.length === 0) main.append(el("p", { class: "none" }, "No experiments: give a message two or more variants with a weight to start one."));
  for (const campaign of experiments) {
    const results = await editor.api.results(campaign.id);
    main.append(results instanceof ApiError ? el("p", { class: "error" }, `${campaign.name ?? campaign.id}: results unavailable (${results.status})`) : experimentSection(editor, campaign, results));
  }
  main.setAttribute("aria-busy", "false");
}

function experimentSection(editor: Editor, campaign: Campaign, r: ExperimentResults): HTMLElement {
  const pct = (x: number) => `${(x * 100).toFixed(2)}%`;
  const section = el("section", { class: "experiment", "data-experiment": r.campaign, "aria-labelledby": `exp-${r.campaign}` });
  section.append(
    el("div", { class: "experiment-head" }, el("h3", { id: `exp-${r.campaign}` }, campaign.name ?? campaign.id), ...stopButton(editor, campaign)),
    el(
      "p",
      { class: "units" },
      `${counted(r.units.counted, "visitor")} counted`,
      r.run ? `, ${new Date(r.run.firstExposure).toLocaleDateString()} to ${new Date(r.run.lastExposure).toLocaleDateString()}` : ", none yet",
      `. Compared with ${r.control}.`,
      r.cappedOrders.total ? ` ${counted(r.cappedOrders.total, "order")} above the order value cap counted at the cap.` : "",
    ),
    // Bots get the baseline and count nowhere; this says how many the test did not count.
    el("p", { class: "kept-out" }, `${counted(r.keptOut.requests, "bot request")} and ${counted(r.keptOut.events, "bot event")} kept out.`),
    el(
      "ul",
      { class: "variant-list", "aria-label": "Variants" },
      ...campaign.variants.map((v) =>
        el("li", { "data-variant": v.id }, el("span", { class: "variant-text" }, `${v.id} (${sharePercent(campaign, v)}%): ${variantText(v)}`), ...(v.weight > 0 ? rolloutButton(editor, campaign, v) : []), ...stoppedLine(editor, campaign, v)),
      ),
    ),
  );
  section.append(
    el(
      "p",
      { class: "method" },
      "Verdicts use a sequential test: they stay right however often you look, so you can check every day and stop when one says Better or Worse. The fixed-look p and the chance to beat control hold only if you decided the test's size in advance and look once.",
    ),
  );
  if (r.warnings.length) section.append(el("div", { class: "warning", role: "alert" }, ...r.warnings.map((w) => el("p", {}, w))));
  const metrics: [string, MetricResult, (x: number) => string][] = [
    ["Click-through", r.metrics.clickThrough, pct],
    ["Add to cart", r.metrics.addToCart, pct],
    ["Purchase conversion", r.metrics.purchase, pct],
    ...Object.entries(r.metrics.revenuePerVisitor).map(([currency, m]): [string, MetricResult, (x: number) => string] => [`Revenue per visitor (${currency})`, m, (x) => x.toFixed(2)]),
    ...Object.entries(r.metrics.netRevenuePerVisitor).map(([currency, m]): [string, MetricResult, (x: number) => string] => [`Net revenue per visitor after refunds (${currency})`, m, (x) => x.toFixed(2)]),
    // Lower is better: the verdict and the chance to beat control already read it that way (Better = fewer refunds).
    ["Refund rate (lower is better)", r.metrics.refundRate, pct],
  ];
  for (const [name, metric, format] of metrics) {
    const rows = metric.variants.map((v) => {
      const vs = v.vsControl;
      // "not_enough_data" comes without figures; a comparison has them all.
      const compared = vs && "absolute" in vs ? vs : null;
      const interval = (i: [number, number] | null, f = format) => (i ? `${f(i[0])} to ${f(i[1])}` : "");
      return el(
        "tr",
        { "data-variant": v.variant },
        el("th", { scope: "row" }, v.variant === r.control ? `${v.variant} (control)` : v.variant),
        ...[
          String(v.units),
          String(v.conversions),
          `${format(v.value)}${v.interval ? ` (${interval(v.interval)})` : ""}`,
          compared ? `${format(compared.absolute.estimate)} (${interval(compared.absolute.interval)})` : "",
          compared?.relative ? `${pct(compared.relative.estimate)} (${interval(compared.relative.interval, pct)})` : "",
          compared ? compared.sequential.pValue.toFixed(4) : "",
          compared ? compared.pValue.toFixed(4) : "",
          compared ? pct(compared.chanceToBeatControl) : "",
          vs ? VERDICTS[vs.verdict] : "—",
        ].map((text, i) => el("td", { "data-label": COLUMNS[i + 1]!, ...(i === VERDICT_COLUMN ? { class: "verdict" } : {}) }, text)),
      );
    });
    section.append(
      // A wide table scrolls inside its frame (focusable, so by keyboard too); on a phone each variant is a card.
      el(
        "div",
        { class: "table-scroll", tabindex: "0", role: "region", "aria-label": name },
        el(
          "table",
          { class: "results" },
          el("caption", {}, name),
          el("thead", {}, el("tr", {}, ...COLUMNS.map((h) => el("th", { scope: "col" }, h)))),
          el("tbody", {}, ...rows),
        ),
      ),
      intervalChart(name, metric.variants, format),
      ...cupedLine(metric, format),
    );
  }
  section.append(...segmentSection(r));
  return section;
}
