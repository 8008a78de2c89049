// A page of runs from the server (paged, filtered and sorted there), with selection for compare.
import { filter, get } from "./api.js";
import { h, replace } from "./dom.js";
import { badge, duration, runStart, when } from "./format.js";
import { navigate } from "./router.js";

const FINAL = ["SUCCEEDED", "SKIPPED", "FAILED", "CANCELED"];
const REFRESH_MS = 3000;
const RUN_STATES = [
  "PENDING",
  "RUNNING",
  "SUCCEEDED",
  "SKIPPED",
  "FAILED",
  "CANCELING",
  "CANCELED",
];

/**
 * Draw the runs table into `box`. `options`: experimentId, extraPredicates, experiments (id -> name),
 * and the view state {state, q, sort, archived} (kept in the URL by the caller through onChange).
 */
// Pipeline and version names by id, read once while the app is open (neither can be renamed):
// list items carry only ids.
const names = new Map();

function nameOf(path) {
  if (!names.has(path)) names.set(path, get(path).then((found) => found.display_name).catch(() => null));
  return names.get(path);
}

function pipelineLink(pipelineId, versionId) {
  const pipeline = h("span", {}, pipelineId.slice(0, 8));
  const version = h("span", { class: "version" });
  const link = h("a", { href: `/pipelines/${pipelineId}?version=${versionId}` }, pipeline, version);
  nameOf(`/pipelines/${pipelineId}`).then((name) => {
    if (name) pipeline.textContent = name;
  });
  if (versionId) {
    nameOf(`/pipelines/${pipelineId}/versions/${versionId}`).then((name) => {
      if (name) version.textContent = ` · ${name}`;
    });
  }
  return link;
}

export function runsTable(box, options) {
  const view = { sort: "created_at desc", ...options.view };
  const tokens = [undefined];
  let pageIndex = 0;
  let shown = null;
  let timer = null;
  const selected = new Set();

  const body = h("tbody");
  const info = h("span", { class: "muted", "aria-live": "polite" });
  const prev = h("button", { type: "button", onclick: () => load(pageIndex - 1) }, "← Previous");
  const next = h("button", { type: "button", onclick: () => load(pageIndex + 1) }, "Next →");
  const compare = h(
    "button",
    {
      type: "button",
      class: "primary",
      onclick: () => navigate(`/compare?runs=${[...selected].join(",")}`),
    },
    "Compare selected",
  );

  const headers = h(
    "tr",
    {},
    h("th", { scope: "col" }, h("span", { class: "sr-only" }, "Select")),
    ...Object.entries({ display_name: "Name", state: "State" }).map(sortHeader),
    h("th", { scope: "col" }, "Duration"),
    h("th", { scope: "col" }, "Experiment"),
    h("th", { scope: "col" }, "Pipeline · version"),
    ...Object.entries({ created_at: "Created", finished_at: "Finished" }).map(sortHeader),
  );

  function sortHeader([key, label]) {
    const [field, dir] = view.sort.split(" ");
    const active = field === key;
    const arrow = active ? (dir === "desc" ? " ↓" : " ↑") : "";
    return h(
      "th",
      { scope: "col", "aria-sort": active ? (dir === "desc" ? "descending" : "ascending") : "none" },
      h(
        "button",
        {
          type: "button",
          class: "link",
          onclick: () => {
            view.sort = `${key} ${active && dir === "desc" ? "asc" : "desc"}`;
            options.onChange?.(view);
          },
        },
        `${label}${arrow}`,
      ),
    );
  }

  function updateCompare() {
    compare.disabled = selected.size < 2;
    compare.textContent = `Compare selected (${selected.size})`;
  }

  async function load(index) {
    const predicates = [...(options.extraPredicates || [])];
    if (view.state) predicates.push(["state", "EQUALS", view.state]);
    if (view.q) predicates.push(["display_name", "IS_SUBSTRING", view.q]);
    predicates.push(["storage_state", "EQUALS", view.archived ? "ARCHIVED" : "AVAILABLE"]);
    const page = await get("/runs", {
      experiment_id: options.experimentId,
      page_size: options.pageSize || 20,
      page_token: tokens[index],
      sort_by: view.sort,
      filter: filter(predicates),
    });
    pageIndex = index;
    tokens[index + 1] = page.next_page_token;
    const runs = page.runs || [];
    // Redrawn only when something changed, so that polling keeps focus and selection in place.
    const key = JSON.stringify(runs.map((r) => [r.run_id, r.state, r.finished_at]));
    if (key !== shown) replace(body, runs.length ? runs.map(row) : emptyRow());
    shown = key;
    clearTimeout(timer);
    // Runs still going on this page: read the page again until they end or the table is gone.
    if (runs.some((r) => !FINAL.includes(r.state))) {
      // A failed read just ends the refreshing: the table keeps what it showed.
      timer = setTimeout(() => body.isConnected && load(pageIndex).catch(() => {}), REFRESH_MS);
    }
    const first = index * (options.pageSize || 20);
    info.textContent = runs.length
      ? `${first + 1}–${first + runs.length} of ${page.total_size ?? "?"}`
      : "";
    prev.disabled = index === 0;
    next.disabled = !page.next_page_token;
  }

  function emptyRow() {
    return h(
      "tr",
      {},
      h(
        "td",
        { colspan: 8, class: "empty" },
        view.state || view.q ? "No runs match these filters." : "No runs yet. ",
        view.state || view.q ? "" : h("a", { href: "/runs/new" }, "Start a run"),
      ),
    );
  }

  function row(run) {
    const box = h("input", {
      type: "checkbox",
      "aria-label": `Select ${run.display_name}`,
      checked: selected.has(run.run_id),
      onchange: (e) => {
        if (e.target.checked) selected.add(run.run_id);
        else selected.delete(run.run_id);
        updateCompare();
      },
    });
    const versionRef = run.pipeline_version_reference;
    return h(
      "tr",
      { dataset: { runId: run.run_id } },
      h("td", {}, box),
      h("td", {}, h("a", { href: `/runs/${run.run_id}` }, run.display_name || run.run_id)),
      h("td", {}, badge(run.state)),
      h("td", {}, duration(runStart(run), run.finished_at)),
      h(
        "td",
        {},
        run.experiment_id
          ? h(
              "a",
              { href: `/experiments/${run.experiment_id}` },
              options.experiments?.get(run.experiment_id) || run.experiment_id.slice(0, 8),
            )
          : "—",
      ),
      h(
        "td",
        {},
        versionRef?.pipeline_id
          ? pipelineLink(versionRef.pipeline_id, run.pipeline_version_id)
          : "—",
      ),
      h("td", {}, when(run.created_at)),
      h("td", {}, when(run.finished_at)),
    );
  }

  const stateSelect = h(
    "select",
    {
      "aria-label": "State",
      name: "state",
      onchange: (e) => options.onChange?.({ ...view, state: e.target.value }),
    },
    h("option", { value: "" }, "Any state"),
    RUN_STATES.map((s) => h("option", { value: s, selected: view.state === s }, s)),
  );
  const search = h("input", {
    type: "search",
    name: "q",
    placeholder: "Name contains…",
    "aria-label": "Name contains",
    value: view.q || "",
  });
  const form = h(
    "form",
    {
      class: "filters",
      role: "search",
      onsubmit: (e) => {
        e.preventDefault();
        options.onChange?.({ ...view, q: search.value.trim() });
      },
    },
    search,
    stateSelect,
    options.experimentFilter || "",
    h(
      "label",
      {},
      h("input", {
        type: "checkbox",
        checked: !!view.archived,
        onchange: (e) => options.onChange?.({ ...view, archived: e.target.checked ? "1" : "" }),
      }),
      " Archived",
    ),
    h("button", { type: "submit" }, "Search"),
  );
  updateCompare();
  replace(
    box,
    form,
    h("table", { class: "grid runs" }, h("thead", {}, headers), body),
    h("div", { class: "pager" }, prev, next, info, compare),
  );
  return load(0);
}
