// A task's details beside the graph: parameters, artifacts, attempts with their logs, cache, command.
import { apiUrl, get, raw } from "../api.js";
import { h, replace } from "../dom.js";
import { badge, duration, value, when } from "../format.js";
import { inlinePreview } from "../artifacts/preview.js";

const LIVE_MS = 1500;

/** Draw task `taskId` of run `runId` into `box`; returns {refresh(), stop()}. */
export function taskPanel(box, { runId, taskId, onClose }) {
  let logAttempt = null;
  let logTimer = null;
  let drawn = null;
  const logBox = h("pre", { class: "log", tabindex: 0, "aria-label": "Log" });
  const logHead = h("div", { class: "log-head" });

  let name = null;
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && name !== null) onClose(name);
  });

  async function refresh() {
    const detail = await get(`/runs/${runId}/tasks/${taskId}`);
    const t = detail.task;
    name = t.name;
    // Redraw only on a change: polling must not reset scrolling and focus in the panel.
    const key = JSON.stringify([t.state, t.finished_at, detail.attempts, detail.output_artifacts.length, t.child_states]);
    if (key === drawn) return t;
    drawn = key;
    const leaf = t.kind === "CONTAINER" || t.kind === "IMPORTER";
    replace(
      box,
      h(
        "div",
        { class: "panel-head" },
        h("h2", { id: "task-title", tabindex: -1 }, t.name),
        h("button", { type: "button", class: "close", "aria-label": "Close task panel", onclick: () => onClose(t.name) }, "×"),
      ),
      h(
        "dl",
        { class: "facts" },
        fact("State", badge(t.state)),
        fact("Kind", t.kind),
        fact("Component", t.component_name || "—"),
        fact("Started", when(t.started_at)),
        fact("Duration", duration(t.started_at, t.finished_at)),
        leaf ? fact("Cache", cacheText(detail)) : null,
        t.error ? fact("Error", h("span", { class: "error-text" }, t.error)) : null,
      ),
      section("Inputs", params(detail.inputs), artifacts(detail.input_artifacts)),
      section("Outputs", params(detail.outputs), artifacts(detail.output_artifacts)),
      leaf ? section("Attempts", attempts(detail)) : null,
      leaf && detail.attempts.length ? section("Logs", logHead, logBox) : null,
      leaf && detail.command
        ? h(
            "details",
            { class: "panel-section" },
            h("summary", {}, "Command", detail.image ? ` (image ${detail.image})` : ""),
            h("pre", { class: "command" }, detail.command.join(" ")),
          )
        : null,
    );
    if (leaf && detail.attempts.length) {
      const latest = detail.attempts[detail.attempts.length - 1].number;
      await showLog(logAttempt ?? latest);
    }
    return t;
  }

  function attempts(detail) {
    if (!detail.attempts.length) {
      const why = detail.task.state === "CACHED" ? "None: its outputs were reused from the cache." : "Not started yet.";
      return h("p", { class: "empty" }, why);
    }
    return h(
      "table",
      { class: "grid" },
      h("thead", {}, h("tr", {}, ["#", "State", "Exit code", "Duration", ""].map((x) => h("th", {}, x)))),
      h(
        "tbody",
        {},
        detail.attempts.map((a) =>
          h(
            "tr",
            {},
            h("td", {}, a.number),
            h("td", {}, badge(a.state)),
            h("td", {}, a.exit_code ?? "—"),
            h("td", {}, duration(a.started_at, a.finished_at)),
            h(
              "td",
              {},
              h("button", { type: "button", class: "link", onclick: () => showLog(a.number) }, `Log #${a.number}`),
            ),
          ),
        ),
      ),
    );
  }

  // The attempt shown and how many of its log's bytes are on screen: a running attempt's
  // log is followed by asking only for what was written since (`offset`).
  let shown = { attempt: null, offset: 0 };
  let reading = Promise.resolve();

  function showLog(number) {
    if (number !== shown.attempt) {
      shown = { attempt: number, offset: 0 };
      logAttempt = number;
      logBox.textContent = "";
    }
    // One read at a time: a refresh and the live timer must not append the same bytes twice.
    const target = shown;
    reading = reading.then(() => readLog(target));
    return reading;
  }

  async function readLog(target) {
    if (target !== shown) return; // another attempt was chosen meanwhile
    clearTimeout(logTimer);
    const query = { attempt: target.attempt };
    try {
      const response = await raw(`/runs/${runId}/tasks/${taskId}/logs`, { ...query, offset: target.offset });
      const text = await response.text();
      if (target !== shown) return;
      const state = response.headers.get("X-Headrace-State");
      target.offset = Number(response.headers.get("X-Headrace-Log-Offset"));
      const atEnd = logBox.scrollTop + logBox.clientHeight >= logBox.scrollHeight - 4;
      if (text) logBox.append(text);
      if (atEnd) logBox.scrollTop = logBox.scrollHeight;
      replace(
        logHead,
        `Attempt ${target.attempt} · ${state}`,
        state === "RUNNING" ? h("span", { class: "live" }, " · live") : "",
        " · ",
        h("a", { href: apiUrl(`/runs/${runId}/tasks/${taskId}/logs`, query), target: "_blank" }, "raw"),
      );
      if (state === "RUNNING") logTimer = setTimeout(() => showLog(target.attempt), LIVE_MS);
    } catch (error) {
      if (target !== shown) return;
      logBox.textContent = `No log: ${error.message}`;
      shown = { attempt: null, offset: 0 }; // the next refresh reads it again from the start
    }
  }

  return { refresh, stop: () => clearTimeout(logTimer) };
}

function cacheText(detail) {
  if (detail.task.state === "CACHED") {
    return `reused from task ${(detail.cached_from_task_id || "?").slice(0, 8)} (fingerprint ${(detail.cache_fingerprint || "").slice(0, 12)})`;
  }
  return detail.cache_fingerprint ? `executed; fingerprint ${detail.cache_fingerprint.slice(0, 12)}` : "not cached";
}

function fact(label, content) {
  return [h("dt", {}, label), h("dd", {}, content)];
}

function section(title, ...content) {
  const shown = content.filter(Boolean);
  return h("section", { class: "panel-section" }, h("h3", {}, title), shown.length ? shown : h("p", { class: "muted" }, "None."));
}

function params(values) {
  const entries = Object.entries(values || {});
  if (!entries.length) return null;
  return h(
    "table",
    { class: "grid kv" },
    h("tbody", {}, entries.map(([k, v]) => h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, value(v))))),
  );
}

function artifacts(list) {
  if (!list || !list.length) return null;
  return h(
    "ul",
    { class: "artifacts" },
    list.map((a) =>
      h(
        "li",
        {},
        h("a", { href: `/artifacts/${a.artifact_id}` }, `${a.key}`),
        h("span", { class: "muted" }, ` ${a.type}`),
        inlinePreview(a),
      ),
    ),
  );
}
