// Pipelines: search, pages from the server, upload a compiled pipeline file.
import { filter, get, upload } from "../api.js";
import { h, replace, toast } from "../dom.js";
import { when } from "../format.js";
import { navigate, query, setQuery } from "../router.js";

const PAGE = 20;

export async function pipelinesPage(main) {
  const q = query();
  const tokens = [undefined];
  let index = 0;
  const body = h("tbody");
  const info = h("span", { class: "muted" });
  const prev = h("button", { type: "button", onclick: () => load(index - 1) }, "← Previous");
  const next = h("button", { type: "button", onclick: () => load(index + 1) }, "Next →");
  const search = h("input", { type: "search", name: "q", value: q.q || "", placeholder: "Name contains…", "aria-label": "Name contains" });

  async function load(i) {
    const page = await get("/pipelines", {
      page_size: PAGE,
      page_token: tokens[i],
      sort_by: q.sort || "created_at desc",
      filter: filter([["display_name", "IS_SUBSTRING", q.q]]),
    });
    index = i;
    tokens[i + 1] = page.next_page_token;
    const items = page.pipelines || [];
    replace(
      body,
      items.length
        ? items.map((p) =>
            h(
              "tr",
              {},
              h("td", {}, h("a", { href: `/pipelines/${p.pipeline_id}` }, p.display_name)),
              h("td", {}, p.description || ""),
              h("td", {}, when(p.created_at)),
              h("td", {}, h("a", { href: `/runs/new?pipeline=${p.pipeline_id}` }, "Run")),
            ),
          )
        : h("tr", {}, h("td", { colspan: 4, class: "empty" }, q.q ? "No pipeline matches." : "No pipelines yet: upload a compiled pipeline (YAML) below.")),
    );
    info.textContent = items.length ? `${i * PAGE + 1}–${i * PAGE + items.length} of ${page.total_size}` : "";
    prev.disabled = i === 0;
    next.disabled = !page.next_page_token;
  }

  replace(
    main,
    h("div", { class: "page-head" }, h("h1", {}, "Pipelines")),
    h(
      "form",
      { class: "filters", role: "search", onsubmit: (e) => (e.preventDefault(), setQuery({ q: search.value.trim() })) },
      search,
      h("button", { type: "submit" }, "Search"),
    ),
    h(
      "table",
      { class: "grid" },
      h("thead", {}, h("tr", {}, ["Name", "Description", "Created", ""].map((t) => h("th", { scope: "col" }, t)))),
      body,
    ),
    h("div", { class: "pager" }, prev, next, info),
    uploadForm(),
  );
  await load(0);
}

/** Upload a file as a new pipeline, or as a new version of `pipelineId`. */
export function uploadForm(pipelineId) {
  const file = h("input", { type: "file", id: "upload-file", name: "uploadfile", accept: ".yaml,.yml,.json,.zip,.tar.gz,.tgz", required: true });
  const name = h("input", { id: "upload-name", name: "name", placeholder: "from the file when empty" });
  const error = h("div", { class: "error", role: "alert", hidden: true });
  return h(
    "form",
    {
      class: "form upload",
      onsubmit: async (event) => {
        event.preventDefault();
        error.hidden = true;
        const data = new FormData();
        data.append("uploadfile", file.files[0]);
        try {
          if (pipelineId) {
            const version = await upload("/pipelines/upload_version", data, { pipelineid: pipelineId, name: name.value.trim() });
            toast(`Version ${version.display_name} uploaded`);
            navigate(`/pipelines/${pipelineId}?version=${version.pipeline_version_id}`);
          } else {
            const pipeline = await upload("/pipelines/upload", data, { name: name.value.trim() });
            navigate(`/pipelines/${pipeline.pipeline_id}`);
          }
        } catch (e) {
          error.textContent = e.message;
          error.hidden = false;
        }
      },
    },
    h("h2", {}, pipelineId ? "Upload a new version" : "Upload a pipeline"),
    h("div", { class: "field" }, h("label", { for: "upload-file" }, "Compiled pipeline file"), file),
    h("div", { class: "field" }, h("label", { for: "upload-name" }, pipelineId ? "Version name" : "Pipeline name"), name),
    error,
    h("button", { type: "submit", class: "primary" }, "Upload"),
  );
}
