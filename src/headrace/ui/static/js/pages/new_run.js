// Start a run of a pipeline version, with a form generated from the pipeline's typed inputs.
import { get, post } from "../api.js";
import { h, replace } from "../dom.js";
import { readParams } from "../params.js";
import { experimentIdOf, experimentSelect, pipelinePicker } from "../pipeline_picker.js";
import { navigate, query } from "../router.js";

export async function newRunPage(main) {
  const q = query();
  // Clone: the same pipeline version, experiment and parameters as an earlier run.
  const source = q.clone ? await get(`/runs/${q.clone}`, { view: "BASIC" }) : null;
  const ref = source?.pipeline_version_reference;
  const picker = await pipelinePicker({
    pipelineId: ref?.pipeline_id || q.pipeline,
    versionId: source?.pipeline_version_id || q.version,
  });
  const experiment = await experimentSelect(source?.experiment_id || q.experiment);
  const error = h("div", { class: "error", role: "alert", hidden: true });
  const name = h("input", {
    id: "run-name",
    name: "display_name",
    required: true,
    value: source ? `Clone of ${source.display_name}` : `run-${new Date().toISOString().slice(0, 19)}`,
  });
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
          const run = await post("/runs", {
            display_name: name.value.trim(),
            experiment_id: await experimentIdOf(experiment),
            pipeline_version_reference: { pipeline_id: choice.pipelineId, pipeline_version_id: choice.versionId || undefined },
            runtime_config: { parameters: readParams(form, choice.inputs) },
          });
          navigate(`/runs/${run.run_id}`);
        } catch (e) {
          error.textContent = e.message;
          error.hidden = false;
        }
      },
    },
    h("div", { class: "field" }, h("label", { for: "run-name" }, "Run name"), name),
    h("div", { class: "field" }, h("label", { for: "experiment" }, "Experiment"), experiment),
    picker.element,
    error,
    h("button", { type: "submit", class: "primary" }, "Start run"),
  );
  replace(main, h("h1", {}, source ? `Clone run ${source.display_name}` : "New run"), form);
  for (const [key, v] of Object.entries(source?.runtime_config?.parameters || {})) {
    const field = form.querySelector(`#${CSS.escape(`param-${key}`)}`);
    if (field) field.value = typeof v === "string" ? v : JSON.stringify(v);
  }
}
