// One level of a run's task tree: a DAG drawn as a graph, or a loop's iterations in pages.
import { get } from "../api.js";
import { h, replace } from "../dom.js";
import { badge, duration } from "../format.js";
import { drawIterations } from "../graph/iterations.js";
import { drawGraph } from "../graph/render.js";
import { dagOf } from "../graph/spec.js";

const ITERATIONS_PAGE = 50;
const INLINE_ITERATIONS = 8; // a loop open in its parent's graph: its first iterations
const FINAL = ["SUCCEEDED", "CACHED", "SKIPPED", "FAILED", "CANCELED"];

/** "734/1000 done, 3 failed" from a parent's child state counts. */
function progressNote(counts, total, { short = false } = {}) {
  if (!counts) return "";
  const sum = Object.values(counts).reduce((a, b) => a + b, 0);
  const done = FINAL.reduce((n, s) => n + (counts[s] || 0), 0);
  const failed = counts.FAILED || 0;
  const running = counts.RUNNING || 0;
  let text = `${done}/${total ?? sum} done`;
  if (running && !short) text += `, ${running} running`;
  if (failed) text += `, ${failed} failed`;
  return text;
}

/** What the graph shows for each child task: state, note, and its children's counts. */
function statusesOf(tasks) {
  const statuses = {};
  for (const t of tasks) {
    let note = "";
    // Short on the card: the bar beneath shows what runs.
    if (t.kind === "LOOP") note = progressNote(t.child_states, t.iteration_count, { short: true });
    else if (t.kind === "DAG") note = progressNote(t.child_states, null, { short: true });
    else if (t.state === "RUNNING" || FINAL.includes(t.state))
      note = `${t.state.toLowerCase()} ${duration(t.started_at, t.finished_at)}`;
    const counts = t.kind === "LOOP" || t.kind === "DAG" ? t.child_states : null;
    statuses[t.name] = { state: t.state, note, counts, total: t.kind === "LOOP" ? t.iteration_count : null };
  }
  return statuses;
}

const childrenOf = async (runId, parentId, pageSize) =>
  (await get(`/runs/${runId}/tasks`, { parent_id: parentId, page_size: pageSize })).tasks;

/**
 * A DAG level (root, sub-DAG or iteration `container`): draws its component's graph and
 * returns {refresh()} that re-reads the children's states. `open(record)` is called on a task,
 * `openLevel(record)` on an iteration. The sub-DAGs and loops in `expanded` (node ids) are shown
 * open in place: a sub-DAG's graph, a loop's first iterations; `onToggle(node)` opens or
 * closes one.
 */
export function dagLevel(box, { runId, ir, container, open, openLevel, selectedTaskId, expanded = new Set(), onToggle }) {
  const dag = dagOf(ir, container.kind === "ROOT" ? "root" : container.component_name);
  if (!dag || !dag.nodes.length) {
    replace(box, h("p", { class: "empty" }, "This component has no tasks to draw."));
    return { refresh: async () => {} };
  }
  let records = new Map();
  let selectedName = null;
  const openNodes = dag.nodes.filter((n) => expanded.has(n.id) && (n.loop || n.isDag));
  let graph = null;
  let parts = new Map(); // node id -> what is drawn inside its frame
  let shape = null;

  const select = (found) => (node) => {
    const record = found().get(node.id);
    if (record) open(record);
    else open({ pending: true, name: node.id });
  };

  /** A sub-DAG's graph inside its frame, its states read from its own children. */
  function subDag(node) {
    const inner = dagOf(ir, node.component);
    if (!inner || !inner.nodes.length) return null;
    let found = new Map();
    let innerSelected = null;
    const drawn = drawGraph(inner, { onSelect: select(() => found), selected: () => innerSelected });
    return {
      svg: drawn.svg,
      width: Number(drawn.svg.getAttribute("width")),
      height: Number(drawn.svg.getAttribute("height")),
      async refresh(record) {
        const tasks = record ? await childrenOf(runId, record.task_id, 500) : [];
        found = new Map(tasks.map((t) => [t.name, t]));
        innerSelected = tasks.find((t) => t.task_id === selectedTaskId)?.name ?? null;
        drawn.update(statusesOf(tasks));
      },
    };
  }

  /** A loop's first iterations inside its frame. */
  function loopCards(node, record) {
    const total = record?.iteration_count ?? 0;
    let tasks = [];
    const drawn = drawIterations(Math.min(INLINE_ITERATIONS, total), total, {
      onOpen: (i) => tasks[i] && openLevel(tasks[i]),
      onMore: () => record && open(record),
    });
    return {
      ...drawn,
      async refresh(current) {
        tasks = current ? await childrenOf(runId, current.task_id, INLINE_ITERATIONS) : [];
        drawn.update(tasks);
      },
    };
  }

  /** Draw the graph again when what the open nodes hold changes size (a loop's count known). */
  function draw() {
    const key = JSON.stringify(openNodes.map((n) => [n.id, n.loop ? records.get(n.id)?.iteration_count ?? 0 : 0]));
    if (key === shape) return;
    shape = key;
    parts = new Map();
    for (const node of openNodes) {
      const part = node.loop ? loopCards(node, records.get(node.id)) : subDag(node);
      if (part) parts.set(node.id, part);
    }
    graph = drawGraph(dag, {
      selected: () => selectedName,
      onSelect: select(() => records),
      onToggle,
      inner: parts,
    });
    replace(box, h("div", { class: "graph-scroll" }, graph.svg));
  }
  draw();

  async function refresh() {
    const page = await get(`/runs/${runId}/tasks`, { parent_id: container.task_id, page_size: 500 });
    records = new Map(page.tasks.map((t) => [t.name, t]));
    selectedName = page.tasks.find((t) => t.task_id === selectedTaskId)?.name ?? null;
    draw();
    graph.update(statusesOf(page.tasks));
    await Promise.all([...parts].map(([id, part]) => part.refresh(records.get(id))));
    return page.tasks;
  }
  return { refresh };
}

/** A loop level: its iterations, filtered by state, one page at a time. */
export function loopLevel(box, { runId, loop, open, openLevel }) {
  let offset = 0;
  let state = "";
  const summary = h("p", { class: "loop-summary", "aria-live": "polite" });
  const body = h("tbody");
  const info = h("span", { class: "muted" });
  const prev = h("button", { type: "button", onclick: () => go(offset - ITERATIONS_PAGE) }, "← Previous");
  const next = h("button", { type: "button", onclick: () => go(offset + ITERATIONS_PAGE) }, "Next →");
  const filter = h(
    "select",
    {
      "aria-label": "Iteration state",
      onchange: (e) => {
        state = e.target.value;
        go(0);
      },
    },
    h("option", { value: "" }, "Any state"),
    ["PENDING", "RUNNING", "SUCCEEDED", "CACHED", "FAILED", "SKIPPED", "CANCELED"].map((s) =>
      h("option", { value: s }, s),
    ),
  );
  replace(
    box,
    summary,
    h("div", { class: "filters" }, filter),
    h(
      "table",
      { class: "grid iterations" },
      h(
        "thead",
        {},
        h("tr", {}, ["Iteration", "State", "Tasks", "Duration", ""].map((t) => h("th", { scope: "col" }, t))),
      ),
      body,
    ),
    h("div", { class: "pager" }, prev, next, info),
  );
  function go(to) {
    offset = Math.max(0, to);
    return refresh();
  }
  async function refresh() {
    const [self, page] = await Promise.all([
      get(`/runs/${runId}/tasks/${loop.task_id}`),
      get(`/runs/${runId}/tasks`, {
        parent_id: loop.task_id,
        state: state || undefined,
        page_size: ITERATIONS_PAGE,
        page_token: offset ? String(offset) : undefined,
      }),
    ]);
    summary.replaceChildren(
      badge(self.task.state),
      ` ${loop.name}: ${progressNote(self.task.child_states, self.task.iteration_count)}`,
    );
    replace(
      body,
      page.tasks.length
        ? page.tasks.map((t) =>
            h(
              "tr",
              { dataset: { taskId: t.task_id } },
              h("td", {}, `#${t.iteration_index}`),
              h("td", {}, badge(t.state)),
              h("td", {}, progressNote(t.child_states)),
              h("td", {}, duration(t.started_at, t.finished_at)),
              h(
                "td",
                {},
                h("button", { type: "button", class: "link", onclick: () => openLevel(t) }, "Open"),
                " ",
                h("button", { type: "button", class: "link", onclick: () => open(t) }, "Details"),
              ),
            ),
          )
        : h("tr", {}, h("td", { colspan: 5, class: "empty" }, "No iterations in this state.")),
    );
    info.textContent = page.total_size
      ? `${offset + 1}–${offset + page.tasks.length} of ${page.total_size}`
      : "";
    prev.disabled = offset === 0;
    next.disabled = !page.next_page_token;
    return page.tasks;
  }
  return { refresh };
}
