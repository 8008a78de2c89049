// The DAG as SVG: one focusable group per task; states change in place, no new layout.
import { s } from "../dom.js";
import { STATE_ICONS } from "../format.js";
import { layout, NODE_H, NODE_W } from "./layout.js";

const PAD = 12;

/**
 * Draw `dag` ({nodes, edges}) and return {svg, update(statuses)}; statuses map a node id to
 * {state, note}. `onSelect(node)` runs on click or Enter.
 */
export function drawGraph(dag, { onSelect, selected } = {}) {
  const { pos, width, height } = layout(dag.nodes, dag.edges);
  const svg = s("svg", {
    class: "dag",
    width: width + 2 * PAD,
    height: height + 2 * PAD,
    viewBox: `${-PAD} ${-PAD} ${width + 2 * PAD} ${height + 2 * PAD}`,
    role: "group",
    "aria-label": "Pipeline graph",
  });
  for (const [a, b] of dag.edges) {
    const from = pos.get(a);
    const to = pos.get(b);
    if (!from || !to) continue;
    const x1 = from.x + NODE_W / 2;
    const y1 = from.y + NODE_H;
    const x2 = to.x + NODE_W / 2;
    const y2 = to.y;
    const mid = (y1 + y2) / 2;
    svg.append(s("path", { class: "edge", d: `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}` }));
  }
  const groups = new Map();
  for (const node of dag.nodes) {
    const { x, y } = pos.get(node.id);
    const icon = s("text", { class: "icon", x: 12, y: 29 });
    const label = s("text", { class: "label", x: 30, y: 20 }, clip(node.label, 20));
    const note = s("text", { class: "note", x: 30, y: 36 });
    const bar = s("g", { class: "bar" });
    const kind = node.loop ? "loop" : node.isDag ? "sub" : "leaf";
    const group = s(
      "g",
      {
        class: `node ${kind} state-pending`,
        transform: `translate(${x},${y})`,
        tabindex: 0,
        role: "button",
        "data-task": node.id,
        "aria-label": node.label,
        onclick: () => onSelect?.(node),
        onkeydown: (e) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            onSelect?.(node);
          }
        },
      },
      s("title", {}, node.label),
      // A loop is drawn as a stack of cards: its iterations.
      node.loop ? s("rect", { class: "stack", x: 4, y: -4, width: NODE_W, height: NODE_H, rx: 14 }) : null,
      s("rect", { class: "card", width: NODE_W, height: NODE_H, rx: node.loop ? 14 : 6 }),
      icon,
      label,
      note,
      bar,
    );
    svg.append(group);
    groups.set(node.id, { group, icon, note, bar, node });
  }
  function update(statuses) {
    for (const [id, { group, icon, note, bar, node }] of groups) {
      const status = statuses[id] || { state: "PENDING" };
      group.setAttribute(
        "class",
        `node ${node.loop ? "loop" : node.isDag ? "sub" : "leaf"} state-${status.state.toLowerCase()}${
          id === selected?.() ? " selected" : ""
        }`,
      );
      group.setAttribute("data-state", status.state);
      group.setAttribute("aria-label", `${node.label}: ${status.state}${status.note ? `, ${status.note}` : ""}`);
      icon.textContent = STATE_ICONS[status.state] || "?";
      note.textContent = clip(status.note || status.state.toLowerCase(), 30);
      drawBar(bar, status.counts, status.total);
    }
  }
  update({});
  return { svg, update };
}

const BAR_ORDER = ["SUCCEEDED", "CACHED", "SKIPPED", "FAILED", "CANCELED", "RUNNING"];

/** A loop's or sub-DAG's children by state, as a thin stacked bar along the card's bottom. */
function drawBar(bar, counts, total) {
  bar.replaceChildren();
  if (!counts) return;
  const sum = total || Object.values(counts).reduce((a, b) => a + b, 0);
  if (!sum) return;
  const width = NODE_W - 16;
  let x = 8;
  for (const state of BAR_ORDER) {
    const n = counts[state] || 0;
    if (!n) continue;
    // At least 2 px: 3 failed of 5,000 must still show.
    const w = Math.min(Math.max((n / sum) * width, 2), 8 + width - x);
    bar.append(s("rect", { class: `seg state-${state.toLowerCase()}`, x, y: NODE_H - 7, width: w, height: 4 }));
    x += w;
  }
  if (x < 8 + width) bar.append(s("rect", { class: "seg rest", x, y: NODE_H - 7, width: 8 + width - x, height: 4 }));
}

function clip(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}
