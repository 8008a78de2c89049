// The DAG as SVG: one focusable group per task; states change in place, no new layout.
import { s } from "../dom.js";
import { STATE_ICONS } from "../format.js";
import { layout, NODE_H, NODE_W } from "./layout.js";

const PAD = 12;
const FRAME_PAD = 10;
const TOGGLE = 18;

/**
 * Draw `dag` ({nodes, edges}) and return {svg, update(statuses)}; statuses map a node id to
 * {state, note}. `onSelect(node)` runs on click or Enter. A sub-DAG or loop node gets a toggle
 * (`onToggle(node)`) when `onToggle` is given; `inner` maps the ids of the ones shown open to
 * {svg, width, height}: what they hold, drawn inside their frame.
 */
export function drawGraph(dag, { onSelect, selected, onToggle, inner = new Map() } = {}) {
  const sizes = new Map(
    [...inner].map(([id, part]) => [
      id,
      { w: Math.max(NODE_W, part.width + 2 * FRAME_PAD), h: NODE_H + part.height + 2 * FRAME_PAD },
    ]),
  );
  const { pos, width, height } = layout(dag.nodes, dag.edges, sizes);
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
    const x1 = from.x + from.w / 2;
    const y1 = from.y + from.h;
    const x2 = to.x + to.w / 2;
    const y2 = to.y;
    const mid = (y1 + y2) / 2;
    svg.append(s("path", { class: "edge", d: `M${x1},${y1} C${x1},${mid} ${x2},${mid} ${x2},${y2}` }));
  }
  // Open sub-DAGs and loops: a frame under their card holding what they contain.
  for (const [id, part] of inner) {
    const { x, y, w, h } = pos.get(id);
    svg.append(
      s(
        "g",
        { class: "frame", transform: `translate(${x},${y})`, "data-frame": id },
        s("rect", { class: "frame-box", width: w, height: h, rx: 10 }),
        s("g", { transform: `translate(${(w - part.width) / 2},${NODE_H + FRAME_PAD})` }, part.svg),
      ),
    );
  }
  const groups = new Map();
  for (const node of dag.nodes) {
    const { x, y } = pos.get(node.id);
    const icon = s("text", { class: "icon", x: 12, y: 29 });
    const toggled = onToggle && (node.loop || node.isDag);
    const label = s("text", { class: "label", x: 30, y: 20 }, clip(node.label, toggled ? 17 : 20));
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
    if (toggled) svg.append(toggle(node, x, y, inner.has(node.id), onToggle));
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

/** The +/− button on a sub-DAG's or loop's card: shows what it holds in place, or hides it. */
function toggle(node, x, y, open, onToggle) {
  const act = () => onToggle(node);
  return s(
    "g",
    {
      class: "toggle",
      transform: `translate(${x + NODE_W - TOGGLE - 4},${y + 4})`,
      tabindex: 0,
      role: "button",
      "data-toggle": node.id,
      "aria-expanded": open ? "true" : "false",
      "aria-label": `${open ? "Collapse" : "Expand"} ${node.label} in place`,
      onclick: act,
      onkeydown: (e) => {
        if (e.key === "Enter" || e.key === " ") {
          e.preventDefault();
          act();
        }
      },
    },
    s("title", {}, open ? "Collapse" : "Expand in place"),
    s("rect", { width: TOGGLE, height: TOGGLE, rx: 4 }),
    s("text", { x: TOGGLE / 2, y: TOGGLE / 2 + 5 }, open ? "−" : "+"),
  );
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

export function clip(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}
