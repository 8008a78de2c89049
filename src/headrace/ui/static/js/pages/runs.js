// All runs: filters and sort in the URL, pages from the server.
import { get } from "../api.js";
import { h, replace } from "../dom.js";
import { query, setQuery } from "../router.js";
import { runsTable } from "../runs_table.js";

async function experimentNames() {
  const page = await get("/experiments", { page_size: 1000, sort_by: "display_name" });
  return new Map((page.experiments || []).map((e) => [e.experiment_id, e.display_name]));
}

export async function runsPage(main) {
  const q = query();
  const experiments = await experimentNames();
  const experimentFilter = h(
    "select",
    {
      "aria-label": "Experiment",
      onchange: (e) => setQuery({ experiment: e.target.value }),
    },
    h("option", { value: "" }, "All experiments"),
    [...experiments].map(([id, name]) => h("option", { value: id, selected: q.experiment === id }, name)),
  );
  const table = h("div");
  replace(
    main,
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, "Runs"),
      h("a", { class: "button primary", href: "/runs/new" }, "New run"),
    ),
    table,
  );
  await runsTable(table, {
    view: { state: q.state, q: q.q, sort: q.sort || "created_at desc", archived: q.archived },
    experiments,
    experimentFilter,
    extraPredicates: q.experiment ? [["experiment_id", "EQUALS", q.experiment]] : [],
    onChange: (view) =>
      setQuery({ state: view.state, q: view.q, sort: view.sort, archived: view.archived }),
  });
}
