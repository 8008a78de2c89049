// The DAGs inside a compiled pipeline (the KFP IR): which tasks a component runs and their edges.

/** The IR itself, whether the API sent it bare or as {pipeline_spec, platform_spec}. */
export function irOf(spec) {
  if (spec && spec.pipeline_spec && !spec.root) return spec.pipeline_spec;
  return spec || {};
}

/** The DAG of component `name` ("root" for the pipeline), as nodes and edges; null for a leaf. */
export function dagOf(ir, name) {
  const component = name === "root" || !name ? ir.root : (ir.components || {})[name];
  const tasks = component?.dag?.tasks;
  if (!tasks) return null;
  const nodes = Object.entries(tasks).map(([id, task]) => ({
    id,
    label: task.taskInfo?.name || id,
    component: task.componentRef?.name,
    loop: !!(task.parameterIterator || task.artifactIterator),
    condition: task.triggerPolicy?.condition || null,
    isDag: !!(ir.components || {})[task.componentRef?.name]?.dag,
  }));
  const edges = [];
  for (const [id, task] of Object.entries(tasks)) {
    for (const upstream of task.dependentTasks || []) {
      if (tasks[upstream]) edges.push([upstream, id]);
    }
  }
  return { nodes, edges };
}

/** The pipeline's typed inputs: [{name, type, default, optional, description}]. */
export function inputsOf(ir) {
  const definitions = ir.root?.inputDefinitions || {};
  const params = Object.entries(definitions.parameters || {}).map(([name, p]) => ({
    name,
    type: p.parameterType || "STRING",
    default: p.defaultValue,
    optional: !!p.isOptional || p.defaultValue !== undefined,
    description: p.description || "",
  }));
  const artifacts = Object.entries(definitions.artifacts || {}).map(([name, a]) => ({
    name,
    type: a.artifactType?.schemaTitle || "system.Artifact",
    artifact: true,
  }));
  return [...params, ...artifacts];
}
