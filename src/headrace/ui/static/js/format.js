// Dates, durations and run/task states as people read them.
import { h } from "./dom.js";

export const STATE_ICONS = {
  PENDING: "○",
  RUNNING: "◐",
  SUCCEEDED: "✓",
  CACHED: "⟲",
  SKIPPED: "⤼",
  FAILED: "✕",
  CANCELING: "■",
  CANCELED: "■",
};

export function badge(state) {
  const name = state || "UNKNOWN";
  return h(
    "span",
    { class: `badge state-${name.toLowerCase()}`, title: name },
    h("span", { "aria-hidden": "true" }, STATE_ICONS[name] || "?"),
    ` ${name}`,
  );
}

export function when(text) {
  if (!text) return "—";
  const date = new Date(text);
  return date.toISOString().replace("T", " ").slice(0, 19);
}

export function duration(start, end) {
  if (!start) return "—";
  const ms = (end ? new Date(end) : new Date()) - new Date(start);
  if (ms < 0) return "—";
  const seconds = ms / 1000;
  if (seconds < 60) return `${seconds.toFixed(seconds < 10 ? 1 : 0)} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${Math.round(seconds % 60)} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

export function value(v) {
  if (v === undefined) return "—";
  return typeof v === "string" ? v : JSON.stringify(v);
}

export function runStart(run) {
  const history = run.state_history || [];
  const running = history.find((s) => s.state === "RUNNING");
  return running ? running.update_time : null;
}

export function bytes(n) {
  if (n === undefined || n === null) return "—";
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
