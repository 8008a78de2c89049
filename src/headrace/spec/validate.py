"""Checks that a PipelineSpec is complete and runnable before any run starts."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2

from headrace.errors import PipelineSpecError
from headrace.spec.conditions import compile_condition


def validate(spec: pipeline_spec_pb2.PipelineSpec, source: str) -> None:
    """Raise PipelineSpecError (or ConditionError) naming the first problem found."""
    executors = spec.deployment_spec.fields.get("executors")
    executor_specs = executors.struct_value.fields if executors is not None else {}
    for name, component in spec.components.items():
        label = component.executor_label
        if label:
            if label not in executor_specs:
                raise PipelineSpecError(
                    f"{source}: component {name!r} uses executor {label!r}, "
                    "which is not in deploymentSpec.executors",
                    "recompile the pipeline with kfp 2.x",
                )
            if "resolver" in executor_specs[label].struct_value.fields:
                raise PipelineSpecError(
                    f"{source}: component {name!r} uses resolver executor {label!r}; "
                    "resolver executors are not supported",
                    "Kubeflow's backend does not support them either; use an importer "
                    "or a component output instead",
                )
    for dag_name, dag in _dags(spec):
        _validate_dag(spec, dag_name, dag, source)


def _dags(spec: pipeline_spec_pb2.PipelineSpec) -> Iterator[tuple[str, pipeline_spec_pb2.DagSpec]]:
    yield "root", spec.root.dag
    for name, component in spec.components.items():
        if component.WhichOneof("implementation") == "dag":
            yield name, component.dag


def _validate_dag(
    spec: pipeline_spec_pb2.PipelineSpec, dag_name: str, dag: pipeline_spec_pb2.DagSpec, source: str
) -> None:
    tasks = dag.tasks
    where = f"{source}: in {dag_name}"
    for task_name, task in tasks.items():
        ref = task.component_ref.name
        if ref not in spec.components:
            raise PipelineSpecError(
                f"{where}, task {task_name!r} refers to component {ref!r}, which does not exist",
                "recompile the pipeline with kfp 2.x",
            )
        for dep in task.dependent_tasks:
            if dep not in tasks:
                raise PipelineSpecError(
                    f"{where}, task {task_name!r} depends on task {dep!r}, "
                    "which is not in the same DAG",
                    "recompile the pipeline with kfp 2.x",
                )
        for producer in _producers(task):
            if producer not in tasks:
                raise PipelineSpecError(
                    f"{where}, task {task_name!r} takes an input from task {producer!r}, "
                    "which is not in the same DAG",
                    "recompile the pipeline with kfp 2.x",
                )
        condition = task.trigger_policy.condition
        if condition:
            compile_condition(condition, f"task {task_name!r} in {source}")
    _check_acyclic(tasks, where)
    for output_name, selectors in dag.outputs.parameters.items():
        for producer in _output_parameter_producers(selectors):
            _check_output_producer(tasks, producer, output_name, where)
    for output_name, artifact_selectors in dag.outputs.artifacts.items():
        for selector in artifact_selectors.artifact_selectors:
            _check_output_producer(tasks, selector.producer_subtask, output_name, where)


def _check_output_producer(
    tasks: Mapping[str, Any], producer: str, output_name: str, where: str
) -> None:
    if producer and producer not in tasks:
        raise PipelineSpecError(
            f"{where}, output {output_name!r} is taken from task {producer!r}, "
            "which is not in the DAG",
            "recompile the pipeline with kfp 2.x",
        )


def _output_parameter_producers(
    spec: pipeline_spec_pb2.DagOutputsSpec.DagOutputParameterSpec,
) -> Iterator[str]:
    kind = spec.WhichOneof("kind")
    if kind == "value_from_parameter":
        yield spec.value_from_parameter.producer_subtask
    elif kind == "value_from_oneof":
        for selector in spec.value_from_oneof.parameter_selectors:
            yield selector.producer_subtask


def _producers(task: pipeline_spec_pb2.PipelineTaskSpec) -> Iterator[str]:
    for parameter in task.inputs.parameters.values():
        if parameter.WhichOneof("kind") == "task_output_parameter":
            yield parameter.task_output_parameter.producer_task
    for artifact in task.inputs.artifacts.values():
        if artifact.WhichOneof("kind") == "task_output_artifact":
            yield artifact.task_output_artifact.producer_task


def _check_acyclic(tasks: Mapping[str, Any], where: str) -> None:
    deps = {
        name: {d for d in [*task.dependent_tasks, *_producers(task)] if d in tasks}
        for name, task in tasks.items()
    }
    remaining = dict(deps)
    progress = True
    while remaining and progress:
        ready = [name for name, needs in remaining.items() if not needs & remaining.keys()]
        progress = bool(ready)
        for name in ready:
            del remaining[name]
    if not remaining:
        return
    # Every remaining task waits on another remaining one: walk until a task repeats.
    path = [min(remaining)]
    while True:
        nxt = min(remaining[path[-1]] & remaining.keys())
        if nxt in path:
            cycle = [*path[path.index(nxt) :], nxt]
            raise PipelineSpecError(
                f"{where}, tasks form a dependency cycle: {' -> '.join(cycle)}",
                "remove one of the dependencies so that the DAG has no cycle",
            )
        path.append(nxt)
