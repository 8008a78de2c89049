"""Outputs of DAG-like nodes: sub-pipeline outputs, OneOf, and loop fan-in (Collected)."""

from __future__ import annotations

from typing import Any

from headrace.engine._nodes import ArtifactRef, DagScope, Node


def dag_outputs(dag: Any, scope: DagScope) -> tuple[dict[str, Any], dict[str, list[ArtifactRef]]]:
    """Resolve `dag.outputs` against the finished children of one DAG instance."""
    params: dict[str, Any] = {}
    for name, spec in dag.outputs.parameters.items():
        if spec.WhichOneof("kind") == "value_from_parameter":
            selectors = [spec.value_from_parameter]
        else:
            selectors = list(spec.value_from_oneof.parameter_selectors)
        for sel in selectors:
            child = scope.children.get(sel.producer_subtask)
            if child is not None and sel.output_parameter_key in child.outputs:
                params[name] = child.outputs[sel.output_parameter_key]
                break
    artifacts: dict[str, list[ArtifactRef]] = {}
    for name, spec in dag.outputs.artifacts.items():
        for sel in spec.artifact_selectors:
            child = scope.children.get(sel.producer_subtask)
            if child is not None and sel.output_artifact_key in child.output_artifacts:
                artifacts[name] = child.output_artifacts[sel.output_artifact_key]
                break
    return params, artifacts


def collect_iterations(
    iterations: list[Node],
) -> tuple[dict[str, Any], dict[str, list[ArtifactRef]]]:
    """A loop's outputs: each output gathered over its iterations, in iteration order."""
    params: dict[str, list[Any]] = {}
    artifacts: dict[str, list[ArtifactRef]] = {}
    for it in iterations:
        for key, value in it.outputs.items():
            params.setdefault(key, []).append(value)
        for key, refs in it.output_artifacts.items():
            artifacts.setdefault(key, []).extend(refs)
    return dict(params), artifacts
