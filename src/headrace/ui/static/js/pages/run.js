// A run: header and actions, its graph one level at a time (live), and the selected task's panel.
import { del, get, named, post } from "../api.js";
import { h, replace, toast } from "../dom.js";
import { badge, duration, runStart, value, when } from "../format.js";
import { irOf } from "../graph/spec.js";
import { isCurrent, navigate, onLeave, query, setQuery } from "../router.js";
import { dagLevel, loopLevel } from "../run/level.js";
import { taskPanel } from "../run/task_panel.js";

const POLL_MS = 1500;
const FINAL = ["SUCCEEDED", "SKIPPED", "FAILED", "CANCELED"];

export async function runPage(main, { run_id: runId }, page) {
  const q = query();
  const [loaded, roots] = await Promise.all([get(`/runs/${runId}`, { view: "BASIC" }), get(`/runs/${runId}/tasks`)]);
  let run = loaded;
  const ir = irOf(run.pipeline_spec);
  const root = roots.tasks[0] || { kind: "ROOT", task_id: null, name: run.display_name };
  const level = q.level && root.task_id ? (await get(`/runs/${runId}/tasks/${q.level}`)).task : root;
  const trail = await ancestors(runId, level);
  const expanded = new Set((q.open || "").split(",").filter(Boolean));

  const head = h("div", { class: "run-head" });
  const progress = h("p", { class: "progress", "aria-live": "polite" });
  const levelBox = h("div", { class: "level" });
  const panelBox = h("aside", { class: "task-panel", "aria-labelledby": "task-title", hidden: !q.task });
  replace(
    main,
    head,
    progress,
    h(
      "nav",
      { class: "crumbs", "aria-label": "Graph level" },
      trail.map((t, i) => [
        i ? " › " : "",
        i === trail.length - 1
          ? h("span", { "aria-current": "location" }, label(t))
          : h("a", { href: levelHref(runId, t, root) }, label(t)),
      ]),
    ),
    h("div", { class: "run-body" }, levelBox, panelBox),
  );

  const open = (record) => {
    if (record.pending) {
      toast(`${record.name} has not started yet.`);
      return;
    }
    if (record.kind === "LOOP" || record.kind === "DAG") navigate(levelHref(runId, record, root));
    else openTask(record.task_id);
  };
  // The page is drawn again: the keyboard focus goes to the panel opened, and back to the
  // task's node when the panel is closed.
  const openTask = (taskId) => setQuery({ task: taskId }).then(() => document.getElementById("task-title")?.focus());
  const closeTask = (name) =>
    setQuery({ task: "" }).then(() => document.querySelector(`g.node[data-task="${CSS.escape(name)}"]`)?.focus());
  const view =
    level.kind === "LOOP"
      ? loopLevel(levelBox, {
          runId,
          loop: level,
          open: (t) => openTask(t.task_id),
          openLevel: (t) => navigate(levelHref(runId, t, root)),
        })
      : dagLevel(levelBox, {
          runId,
          ir,
          container: level,
          open,
          openLevel: (t) => navigate(levelHref(runId, t, root)),
          selectedTaskId: q.task,
          expanded,
          // Kept in the URL (`open=`), so a shared link shows the same nodes open.
          onToggle: (node) => {
            const next = new Set(expanded);
            if (next.has(node.id)) next.delete(node.id);
            else next.add(node.id);
            setQuery({ open: [...next].join(",") }).then(() =>
              document.querySelector(`g.toggle[data-toggle="${CSS.escape(node.id)}"]`)?.focus(),
            );
          },
        });
  const panel = q.task
    ? taskPanel(panelBox, { runId, taskId: q.task, onClose: closeTask })
    : null;
  onLeave(() => panel?.stop());

  async function refresh(known) {
    if (!root.task_id) {
      // No worker has started the run yet: draw it again once its root task exists.
      if ((await get(`/runs/${runId}/tasks`)).tasks.length) navigate(location.pathname + location.search, { replace: true });
    }
    const [fresh, counts] = await Promise.all([
      known || get(`/runs/${runId}`, { view: "BASIC" }),
      get(`/runs/${runId}/progress`),
      root.task_id ? view.refresh() : null,
      panel?.refresh(),
    ]);
    run = fresh;
    const key = `${run.state} ${run.storage_state} ${run.finished_at}`;
    // Redrawn only when it changes, so that keyboard focus on its buttons survives polling.
    if (head.dataset.key !== key) drawHead(head, run);
    head.dataset.key = key;
    head.dataset.tasks = JSON.stringify(counts.task_states);
    progress.textContent = summary(counts.task_states);
  }

  await refresh(run);
  let timer = null;
  const tick = async () => {
    if (!isCurrent(page)) return;
    const wasFinal = FINAL.includes(run.state);
    try {
      await refresh();
    } catch (error) {
      toast(error.message, "error");
    }
    // One more read after the run ends, so the last states are drawn; then stop.
    if (!(wasFinal && FINAL.includes(run.state)) && isCurrent(page)) timer = setTimeout(tick, POLL_MS);
  };
  if (!FINAL.includes(run.state)) timer = setTimeout(tick, POLL_MS);
  onLeave(() => clearTimeout(timer));
}

function label(t) {
  if (t.kind === "ROOT") return "Pipeline";
  if (t.kind === "ITERATION") return `#${t.iteration_index}`;
  return t.name;
}

function levelHref(runId, t, root) {
  return t.task_id === root.task_id ? `/runs/${runId}` : `/runs/${runId}?level=${t.task_id}`;
}

async function ancestors(runId, level) {
  const trail = [level];
  let current = level;
  while (current.parent_task_id) {
    current = (await get(`/runs/${runId}/tasks/${current.parent_task_id}`)).task;
    trail.unshift(current);
  }
  return trail;
}

function summary(states) {
  const total = Object.values(states).reduce((a, b) => a + b, 0);
  if (!total) return "No tasks have started yet.";
  const parts = Object.entries(states).map(([s, n]) => `${n} ${s.toLowerCase()}`);
  return `${total} tasks: ${parts.join(", ")}`;
}

function drawHead(head, run) {
  const act = (text, action, confirmText) =>
    h(
      "button",
      {
        type: "button",
        onclick: async () => {
          if (confirmText && !confirm(confirmText)) return;
          try {
            await action();
            toast(`${text}: done`);
            if (text === "Delete") navigate("/runs");
            else navigate(location.pathname + location.search, { replace: true });
          } catch (error) {
            toast(error.message, "error");
          }
        },
      },
      text,
    );
  const id = run.run_id;
  const archived = run.storage_state === "ARCHIVED";
  replace(
    head,
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, run.display_name || id, " ", badge(run.state)),
      h(
        "div",
        { class: "actions" },
        FINAL.includes(run.state) ? null : act("Terminate", () => post(`/runs/${id}:terminate`)),
        ["FAILED", "CANCELED"].includes(run.state) ? act("Retry", () => post(`/runs/${id}:retry`)) : null,
        archived
          ? act("Restore", () => post(`/runs/${id}:unarchive`))
          : act("Archive", () => post(`/runs/${id}:archive`)),
        act("Delete", () => del(`/runs/${id}`), `Delete run ${run.display_name}? Its records go; logs stay.`),
        run.pipeline_version_reference?.pipeline_id ? h("a", { class: "button", href: `/runs/new?clone=${id}` }, "Clone") : null,
        h("a", { class: "button", href: `/compare?runs=${id}` }, "Compare…"),
      ),
    ),
    h(
      "dl",
      { class: "facts inline" },
      fact("Run id", h("code", {}, id)),
      fact("Created", when(run.created_at)),
      fact("Duration", duration(runStart(run), run.finished_at)),
      run.experiment_id ? fact("Experiment", named(h("a", { href: `/experiments/${run.experiment_id}` }, run.experiment_id.slice(0, 8)), `/experiments/${run.experiment_id}`)) : null,
      run.pipeline_version_reference?.pipeline_id
        ? fact(
            "Pipeline",
            named(
              h("a", { href: `/pipelines/${run.pipeline_version_reference.pipeline_id}?version=${run.pipeline_version_id}` }, "pipeline"),
              `/pipelines/${run.pipeline_version_reference.pipeline_id}`,
            ),
          )
        : null,
      run.recurring_run_id ? fact("Recurring run", h("a", { href: `/recurring/${run.recurring_run_id}` }, run.recurring_run_id.slice(0, 8))) : null,
    ),
    run.error ? h("div", { class: "error", role: "alert" }, run.error.message) : null,
    h(
      "details",
      { class: "params" },
      h("summary", {}, "Parameters"),
      h(
        "table",
        { class: "grid kv" },
        h(
          "tbody",
          {},
          Object.entries(run.runtime_config?.parameters || {}).map(([k, v]) =>
            h("tr", {}, h("th", { scope: "row" }, k), h("td", {}, value(v))),
          ),
        ),
      ),
    ),
  );
  head.dataset.state = run.state;
}

function fact(labelText, content) {
  return [h("dt", {}, labelText), h("dd", {}, content)];
}
