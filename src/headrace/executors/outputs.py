"""Read what a finished task left behind: the executor output file and parameter files."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from headrace.errors import HeadraceError
from headrace.executors.base import OutputArtifact


class OutputError(HeadraceError):
    """A task exited 0 but its outputs are missing or unreadable."""


def collect_outputs(
    executor_input: dict[str, Any], output_parameter_types: Mapping[str, str]
) -> tuple[dict[str, Any], dict[str, list[OutputArtifact]]]:
    """Return the output parameters and artifacts a task produced, or raise OutputError."""
    outputs: dict[str, Any] = executor_input.get("outputs") or {}
    declared_params: dict[str, Any] = outputs.get("parameters") or {}
    written = _read_executor_output(outputs.get("outputFile"))

    parameters: dict[str, Any] = {}
    for name, value in (written.get("parameterValues") or {}).items():
        parameters[name] = _coerce(value, output_parameter_types.get(name, "STRING"))

    missing: list[str] = []
    for name in [
        *output_parameter_types,
        *(n for n in declared_params if n not in output_parameter_types),
    ]:
        if name in parameters:
            continue
        path = (declared_params.get(name) or {}).get("outputFile")
        if path and Path(path).is_file():
            text = Path(path).read_text(encoding="utf-8")
            parameters[name] = _from_text(
                text, output_parameter_types.get(name, "STRING"), name, path
            )
        else:
            missing.append(name)
    if missing:
        names = ", ".join(f"'{n}'" for n in missing)
        raise OutputError(
            f"the task exited 0 but never wrote its output parameter {names}",
            hint="return a value from the component, or write it to the path in "
            "executor_input outputs.parameters.<name>.outputFile",
        )

    artifacts: dict[str, list[OutputArtifact]] = {}
    for name, entry in (outputs.get("artifacts") or {}).items():
        artifacts[name] = [_artifact(a) for a in (entry or {}).get("artifacts") or []]
    for name, entry in (written.get("artifacts") or {}).items():
        artifacts[name] = [_artifact(a) for a in (entry or {}).get("artifacts") or []]
    return parameters, artifacts


def _read_executor_output(output_file: str | None) -> dict[str, Any]:
    if not output_file or not Path(output_file).is_file():
        return {}
    try:
        data = json.loads(Path(output_file).read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise OutputError(
            f"the executor output file {output_file} is not valid JSON: {exc}",
            hint='it must hold {"parameterValues": {...}, "artifacts": {...}}',
        ) from exc
    if not isinstance(data, dict) or not all(
        isinstance(data.get(key) or {}, dict) for key in ("parameterValues", "artifacts")
    ):
        raise OutputError(
            f"the executor output file {output_file} does not have the executor output shape",
            hint='it must hold {"parameterValues": {...}, "artifacts": {...}}',
        )
    return data


def _artifact(raw: Mapping[str, Any]) -> OutputArtifact:
    return OutputArtifact(
        name=str(raw.get("name") or ""),
        uri=str(raw.get("uri") or ""),
        metadata=dict(raw.get("metadata") or {}),
    )


def _coerce(value: Any, parameter_type: str) -> Any:
    # Protobuf Value JSON has one number type; an integer output may arrive as 3.0.
    if parameter_type == "NUMBER_INTEGER" and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _from_text(text: str, parameter_type: str, name: str, path: str) -> Any:
    try:
        if parameter_type == "NUMBER_INTEGER":
            return int(text.strip())
        if parameter_type == "NUMBER_DOUBLE":
            return float(text.strip())
        if parameter_type == "BOOLEAN":
            lowered = text.strip().lower()
            if lowered not in ("true", "false"):
                raise ValueError(f"expected true or false, got {text.strip()!r}")
            return lowered == "true"
        if parameter_type in ("LIST", "STRUCT", "TASK_FINAL_STATUS"):
            return json.loads(text)
    except ValueError as exc:
        raise OutputError(
            f"output parameter '{name}' in {path} is not a valid {parameter_type}: {exc}",
            hint="write the value in the form its declared type expects",
        ) from exc
    return text
