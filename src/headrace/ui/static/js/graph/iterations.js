// A loop shown open in its parent's graph: its first iterations as small cards, and a card
// leading to all of them.
import { s } from "../dom.js";
import { STATE_ICONS } from "../format.js";

const W = 96;
const H = 30;
const GAP = 8;
const COLUMNS = 4;

/**
 * Cards for `count` iterations (and one "all N" card when `total` is more), drawn before their
 * tasks are read: {svg, width, height, update(tasks)}. `onOpen(i)` opens the i-th card's
 * iteration, `onMore()` the loop's own page.
 */
export function drawIterations(count, total, { onOpen, onMore }) {
  const cells = count + (total > count ? 1 : 0);
  const columns = Math.max(1, Math.min(COLUMNS, cells));
  const rows = Math.max(1, Math.ceil(cells / columns));
  const width = columns * (W + GAP) - GAP;
  const height = rows * (H + GAP) - GAP;
  const svg = s("svg", { class: "iteration-grid", width, height, viewBox: `0 0 ${width} ${height}` });
  const cards = [];
  const card = (i, text, action, extra = "") => {
    const label = s("text", { class: "label", x: 8, y: 19 }, text);
    const group = s(
      "g",
      {
        class: `node iteration state-pending ${extra}`,
        transform: `translate(${(i % columns) * (W + GAP)},${Math.floor(i / columns) * (H + GAP)})`,
        tabindex: 0,
        role: "button",
        "aria-label": text,
        onclick: action,
        onkeydown: (e) => {
          if (e.key === "Enter" || e.key === " ") {
            e.preventDefault();
            action();
          }
        },
      },
      s("rect", { class: "card", width: W, height: H, rx: 5 }),
      label,
    );
    svg.append(group);
    return { group, label };
  };
  for (let i = 0; i < count; i++) cards.push(card(i, `#${i}`, () => onOpen(i)));
  if (total > count) card(count, `all ${total} →`, onMore, "more");
  if (!cells) svg.append(s("text", { class: "note", x: 4, y: 19 }, "no iterations yet"));

  function update(tasks) {
    cards.forEach(({ group, label }, i) => {
      const t = tasks[i];
      const state = t ? t.state : "PENDING";
      group.setAttribute("class", `node iteration state-${state.toLowerCase()}`);
      group.setAttribute("data-state", state);
      if (t) group.setAttribute("data-iteration", t.iteration_index);
      const text = t ? `${STATE_ICONS[state] || "?"} #${t.iteration_index}` : `#${i}`;
      label.textContent = text;
      group.setAttribute("aria-label", `Iteration ${t ? t.iteration_index : i}: ${state}`);
    });
  }
  return { svg, width, height, update };
}
