"""Resolve a task's inputs from its DAG scope: pipeline inputs, upstream outputs, constants."""

from __future__ import annotations

import json
import re
from typing import Any

from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2 as pb

from headrace.engine._nodes import ArtifactRef, DagScope, Node
from headrace.errors import HeadraceError, PipelineSpecError
from headrace.spec.conditions import evaluate_selector
from headrace.spec.placeholders import render_value
from headrace.states import TaskState

_TYPE_NAME = pb.ParameterType.ParameterTypeEnum.Name


_INPUT_REF = re.compile(r"\{\{\$\.inputs\.parameters\['([^']+)'\]\}\}")


def parameter_types(inputs: Any) -> dict[str, str]:
    """Map of parameter name to its IR type name (NUMBER_INTEGER, STRING, ...)."""
    return {name: _TYPE_NAME(p.parameter_type) for name, p in inputs.parameters.items()}


def coerce(value: Any, type_name: str) -> Any:
    """Bring a JSON value to the Python type a component's input definition declares."""
    if type_name == "NUMBER_INTEGER":
        if isinstance(value, float) and value.is_integer():
            return int(value)
        if isinstance(value, str) and value.strip().lstrip("-").isdigit():
            return int(value)
    elif type_name == "NUMBER_DOUBLE":
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        if isinstance(value, str):
            try:
                return float(value)
            except ValueError:
                return value
    elif type_name in ("LIST", "STRUCT") and isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def final_status(producer: Node, run_id: str, run_name: str) -> dict[str, Any]:
    """The PipelineTaskFinalStatus value an exit task receives."""
    state = "SUCCEEDED" if producer.state.is_success else producer.state.value
    status: dict[str, Any] = {
        "state": state,
        "pipelineJobResourceName": run_id,
        "pipelineJobName": run_name,
        "pipelineTaskName": display_name(producer),
        "error": {},
    }
    if producer.state in (TaskState.FAILED, TaskState.CANCELED):
        status["error"] = {"code": 1, "message": producer.error or producer.state.value}
    return status


def display_name(node: Node) -> str:
    """The name Kubeflow reports for a task: `taskInfo.name` (`ExitHandler(name=...)`)."""
    if node.task_spec is not None and node.task_spec.task_info.name:
        return str(node.task_spec.task_info.name)
    return node.name


def producers(task_spec: Any) -> set[str]:
    """Every sibling task whose outputs or status this task reads."""
    names: set[str] = set(task_spec.dependent_tasks)
    for p in task_spec.inputs.parameters.values():
        kind = p.WhichOneof("kind")
        if kind == "task_output_parameter":
            names.add(p.task_output_parameter.producer_task)
        elif kind == "task_final_status":
            names.add(p.task_final_status.producer_task)
    for a in task_spec.inputs.artifacts.values():
        if a.WhichOneof("kind") == "task_output_artifact":
            names.add(a.task_output_artifact.producer_task)
    return names


def resolve_parameters(
    node: Node, scope: DagScope, input_types: dict[str, str], run_id: str, run_name: str
) -> dict[str, Any]:
    """The task's input parameter values; inputs whose producer was skipped are left out."""
    owner = scope.owner
    values: dict[str, Any] = {}
    templated: list[str] = []
    for name, spec in node.task_spec.inputs.parameters.items():
        kind = spec.WhichOneof("kind")
        if kind == "component_input_parameter":
            key = spec.component_input_parameter
            if key not in owner.params:
                continue
            value = owner.params[key]
        elif kind == "task_output_parameter":
            src = scope.children[spec.task_output_parameter.producer_task]
            key = spec.task_output_parameter.output_parameter_key
            if key not in src.outputs:
                if src.state.is_success:
                    raise PipelineSpecError(
                        f"task '{node.path}': input '{name}' reads output '{key}' of "
                        f"'{src.path}', which produced no such output"
                    )
                continue
            value = src.outputs[key]
        elif kind == "runtime_value":
            value = json_format.MessageToDict(spec.runtime_value.constant)
            if isinstance(value, str) and "{{$.inputs.parameters[" in value:
                templated.append(name)
        elif kind == "task_final_status":
            src = scope.children[spec.task_final_status.producer_task]
            value = final_status(src, run_id, run_name)
        else:
            raise PipelineSpecError(f"task '{node.path}': input '{name}' has no value source")
        if spec.parameter_expression_selector:
            value = evaluate_selector(
                spec.parameter_expression_selector, value, f"task '{node.path}' input '{name}'"
            )
        values[name] = coerce(value, input_types.get(name, ""))
    for name in templated:
        # An f-string argument: the compiler made it a constant that names sibling inputs.
        text = _INPUT_REF.sub(
            lambda m: render_value(values[m.group(1)]) if m.group(1) in values else m.group(0),
            values[name],
        )
        values[name] = coerce(text, input_types.get(name, ""))
    return values


def resolve_artifacts(node: Node, scope: DagScope) -> dict[str, list[ArtifactRef]]:
    """The task's input artifacts (a list per input: one, or many for a Collected input)."""
    resolved: dict[str, list[ArtifactRef]] = {}
    for name, spec in node.task_spec.inputs.artifacts.items():
        if spec.WhichOneof("kind") == "component_input_artifact":
            found = scope.owner.artifacts.get(spec.component_input_artifact)
        else:
            src = scope.children[spec.task_output_artifact.producer_task]
            found = src.output_artifacts.get(spec.task_output_artifact.output_artifact_key)
        if found is not None:
            resolved[name] = found
    return resolved


def apply_defaults(params: dict[str, Any], inputs: Any) -> None:
    """Fill the inputs that received no value from the component's declared defaults."""
    for name, definition in inputs.parameters.items():
        if name not in params and definition.HasField("default_value"):
            params[name] = coerce(
                json_format.MessageToDict(definition.default_value),
                _TYPE_NAME(definition.parameter_type),
            )


def loop_items(node: Node) -> list[Any]:
    """The items a ParallelFor iterates over: raw JSON, a parameter, or a list of artifacts."""
    spec = node.task_spec
    if spec.WhichOneof("iterator") == "artifact_iterator":
        return list(node.artifacts.get(spec.artifact_iterator.items.input_artifact, []))
    items_spec = spec.parameter_iterator.items
    if items_spec.WhichOneof("kind") == "raw":
        raw: Any = items_spec.raw
    else:
        raw = node.params.get(items_spec.input_parameter)
    value = coerce(raw, "LIST")
    if not isinstance(value, list):
        raise HeadraceError(
            f"loop '{node.path}': items must be a list, got {json.dumps(value)[:200]}",
            "pass a list (or a JSON list) to dsl.ParallelFor",
        )
    return value
