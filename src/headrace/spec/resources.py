"""Resource requests of a task, parsed from the IR's container resources."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from google.protobuf import json_format

from headrace.errors import PipelineSpecError


@dataclass(frozen=True)
class Resources:
    """What a task asked for; None means no request."""

    cpu: float | None = None
    memory_bytes: int | None = None
    accelerator_type: str | None = None
    accelerator_count: int = 0


_PARAMETER_PLACEHOLDER = re.compile(r"""\{\{\$\.inputs\.parameters\[(['"])(.*?)\1\]\}\}""")
_CPU = re.compile(r"^([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)(m?)$")
_MEMORY = re.compile(r"^([0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?)([A-Za-z]{0,2})$")
_MEMORY_UNITS = {
    "": 1,
    "m": 1e-3,
    "k": 1000,
    "K": 1000,
    "M": 1000**2,
    "G": 1000**3,
    "T": 1000**4,
    "P": 1000**5,
    "E": 1000**6,
    "Ki": 1024,
    "Mi": 1024**2,
    "Gi": 1024**3,
    "Ti": 1024**4,
    "Pi": 1024**5,
    "Ei": 1024**6,
}


def parse_resources(container: Any, input_parameters: Mapping[str, Any]) -> Resources:
    """Read the `resources` of a PipelineContainerSpec (dict or message); request wins."""
    if not isinstance(container, Mapping):
        container = json_format.MessageToDict(container)
    spec = container.get("resources") or {}
    cpu_text = _pick(spec, input_parameters, "resourceCpuRequest", "resourceCpuLimit")
    if cpu_text is not None:
        cpu: float | None = _parse_cpu(cpu_text[0], cpu_text[1])
    else:
        cpu = _legacy_number(spec, "cpuRequest", "cpuLimit")
    memory_text = _pick(spec, input_parameters, "resourceMemoryRequest", "resourceMemoryLimit")
    if memory_text is not None:
        memory: int | None = _parse_memory(memory_text[0], memory_text[1])
    else:
        gigabytes = _legacy_number(spec, "memoryRequest", "memoryLimit")
        memory = None if gigabytes is None else math.ceil(gigabytes * 1000**3)
    accelerator = spec.get("accelerator") or {}
    accelerator_type = _pick(accelerator, input_parameters, "resourceType", "type")
    count_text = _pick(accelerator, input_parameters, "resourceCount", "count")
    count = 0 if count_text is None else _parse_count(count_text[0], count_text[1])
    return Resources(
        cpu=cpu,
        memory_bytes=memory,
        accelerator_type=accelerator_type[1] if accelerator_type else None,
        accelerator_count=count,
    )


def _pick(
    spec: Mapping[str, Any], input_parameters: Mapping[str, Any], *fields: str
) -> tuple[str, str] | None:
    """The first set field of `fields` as (field, text), placeholders filled in."""
    for field in fields:
        value = spec.get(field)
        if value is None or value == "":
            continue
        text = value if isinstance(value, str) else _render(value)
        return field, _fill(field, text, input_parameters)
    return None


def _fill(field: str, text: str, input_parameters: Mapping[str, Any]) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(2)
        if input_parameters.get(name) is None:
            raise PipelineSpecError(
                f"resources.{field} {text!r} refers to input parameter {name!r}, "
                "which has no value",
                "pass the parameter that sets this resource",
            )
        return _render(input_parameters[name])

    return _PARAMETER_PLACEHOLDER.sub(replace, text).strip()


def _render(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _legacy_number(spec: Mapping[str, Any], *fields: str) -> float | None:
    for field in fields:
        value = spec.get(field)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            raise PipelineSpecError(
                f"resources.{field} is {value!r}, not a non-negative number",
                "recompile the pipeline with kfp 2.x",
            )
        if value:
            return float(value)
    return None


def _parse_cpu(field: str, text: str) -> float:
    match = _CPU.match(text)
    if match is None:
        raise PipelineSpecError(
            f"resources.{field} is {text!r}, not a CPU quantity",
            "use a number of cores such as '2' or '0.5', or millicores such as '500m'",
        )
    number = float(match.group(1))
    return number / 1000 if match.group(2) else number


def _parse_memory(field: str, text: str) -> int:
    match = _MEMORY.match(text)
    if match is None or match.group(2) not in _MEMORY_UNITS:
        raise PipelineSpecError(
            f"resources.{field} is {text!r}, not a memory quantity",
            "use bytes or a unit such as '512Mi', '1G' or '2Gi'",
        )
    return math.ceil(float(match.group(1)) * _MEMORY_UNITS[match.group(2)])


def _parse_count(field: str, text: str) -> int:
    try:
        count = int(text)
    except ValueError:
        count = -1
    if count < 0:
        raise PipelineSpecError(
            f"resources.accelerator.{field} is {text!r}, not a whole number of accelerators",
            "pass a count such as 1 to set_accelerator_limit",
        )
    return count
