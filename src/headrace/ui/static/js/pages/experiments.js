// Experiments: sortable list, archive and restore, and one experiment's runs.
import { filter, get, post } from "../api.js";
import { h, replace, toast } from "../dom.js";
import { when } from "../format.js";
import { navigate, query, setQuery } from "../router.js";
import { runsTable } from "../runs_table.js";

const COLUMNS = { display_name: "Name", created_at: "Created", last_run_created_at: "Last run" };

export async function experimentsPage(main) {
  const q = query();
  const sort = q.sort || "created_at desc";
  const [field, dir] = sort.split(" ");
  const archived = q.archived === "1";
  const page = await get("/experiments", {
    page_size: 100,
    sort_by: sort,
    filter: filter([["storage_state", "EQUALS", archived ? "ARCHIVED" : "AVAILABLE"]]),
  });
  const items = page.experiments || [];
  const name = h("input", { id: "experiment-name", required: true, placeholder: "New experiment name" });
  const header = ([key, label]) =>
    h(
      "th",
      { scope: "col", "aria-sort": key === field ? (dir === "asc" ? "ascending" : "descending") : "none" },
      h(
        "button",
        { type: "button", class: "link", onclick: () => setQuery({ sort: `${key} ${key === field && dir !== "asc" ? "asc" : "desc"}` }) },
        label,
        key === field ? (dir === "asc" ? " ↑" : " ↓") : "",
      ),
    );
  replace(
    main,
    h("div", { class: "page-head" }, h("h1", {}, archived ? "Archived experiments" : "Experiments")),
    h(
      "div",
      { class: "filters" },
      h("a", { href: archived ? "/experiments" : "/experiments?archived=1" }, archived ? "Show active" : "Show archived"),
    ),
    h(
      "table",
      { class: "grid" },
      h("thead", {}, h("tr", {}, Object.entries(COLUMNS).map(header), h("th", { scope: "col" }, ""))),
      h(
        "tbody",
        {},
        items.length
          ? items.map((e) =>
              h(
                "tr",
                {},
                h("td", {}, h("a", { href: `/experiments/${e.experiment_id}` }, e.display_name)),
                h("td", {}, when(e.created_at)),
                h("td", {}, when(e.last_run_created_at)),
                h("td", {}, archiveButton(e)),
              ),
            )
          : h("tr", {}, h("td", { colspan: 4, class: "empty" }, archived ? "No archived experiments." : "No experiments yet.")),
      ),
    ),
    archived
      ? null
      : h(
          "form",
          {
            class: "form inline",
            onsubmit: async (event) => {
              event.preventDefault();
              try {
                const made = await post("/experiments", { display_name: name.value.trim() });
                navigate(`/experiments/${made.experiment_id}`);
              } catch (e) {
                toast(e.message, "error");
              }
            },
          },
          h("label", { for: "experiment-name", class: "sr-only" }, "New experiment name"),
          name,
          h("button", { type: "submit" }, "Create experiment"),
        ),
  );
}

function archiveButton(e) {
  const archived = e.storage_state === "ARCHIVED";
  return h(
    "button",
    {
      type: "button",
      onclick: async () => {
        try {
          await post(`/experiments/${e.experiment_id}:${archived ? "unarchive" : "archive"}`);
          navigate(location.pathname + location.search, { replace: true });
        } catch (error) {
          toast(error.message, "error");
        }
      },
    },
    archived ? "Restore" : "Archive",
  );
}

export async function experimentPage(main, { experiment_id: experimentId }) {
  const q = query();
  const experiment = await get(`/experiments/${experimentId}`);
  const table = h("div");
  replace(
    main,
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, experiment.display_name, experiment.storage_state === "ARCHIVED" ? " (archived)" : ""),
      h(
        "div",
        { class: "actions" },
        h("a", { class: "button primary", href: `/runs/new?experiment=${experimentId}` }, "New run"),
        archiveButton(experiment),
      ),
    ),
    experiment.description ? h("p", {}, experiment.description) : null,
    h("h2", {}, "Runs"),
    table,
  );
  await runsTable(table, {
    experimentId,
    view: { state: q.state, q: q.q, sort: q.sort || "created_at desc", archived: q.archived },
    onChange: (view) => setQuery({ state: view.state, q: view.q, sort: view.sort, archived: view.archived }),
  });
}
