// Recurring runs: list, create (cron or interval, pinned or latest version), enable/disable, runs.
import { del, get, named, post } from "../api.js";
import { h, replace, toast } from "../dom.js";
import { when } from "../format.js";
import { readParams } from "../params.js";
import { experimentIdOf, experimentSelect, pipelinePicker } from "../pipeline_picker.js";
import { navigate, query, setQuery } from "../router.js";
import { runsTable } from "../runs_table.js";

function trigger(r) {
  if (r.trigger?.cron_schedule) return `cron ${r.trigger.cron_schedule.cron}`;
  const seconds = r.trigger?.periodic_schedule?.interval_second;
  return seconds ? `every ${seconds} s` : "—";
}

function toggle(r) {
  const enabled = r.status === "ENABLED";
  return h(
    "button",
    {
      type: "button",
      onclick: async () => {
        try {
          await post(`/recurringruns/${r.recurring_run_id}:${enabled ? "disable" : "enable"}`);
          navigate(location.pathname + location.search, { replace: true });
        } catch (e) {
          toast(e.message, "error");
        }
      },
    },
    enabled ? "Disable" : "Enable",
  );
}

export async function recurringListPage(main) {
  const page = await get("/recurringruns", { page_size: 200, sort_by: "created_at desc" });
  const items = page.recurringRuns || page.recurring_runs || [];
  replace(
    main,
    h("div", { class: "page-head" }, h("h1", {}, "Recurring runs"), h("a", { class: "button primary", href: "/recurring/new" }, "New recurring run")),
    h(
      "table",
      { class: "grid" },
      h("thead", {}, h("tr", {}, ["Name", "Trigger", "Status", "Max concurrency", "Created", ""].map((t) => h("th", { scope: "col" }, t)))),
      h(
        "tbody",
        {},
        items.length
          ? items.map((r) =>
              h(
                "tr",
                {},
                h("td", {}, h("a", { href: `/recurring/${r.recurring_run_id}` }, r.display_name)),
                h("td", {}, trigger(r)),
                h("td", {}, r.status),
                h("td", {}, r.max_concurrency ?? "1"),
                h("td", {}, when(r.created_at)),
                h("td", {}, toggle(r)),
              ),
            )
          : h("tr", {}, h("td", { colspan: 6, class: "empty" }, "No recurring runs yet.")),
      ),
    ),
  );
}

export async function recurringPage(main, { recurring_run_id: id }) {
  const q = query();
  const r = await get(`/recurringruns/${id}`);
  const ref = r.pipeline_version_reference || {};
  const table = h("div");
  replace(
    main,
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, r.display_name, " ", h("span", { class: "muted" }, r.status)),
      h(
        "div",
        { class: "actions" },
        toggle(r),
        h(
          "button",
          {
            type: "button",
            onclick: async () => {
              if (!confirm(`Delete recurring run ${r.display_name}? Its runs stay.`)) return;
              await del(`/recurringruns/${id}`);
              navigate("/recurring");
            },
          },
          "Delete",
        ),
      ),
    ),
    h(
      "dl",
      { class: "facts inline" },
      [["Trigger", trigger(r)], ["Max concurrency", r.max_concurrency ?? "1"], ["Catch up", r.no_catchup ? "no" : "yes"],
        ["Version", ref.pipeline_version_id ? ref.pipeline_version_id.slice(0, 8) : "always the latest"],
        ["Starts", when(r.trigger?.cron_schedule?.start_time || r.trigger?.periodic_schedule?.start_time)]].map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
      ref.pipeline_id ? [h("dt", {}, "Pipeline"), h("dd", {}, named(h("a", { href: `/pipelines/${ref.pipeline_id}` }, ref.pipeline_id.slice(0, 8)), `/pipelines/${ref.pipeline_id}`))] : null,
    ),
    r.error ? h("div", { class: "error", role: "alert" }, "Its last trigger failed: ", r.error.message) : null,
    h("h2", {}, "Its runs"),
    table,
  );
  await runsTable(table, {
    view: { state: q.state, q: q.q, sort: q.sort || "created_at desc" },
    extraPredicates: [["recurring_run_id", "EQUALS", id]],
    onChange: (view) => setQuery({ state: view.state, q: view.q, sort: view.sort }),
  });
}

export async function newRecurringPage(main) {
  const q = query();
  const picker = await pipelinePicker({ pipelineId: q.pipeline, allowLatest: true });
  const experiment = await experimentSelect(q.experiment);
  const error = h("div", { class: "error", role: "alert", hidden: true });
  const field = (label, el) => h("div", { class: "field" }, h("label", { for: el.id }, label), el);
  const name = h("input", { id: "rr-name", required: true });
  const kind = h("select", { id: "rr-kind", onchange: () => sync() }, h("option", { value: "interval" }, "Every N seconds"), h("option", { value: "cron" }, "Cron expression"));
  const interval = h("input", { id: "rr-interval", type: "number", min: 1, value: 3600 });
  const cron = h("input", { id: "rr-cron", placeholder: "0 0 * * * *  or  @hourly", value: "@hourly" });
  const concurrency = h("input", { id: "rr-concurrency", type: "number", min: 1, max: 10, value: 1 });
  const catchup = h("input", { id: "rr-catchup", type: "checkbox", checked: true });
  const start = h("input", { id: "rr-start", type: "datetime-local" });
  const intervalField = field("Interval (seconds)", interval);
  const cronField = field("Cron", cron);
  function sync() {
    intervalField.hidden = kind.value !== "interval";
    cronField.hidden = kind.value !== "cron";
  }
  sync();
  const form = h(
    "form",
    {
      class: "form",
      onsubmit: async (event) => {
        event.preventDefault();
        error.hidden = true;
        try {
          const choice = picker.choice();
          if (!choice.pipelineId) throw new Error("Choose a pipeline.");
          const startTime = start.value ? new Date(start.value).toISOString() : undefined;
          const body = {
            display_name: name.value.trim(),
            experiment_id: await experimentIdOf(experiment),
            pipeline_version_reference: { pipeline_id: choice.pipelineId, pipeline_version_id: choice.versionId || undefined },
            runtime_config: { parameters: readParams(form, choice.inputs) },
            max_concurrency: concurrency.value,
            no_catchup: !catchup.checked,
            mode: "ENABLE",
            trigger:
              kind.value === "cron"
                ? { cron_schedule: { cron: cron.value.trim(), start_time: startTime } }
                : { periodic_schedule: { interval_second: interval.value, start_time: startTime } },
          };
          const made = await post("/recurringruns", body);
          navigate(`/recurring/${made.recurring_run_id}`);
        } catch (e) {
          error.textContent = e.message;
          error.hidden = false;
        }
      },
    },
    field("Name", name),
    field("Experiment", experiment),
    picker.element,
    field("Trigger", kind),
    intervalField,
    cronField,
    field("Start time (optional, local)", start),
    field("Max concurrent runs", concurrency),
    h("div", { class: "field" }, h("label", {}, catchup, " Catch up missed runs")),
    error,
    h("button", { type: "submit", class: "primary" }, "Create recurring run"),
  );
  replace(main, h("h1", {}, "New recurring run"), form);
}
