"""Resolve the `{{$...}}` placeholders and IfPresent/Concat structures of a container."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from headrace.errors import PipelineSpecError
from headrace.spec.uris import local_path_for_uri


@dataclass(frozen=True)
class PipelineContext:
    """The run and task facts that `{{$.pipeline_...}}` placeholders stand for."""

    job_name: str
    job_resource_name: str
    job_uuid: str
    task_name: str
    task_uuid: str
    create_time_utc: str
    schedule_time_utc: str
    workspace_path: str = ""
    pipeline_root: str = ""
    staged_paths: Mapping[str, str] = field(default_factory=dict)
    """Object-store artifact URI → the local path where the task sees its staged copy."""


_PLACEHOLDER = re.compile(r"\{\{\$(.*?)\}\}")
_JSON_ESCAPE = re.compile(r"^(.*)\.json_escape\[(\d+)\]$")
_IO = re.compile(r"""^\.(inputs|outputs)\.(parameters|artifacts)\[(['"])(.*?)\3\](.*)$""")
_METADATA_KEY = re.compile(r"""^\.metadata\[(['"])(.*)\1\]$""")
_STRUCTURE_KEYS = ("Concat", "IfPresent")

_CONTEXT_FIELDS = {
    ".pipeline_job_name": "job_name",
    ".pipeline_job_resource_name": "job_resource_name",
    ".pipeline_job_uuid": "job_uuid",
    ".pipeline_task_name": "task_name",
    ".pipeline_task_uuid": "task_uuid",
    ".pipeline_job_create_time_utc": "create_time_utc",
    ".pipeline_job_schedule_time_utc": "schedule_time_utc",
    ".workspace_path": "workspace_path",
    ".pipeline_root": "pipeline_root",
}


def resolve_arguments(
    items: Sequence[str], executor_input: dict[str, Any], ctx: PipelineContext
) -> list[str]:
    """Resolve a container's `command` or `args`; IfPresent may add or drop items."""
    resolved: list[str] = []
    for item in items:
        structure = _as_structure(item)
        if structure is None:
            resolved.append(resolve_string(item, executor_input, ctx))
        else:
            resolved.extend(_expand(structure, executor_input, ctx))
    return resolved


def resolve_string(text: str, executor_input: dict[str, Any], ctx: PipelineContext) -> str:
    """Replace every `{{$...}}` placeholder in one string."""
    return _PLACEHOLDER.sub(lambda m: _resolve_one(m.group(1), executor_input, ctx), text)


def program_view(executor_input: dict[str, Any], staged_paths: Mapping[str, str]) -> dict[str, Any]:
    """The executor input a program receives: staged artifacts carry their local path as URI.

    kfp's `Artifact.path` of an `s3://` URI is `/s3/...`, a mount Headrace does not make; a
    local URI makes `.path` the staged copy. `{{$.inputs.artifacts[...].uri}}` placeholders
    still resolve to the object-store URI.
    """
    if not staged_paths:
        return executor_input
    view = copy.deepcopy(executor_input)
    for direction in ("inputs", "outputs"):
        for entry in (view.get(direction, {}).get("artifacts") or {}).values():
            for artifact in (entry or {}).get("artifacts") or []:
                uri = str(artifact.get("uri") or "")
                if uri in staged_paths:
                    artifact["uri"] = staged_paths[uri]
    return view


def render_value(value: Any) -> str:
    """A parameter value as a command-line string: strings raw, the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        # The IR stores numbers as doubles; Kubeflow prints 3.0 as "3".
        return str(int(value))
    return json.dumps(value)


def _as_structure(item: str) -> dict[str, Any] | None:
    stripped = item.lstrip()
    if not stripped.startswith("{") or not any(f'"{k}"' in stripped for k in _STRUCTURE_KEYS):
        return None
    try:
        parsed = json.loads(stripped)
    except json.JSONDecodeError:
        return None
    if isinstance(parsed, dict) and len(parsed) == 1 and next(iter(parsed)) in _STRUCTURE_KEYS:
        return parsed
    return None


def _expand(node: Any, executor_input: dict[str, Any], ctx: PipelineContext) -> list[str]:
    if isinstance(node, str):
        return [resolve_string(node, executor_input, ctx)]
    if isinstance(node, list):
        return [s for child in node for s in _expand(child, executor_input, ctx)]
    if isinstance(node, dict) and len(node) == 1 and "Concat" in node:
        parts = node["Concat"]
        if not isinstance(parts, list):
            raise _error(ctx, f"Concat holds {parts!r}, not a list")
        return ["".join(s for part in parts for s in _expand(part, executor_input, ctx))]
    if isinstance(node, dict) and len(node) == 1 and "IfPresent" in node:
        body = node["IfPresent"]
        if not isinstance(body, dict) or "InputName" not in body:
            raise _error(ctx, f"IfPresent without InputName: {json.dumps(node)}")
        present = _is_present(str(body["InputName"]), executor_input)
        branch = body.get("Then") if present else body.get("Else")
        return [] if branch is None else _expand(branch, executor_input, ctx)
    raise _error(ctx, f"unknown command-line structure {json.dumps(node)}")


def _is_present(name: str, executor_input: dict[str, Any]) -> bool:
    inputs = executor_input.get("inputs", {})
    outputs = executor_input.get("outputs", {})
    return any(
        section.get(name) is not None
        for section in (
            inputs.get("parameterValues", {}),
            inputs.get("artifacts", {}),
            outputs.get("parameters", {}),
            outputs.get("artifacts", {}),
        )
    )


def _resolve_one(expr: str, executor_input: dict[str, Any], ctx: PipelineContext) -> str:
    escape = _JSON_ESCAPE.match(expr)
    if escape:
        text = _resolve_one(escape.group(1), executor_input, ctx)
        for _ in range(int(escape.group(2))):
            text = json.dumps(text, ensure_ascii=False)[1:-1]
        return text
    if expr == "":
        view = program_view(executor_input, ctx.staged_paths)
        return json.dumps(view, separators=(",", ":"), ensure_ascii=False)
    if expr in (".outputs.output_file", ".outputMetadataUri"):
        output_file = executor_input.get("outputs", {}).get("outputFile")
        if not output_file:
            raise _error(ctx, f"{{{{${expr}}}}} needs outputs.outputFile in the executor input")
        return str(output_file)
    if expr in _CONTEXT_FIELDS:
        value = str(getattr(ctx, _CONTEXT_FIELDS[expr]))
        if not value:
            raise _error(
                ctx,
                f"{{{{${expr}}}}} has no value in this run",
                "configure a workspace for the run"
                if expr == ".workspace_path"
                else "report this as a Headrace bug",
            )
        return value
    io = _IO.match(expr)
    if io is None:
        raise _error(ctx, f"unknown placeholder {{{{${expr}}}}}")
    direction, kind, name, rest = io.group(1), io.group(2), io.group(4), io.group(5)
    placeholder = f"{{{{${expr}}}}}"
    if kind == "parameters":
        return _parameter(direction, name, rest, placeholder, executor_input, ctx)
    return _artifact(direction, name, rest, placeholder, executor_input, ctx)


def _parameter(
    direction: str,
    name: str,
    rest: str,
    placeholder: str,
    executor_input: dict[str, Any],
    ctx: PipelineContext,
) -> str:
    if direction == "inputs" and rest == "":
        values = executor_input.get("inputs", {}).get("parameterValues", {})
        if values.get(name) is None:
            raise _missing(ctx, placeholder, f"input parameter {name!r}")
        return render_value(values[name])
    if direction == "outputs" and rest == ".output_file":
        output = executor_input.get("outputs", {}).get("parameters", {}).get(name)
        if not output or not output.get("outputFile"):
            raise _missing(ctx, placeholder, f"output parameter {name!r}")
        return str(output["outputFile"])
    raise _error(ctx, f"unknown placeholder {placeholder}")


def _artifact(
    direction: str,
    name: str,
    rest: str,
    placeholder: str,
    executor_input: dict[str, Any],
    ctx: PipelineContext,
) -> str:
    entry = executor_input.get(direction, {}).get("artifacts", {}).get(name)
    artifacts = entry.get("artifacts") if isinstance(entry, dict) else None
    what = f"{direction[:-1]} artifact {name!r}"
    if rest == "":
        if artifacts is None:
            raise _missing(ctx, placeholder, what)
        return json.dumps(artifacts)
    if not artifacts:
        raise _missing(ctx, placeholder, what)
    artifact = artifacts[0]
    uri = str(artifact.get("uri", ""))
    if rest == ".uri":
        return uri
    if rest == ".path":
        return ctx.staged_paths.get(uri) or local_path_for_uri(uri)
    metadata = artifact.get("metadata") or {}
    if rest == ".metadata":
        return json.dumps(metadata)
    key = _METADATA_KEY.match(rest)
    if key:
        if key.group(2) not in metadata:
            raise _missing(ctx, placeholder, f"metadata key {key.group(2)!r} of {what}")
        return render_value(metadata[key.group(2)])
    raise _error(ctx, f"unknown placeholder {placeholder}")


def _missing(ctx: PipelineContext, placeholder: str, what: str) -> PipelineSpecError:
    return _error(
        ctx,
        f"{placeholder} refers to {what}, which this task does not have",
        "pass a value for it, or wrap the reference in dsl.IfPresentPlaceholder",
    )


def _error(ctx: PipelineContext, message: str, hint: str = "") -> PipelineSpecError:
    return PipelineSpecError(
        f"task {ctx.task_name!r}: {message}", hint or "recompile the pipeline with kfp 2.x"
    )
