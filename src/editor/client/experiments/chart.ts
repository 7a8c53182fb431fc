/**
 * @module The interval chart of one metric: each variant's value as a dot with its 95% interval as a bar, on one
 * scale, as an SVG whose text alternative says the same numbers.
 */
import type { VariantMetric } from "../../../core/experiment-results";

const SVG = "http://www.w3.org/2000/svg";

function svgElement(tag: string, attrs: Record<string, string | number>): SVGElement {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, String(v));
  return node;
}

export function intervalChart(name: string, variants: VariantMetric[], format: (x: number) => string): SVGElement {
  const width = 520;
  const rowHeight = 26;
  const left = 110;
  const max = Math.max(1e-9, ...variants.map((v) => v.interval?.[1] ?? v.value));
  const x = (value: number) => left + (Math.max(0, value) / max) * (width - left - 20);
  const svg = svgElement("svg", { viewBox: `0 0 ${width} ${variants.length * rowHeight + 10}`, width, role: "img", class: "chart" });
  svg.setAttribute("aria-label", `${name}: ${variants.map((v) => `${v.variant} ${format(v.value)}${v.interval ? ` (${format(v.interval[0])} to ${format(v.interval[1])})` : ""}`).join("; ")}`);
  variants.forEach((v, i) => {
    const y = i * rowHeight + 18;
    const label = svgElement("text", { x: 0, y: y + 4, "font-size": 13 });
    label.textContent = v.variant;
    svg.append(label);
    if (v.interval) svg.append(svgElement("line", { x1: x(v.interval[0]), x2: x(v.interval[1]), y1: y, y2: y, stroke: "#3730a3", "stroke-width": 4, "stroke-linecap": "round", opacity: 0.45 }));
    svg.append(svgElement("circle", { cx: x(v.value), cy: y, r: 5, fill: "#3730a3" }));
  });
  return svg;
}
