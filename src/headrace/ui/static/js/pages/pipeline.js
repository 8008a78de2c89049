// A pipeline: its versions, a version's graph drawn from its spec, inputs with defaults, YAML.
import { del, get } from "../api.js";
import { h, replace, toast } from "../dom.js";
import { value, when } from "../format.js";
import { drawGraph } from "../graph/render.js";
import { dagOf, inputsOf, irOf } from "../graph/spec.js";
import { navigate, query, setQuery } from "../router.js";
import { toYaml } from "../yaml.js";
import { uploadForm } from "./pipelines.js";

export async function pipelinePage(main, { pipeline_id: pipelineId }) {
  const q = query();
  const [pipeline, list] = await Promise.all([
    get(`/pipelines/${pipelineId}`),
    get(`/pipelines/${pipelineId}/versions`, { page_size: 200, sort_by: "created_at desc" }),
  ]);
  const versions = list.pipeline_versions || [];
  const version = versions.find((v) => v.pipeline_version_id === q.version) || versions[0];
  const head = h(
    "div",
    { class: "page-head" },
    h("h1", {}, pipeline.display_name),
    h(
      "div",
      { class: "actions" },
      version
        ? h("a", { class: "button primary", href: `/runs/new?pipeline=${pipelineId}&version=${version.pipeline_version_id}` }, "Create run")
        : null,
      version ? h("a", { class: "button", href: `/recurring/new?pipeline=${pipelineId}` }, "Schedule") : null,
      h(
        "button",
        {
          type: "button",
          onclick: async () => {
            if (!confirm(`Delete pipeline ${pipeline.display_name} and all its versions?`)) return;
            try {
              await del(`/pipelines/${pipelineId}`, { cascade: true });
              navigate("/pipelines");
            } catch (e) {
              toast(e.message, "error");
            }
          },
        },
        "Delete",
      ),
    ),
  );
  if (!version) {
    replace(main, head, h("p", { class: "empty" }, "This pipeline has no versions yet."), uploadForm(pipelineId));
    return;
  }
  const ir = irOf(version.pipeline_spec);
  const component = q.component || "root";
  const dag = dagOf(ir, component);
  const graph = dag
    ? drawGraph(dag, {
        onSelect: (node) => {
          if (node.isDag) setQuery({ component: node.component });
          else toast(`${node.label}: component ${node.component}`);
        },
      })
    : null;
  // A spec has no states: each node says which component it runs.
  graph?.update(Object.fromEntries(dag.nodes.map((n) => [n.id, { state: "PENDING", note: n.loop ? `loop over ${n.component}` : n.component }])));
  const inputs = inputsOf(ir);
  replace(
    main,
    head,
    pipeline.description ? h("p", {}, pipeline.description) : null,
    h(
      "div",
      { class: "field inline" },
      h("label", { for: "version-pick" }, "Version "),
      h(
        "select",
        { id: "version-pick", onchange: (e) => setQuery({ version: e.target.value, component: "" }) },
        versions.map((v) =>
          h("option", { value: v.pipeline_version_id, selected: v === version }, `${v.display_name} (${when(v.created_at)})`),
        ),
      ),
    ),
    h("h2", {}, "Graph", component !== "root" ? [" of ", h("code", {}, component), " ", h("a", { href: `/pipelines/${pipelineId}?version=${version.pipeline_version_id}` }, "(back to the pipeline)")] : ""),
    graph ? h("div", { class: "graph-scroll" }, graph.svg) : h("p", { class: "empty" }, "No DAG in this component."),
    h("h2", {}, "Inputs"),
    inputs.length
      ? h(
          "table",
          { class: "grid" },
          h("thead", {}, h("tr", {}, ["Name", "Type", "Default"].map((t) => h("th", { scope: "col" }, t)))),
          h("tbody", {}, inputs.map((i) => h("tr", {}, h("td", {}, i.name), h("td", {}, i.type), h("td", {}, i.optional ? value(i.default) : "required")))),
        )
      : h("p", { class: "empty" }, "No inputs."),
    h("details", { class: "yaml" }, h("summary", {}, "Pipeline spec (YAML)"), h("pre", {}, toYaml(version.pipeline_spec))),
    uploadForm(pipelineId),
  );
}
