/**
 * @module What an experiment does per value segment, at a glance: a table whose rows are the segments the visitors were
 * in at exposure (plus anonymous visitors and signed-in customers in no segment) and whose columns are the variants,
 * each cell "Helps", "Hurts", "No clear effect" or "Not enough data" for the chosen metric, read from the verdict
 * corrected across the table's cells (Holm's method), with the uplift and p in the cell and its title. And the line under
 * each metric's table with the CUPED-adjusted uplift and the variance it saved.
 */
import type { ExperimentResults, MetricResult, SegmentResult, Verdict, VariantMetric } from "../../../core/experiment-results";
import { el } from "../dom";

const EFFECT: Record<Verdict, string> = { better: "Helps", worse: "Hurts", inconclusive: "No clear effect", not_enough_data: "Not enough data" };
const KNOWN: Record<string, string> = {
  purchase: "Purchase conversion",
  revenuePerVisitor: "Revenue per visitor",
  clickThrough: "Click-through",
  addToCart: "Add to cart",
  netRevenuePerVisitor: "Net revenue per visitor",
  refundRate: "Refund rate",
};
const CELL_NAMES: Record<Exclude<SegmentResult["kind"], "segment">, string> = { anonymous: "Anonymous visitors", no_segment: "Signed in, no segment", unknown: "Removed segment" };

type MetricEntry = MetricResult | Record<string, MetricResult>;

const isMetric = (value: MetricEntry | undefined): value is MetricResult => Array.isArray((value as Partial<MetricResult> | undefined)?.variants);

/** A metric of a results' `metrics` by name: generic, so a metric added to the results shows here too. */
const entry = (m: ExperimentResults["metrics"], name: string): MetricEntry | undefined => (m as Record<string, MetricEntry>)[name];

type Choice = { key: string; label: string; pick: (m: ExperimentResults["metrics"]) => MetricResult | undefined; rate: boolean };

/** The metrics a cell has, in a fixed order (those of KNOWN first), one per currency for revenue metrics. */
function choices(metrics: ExperimentResults["metrics"]): Choice[] {
  const entries = Object.entries(metrics) as [string, MetricEntry][];
  const rank = (name: string) => (name in KNOWN ? Object.keys(KNOWN).indexOf(name) : 99);
  return entries
    .sort(([a], [b]) => rank(a) - rank(b))
    .flatMap(([name, value]): Choice[] => {
      const label = KNOWN[name] ?? name;
      if (isMetric(value)) {
        const pick = (m: ExperimentResults["metrics"]) => {
          const e = entry(m, name);
          return isMetric(e) ? e : undefined;
        };
        return [{ key: name, label, pick, rate: value.kind === "binary" }];
      }
      return Object.keys(value).map((currency) => ({
        key: `${name}.${currency}`,
        label: `${label} (${currency})`,
        pick: (m) => {
          const e = entry(m, name);
          return e && !isMetric(e) ? e[currency] : undefined;
        },
        rate: false,
      }));
    });
}

/** The per-segment table of `r`, or nothing before any unit's segments were stored. */
export function segmentSection(r: ExperimentResults): HTMLElement[] {
  const table = r.segments;
  const first = table?.cells[0];
  if (!table || !first) return [];
  const options = choices(r.metrics);
  const select = el("select", { "aria-label": "Metric of the segment table" }, ...options.map((o) => el("option", { value: o.key }, o.label)));
  const frame = el("div", { class: "table-scroll", tabindex: "0", role: "region", "aria-label": "By segment" });
  const render = () => {
    const choice = options.find((o) => o.key === select.value) ?? options[0];
    if (choice) frame.replaceChildren(segmentTable(r, choice));
  };
  select.onchange = render;
  render();
  return [
    el("h4", {}, "By segment"),
    el(
      "p",
      { class: "method" },
      `Each segment the visitors were in when they first saw the test. Verdicts are corrected for the number of cells (${table.correction === "holm" ? "Holm's method" : table.correction}). `,
      el("label", {}, "Metric: ", select),
    ),
    frame,
  ];
}

function segmentTable(r: ExperimentResults, choice: Choice): HTMLTableElement {
  const variants = (choice.pick(r.metrics)?.variants ?? []).map((v) => v.variant).filter((v) => v !== r.control);
  const format = (x: number) => (choice.rate ? `${(x * 100).toFixed(2)} pts` : x.toFixed(2));
  const rows = (r.segments?.cells ?? []).map((cell) => {
    const name = cell.kind === "segment" ? (cell.segment ?? "") : CELL_NAMES[cell.kind];
    const metric = choice.pick(cell.metrics);
    return el(
      "tr",
      { "data-segment": cell.kind === "segment" ? (cell.segment ?? "") : `(${cell.kind})` },
      el("th", { scope: "row" }, `${name} (${cell.units})`),
      ...variants.map((id) => effectCell(metric?.variants.find((v) => v.variant === id), format)),
    );
  });
  return el(
    "table",
    { class: "results segments-table" },
    el("caption", {}, `${choice.label} by segment, against ${r.control}`),
    el("thead", {}, el("tr", {}, el("th", { scope: "col" }, "Segment (visitors)"), ...variants.map((v) => el("th", { scope: "col" }, v)))),
    el("tbody", {}, ...rows),
  );
}

function effectCell(v: VariantMetric | undefined, format: (x: number) => string): HTMLTableCellElement {
  const vs = v?.vsControl;
  if (!vs || !("absolute" in vs)) return el("td", { class: "effect", "data-effect": "not_enough_data" }, EFFECT.not_enough_data);
  const verdict = vs.corrected?.verdict ?? vs.verdict;
  const figures = `${vs.absolute.estimate >= 0 ? "+" : ""}${format(vs.absolute.estimate)}, p ${(vs.corrected?.pValue ?? vs.sequential.pValue).toFixed(3)}`;
  return el(
    "td",
    { class: "effect", "data-effect": verdict, title: `Uplift ${figures} (corrected for the table's cells); ${v.units} visitors` },
    el("strong", {}, EFFECT[verdict]),
    el("small", {}, ` ${figures}`),
  );
}

/** The CUPED line under a metric's table: adjusted uplift per variant and the variance saved, when there is a covariate. */
export function cupedLine(metric: MetricResult, format: (x: number) => string): HTMLElement[] {
  const parts = metric.variants.flatMap((v) => {
    const c = v.cuped?.vsControl;
    if (!c) return [];
    const [lo, hi] = c.absolute.interval;
    return [`${v.variant} ${format(c.absolute.estimate)} (${format(lo)} to ${format(hi)}), ${Math.round(c.varianceReduction * 100)}% less variance`];
  });
  if (parts.length === 0) return [];
  return [el("p", { class: "cuped" }, `Adjusted for past spending (CUPED): ${parts.join("; ")}.`)];
}
