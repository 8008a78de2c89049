// Pick a pipeline and one of its versions (or "latest"), then fill in its typed inputs.
import { filter, get, post } from "./api.js";
import { h, replace } from "./dom.js";
import { inputsOf, irOf } from "./graph/spec.js";
import { DEFAULT_NAMESPACE, currentNamespace } from "./namespace.js";
import { paramFields } from "./params.js";

/**
 * Fields for choosing what to run. Returns {element, choice()} where choice() gives
 * {pipelineId, versionId (null = latest), inputs}.
 */
export async function pipelinePicker({ pipelineId, versionId, allowLatest = false }) {
  const pipelines = (await get("/pipelines", { page_size: 1000, sort_by: "display_name" })).pipelines || [];
  let inputs = [];
  const params = h("fieldset", { class: "params" }, h("legend", {}, "Parameters"));
  const pipelineSelect = h(
    "select",
    { id: "pipeline", name: "pipeline", required: true, onchange: () => loadVersions() },
    h("option", { value: "" }, pipelines.length ? "Choose a pipeline…" : "No pipelines: upload one first"),
    pipelines.map((p) => h("option", { value: p.pipeline_id, selected: p.pipeline_id === pipelineId }, p.display_name)),
  );
  const versionSelect = h("select", { id: "version", name: "version", onchange: () => loadInputs() });

  let versions = [];
  async function loadVersions() {
    const id = pipelineSelect.value;
    versions = id
      ? (await get(`/pipelines/${id}/versions`, { page_size: 200, sort_by: "created_at desc" })).pipeline_versions || []
      : [];
    replace(
      versionSelect,
      allowLatest ? h("option", { value: "" }, "Always the latest version") : null,
      versions.map((v, i) =>
        h("option", { value: v.pipeline_version_id, selected: versionId ? v.pipeline_version_id === versionId : i === 0 && !allowLatest }, v.display_name),
      ),
    );
    await loadInputs();
  }
  async function loadInputs() {
    const version = versions.find((v) => v.pipeline_version_id === versionSelect.value) || versions[0];
    inputs = version ? inputsOf(irOf(version.pipeline_spec)) : [];
    replace(
      params,
      h("legend", {}, "Parameters"),
      inputs.length ? paramFields(inputs) : h("p", { class: "muted" }, version ? "This pipeline takes no inputs." : "Choose a pipeline first."),
    );
  }
  await loadVersions();
  const element = h(
    "div",
    {},
    h("div", { class: "field" }, h("label", { for: "pipeline" }, "Pipeline"), pipelineSelect),
    h("div", { class: "field" }, h("label", { for: "version" }, "Version"), versionSelect),
    params,
  );
  return {
    element,
    choice: () => ({
      pipelineId: pipelineSelect.value,
      versionId: versionSelect.value || null,
      inputs,
    }),
  };
}

/** An experiment select: "" means the namespace's Default experiment. */
export async function experimentSelect(selected) {
  const experiments = (await get("/experiments", { page_size: 1000, sort_by: "display_name" })).experiments || [];
  return h(
    "select",
    { id: "experiment", name: "experiment" },
    h("option", { value: "" }, "Default"),
    experiments
      // "" already stands for the Default experiment (the server creates it on first use).
      .filter((e) => e.storage_state !== "ARCHIVED" && e.display_name !== "Default")
      .map((e) => h("option", { value: e.experiment_id, selected: e.experiment_id === selected }, e.display_name)),
  );
}

/**
 * The experiment to submit to: the select's, or else the namespace's Default. The server puts a
 * run without one in `default`'s, so another namespace's Default is found (or made) here.
 */
export async function experimentIdOf(select) {
  if (select.value || currentNamespace() === DEFAULT_NAMESPACE) return select.value || undefined;
  const found = await get("/experiments", { filter: filter([["display_name", "EQUALS", "Default"]]) });
  if (found.experiments?.length) return found.experiments[0].experiment_id;
  return (await post("/experiments", { display_name: "Default" })).experiment_id;
}
