// Small SVG charts: a line chart (ROC curves, metrics over runs) and horizontal bars.
import { h, s } from "./dom.js";

const COLOURS = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2"];

/** Lines through [x, y] points in [0, 1]² (a ROC curve), one per series: [{name, points}]. */
export function lineChart(series, { title, xLabel, yLabel, size = 260 } = {}) {
  const pad = 36;
  const full = size + pad * 1.5;
  const svg = s("svg", {
    class: "chart",
    width: full,
    height: full,
    viewBox: `0 0 ${full} ${full}`,
    role: "img",
    "aria-label": title || "chart",
  });
  const X = (x) => pad + x * size;
  const Y = (y) => pad / 2 + (1 - y) * size;
  svg.append(s("rect", { class: "frame", x: X(0), y: Y(1), width: size, height: size }));
  svg.append(s("line", { class: "diagonal", x1: X(0), y1: Y(0), x2: X(1), y2: Y(1) }));
  for (const t of [0, 0.5, 1]) {
    svg.append(s("text", { class: "tick", x: X(t), y: Y(0) + 14, "text-anchor": "middle" }, t));
    svg.append(s("text", { class: "tick", x: X(0) - 6, y: Y(t) + 4, "text-anchor": "end" }, t));
  }
  if (xLabel) svg.append(s("text", { class: "axis", x: X(0.5), y: full - 2, "text-anchor": "middle" }, xLabel));
  if (yLabel)
    svg.append(
      s("text", { class: "axis", x: 10, y: Y(0.5), transform: `rotate(-90 10 ${Y(0.5)})`, "text-anchor": "middle" }, yLabel),
    );
  series.forEach(({ points }, i) => {
    const sorted = [...points].sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    const d = sorted.map(([x, y], j) => `${j ? "L" : "M"}${X(x).toFixed(1)},${Y(y).toFixed(1)}`).join(" ");
    svg.append(s("path", { class: "series", d, stroke: COLOURS[i % COLOURS.length] }));
  });
  const legend = h(
    "ul",
    { class: "legend" },
    series.map(({ name }, i) => h("li", {}, h("span", { class: "swatch", style: `background:${COLOURS[i % COLOURS.length]}` }), name)),
  );
  return h("figure", { class: "chart-box" }, title ? h("figcaption", {}, title) : null, svg, series.length > 1 ? legend : null);
}

/** Horizontal bars for one metric across runs: [{name, value}]. */
export function barChart(title, bars) {
  const width = 320;
  const row = 22;
  const labelW = 120;
  const max = Math.max(...bars.map((b) => Math.abs(b.value)), 1e-12);
  const svg = s("svg", {
    class: "chart bars",
    width: labelW + width + 60,
    height: bars.length * row + 8,
    role: "img",
    "aria-label": title,
  });
  bars.forEach((b, i) => {
    const w = (Math.abs(b.value) / max) * width;
    svg.append(s("text", { class: "tick", x: labelW - 6, y: i * row + 16, "text-anchor": "end" }, b.name.slice(0, 18)));
    svg.append(s("rect", { x: labelW, y: i * row + 4, width: Math.max(w, 1), height: row - 8, fill: COLOURS[i % COLOURS.length] }));
    svg.append(s("text", { class: "tick", x: labelW + w + 4, y: i * row + 16 }, fmt(b.value)));
  });
  return h("figure", { class: "chart-box" }, h("figcaption", {}, title), svg);
}

export function fmt(v) {
  return typeof v === "number" && !Number.isInteger(v) ? String(Number(v.toPrecision(4))) : String(v);
}
