"""Pipeline run parameters, typed by the root's `inputDefinitions.parameters`."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from headrace.errors import ParameterError

_ParameterType = pipeline_spec_pb2.ParameterType

_TYPE_WORDS = {
    _ParameterType.NUMBER_INTEGER: "an integer",
    _ParameterType.NUMBER_DOUBLE: "a number",
    _ParameterType.STRING: "a string",
    _ParameterType.BOOLEAN: "a boolean",
    _ParameterType.LIST: "a list",
    _ParameterType.STRUCT: "a dict",
}
_TRUE = {"true", "1", "yes", "y", "on"}
_FALSE = {"false", "0", "no", "n", "off"}


def load_params_file(path: Path) -> dict[str, Any]:
    """Read a YAML or JSON mapping of parameter names to values."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ParameterError(
            f"{path}: cannot read the parameters file: {exc}",
            "pass an existing YAML or JSON file",
        ) from exc
    try:
        data = json.loads(text) if path.suffix.lower() == ".json" else yaml.safe_load(text)
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        raise ParameterError(
            f"{path}: the parameters file is not valid YAML/JSON: {_one_line(exc)}",
            "write a mapping such as `n: 3`",
        ) from exc
    if data is None:
        return {}
    if not isinstance(data, dict) or not all(isinstance(k, str) for k in data):
        raise ParameterError(
            f"{path}: the parameters file must hold a mapping of names to values, "
            f"not a {type(data).__name__}",
            "write a mapping such as `n: 3`",
        )
    return dict(data)


def parse_param_assignments(
    spec: pipeline_spec_pb2.PipelineSpec, assignments: list[str]
) -> dict[str, Any]:
    """Turn `NAME=VALUE` strings into values typed by each input's parameterType."""
    definitions = _definitions(spec)
    values: dict[str, Any] = {}
    for assignment in assignments:
        name, sep, text = assignment.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ParameterError(
                f"parameter assignment {assignment!r} is not NAME=VALUE",
                "write --param NAME=VALUE",
            )
        definition = _definition(definitions, name)
        values[name] = _parse_text(name, definition.parameter_type, text)
    return values


def resolve_parameters(
    spec: pipeline_spec_pb2.PipelineSpec, values: dict[str, Any]
) -> dict[str, Any]:
    """Type-check given values, apply defaults and require the required ones."""
    definitions = _definitions(spec)
    resolved: dict[str, Any] = {}
    for name, value in values.items():
        definition = _definition(definitions, name)
        if value is not None:
            resolved[name] = _check_value(name, definition.parameter_type, value)
    for name, definition in definitions.items():
        if name in resolved:
            continue
        if definition.HasField("default_value"):
            default = json_format.MessageToDict(definition.default_value)
            resolved[name] = _normalize_default(definition.parameter_type, default)
        elif not definition.is_optional:
            raise ParameterError(
                f"pipeline parameter {name!r} ({_type_word(definition.parameter_type)}) "
                "is required and has no default value; none was given",
                f"pass --param {name}=VALUE",
            )
    return resolved


def _definitions(spec: pipeline_spec_pb2.PipelineSpec) -> dict[str, Any]:
    return dict(spec.root.input_definitions.parameters.items())


def _definition(definitions: dict[str, Any], name: str) -> Any:
    if name not in definitions:
        known = ", ".join(sorted(definitions)) or "(none)"
        raise ParameterError(
            f"unknown pipeline parameter {name!r}; the pipeline's parameters are: {known}",
            "check the spelling of the parameter name",
        )
    return definitions[name]


def _type_word(parameter_type: int) -> str:
    word = _TYPE_WORDS.get(parameter_type, "a value")
    return f"{word}, {_ParameterType.ParameterTypeEnum.Name(parameter_type)}"


def _bad(name: str, parameter_type: int, value: Any, why: str = "") -> ParameterError:
    extra = f" ({why})" if why else ""
    return ParameterError(
        f"pipeline parameter {name!r} expects {_type_word(parameter_type)}; got {value!r}{extra}",
        f"pass --param {name}=VALUE with a value of that type",
    )


def _parse_text(name: str, parameter_type: int, text: str) -> Any:
    if parameter_type == _ParameterType.STRING:
        return text
    if parameter_type == _ParameterType.BOOLEAN:
        lowered = text.strip().lower()
        if lowered in _TRUE:
            return True
        if lowered in _FALSE:
            return False
        raise _bad(name, parameter_type, text, "use true or false")
    if parameter_type in (_ParameterType.NUMBER_INTEGER, _ParameterType.NUMBER_DOUBLE):
        try:
            number: Any = json.loads(text.strip())
        except json.JSONDecodeError:
            try:
                number = float(text)
            except ValueError:
                raise _bad(name, parameter_type, text) from None
        return _check_value(name, parameter_type, number)
    if parameter_type in (_ParameterType.LIST, _ParameterType.STRUCT):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError as exc:
            raise _bad(name, parameter_type, text, f"not JSON: {exc.msg}") from exc
        return _check_value(name, parameter_type, parsed)
    # PARAMETER_TYPE_UNSPECIFIED: take JSON when it parses, else the raw text.
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _check_value(name: str, parameter_type: int, value: Any) -> Any:
    is_number = isinstance(value, int | float) and not isinstance(value, bool)
    if parameter_type == _ParameterType.NUMBER_INTEGER:
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        if is_number and math.isfinite(value) and float(value).is_integer():
            return int(value)
        raise _bad(name, parameter_type, value)
    if parameter_type == _ParameterType.NUMBER_DOUBLE:
        if is_number:
            return float(value)
        raise _bad(name, parameter_type, value)
    if parameter_type == _ParameterType.STRING:
        if isinstance(value, str):
            return value
        raise _bad(name, parameter_type, value, "quote it to pass it as a string")
    if parameter_type == _ParameterType.BOOLEAN:
        if isinstance(value, bool):
            return value
        raise _bad(name, parameter_type, value)
    if parameter_type == _ParameterType.LIST:
        if isinstance(value, list | tuple):
            return list(value)
        raise _bad(name, parameter_type, value)
    if parameter_type == _ParameterType.STRUCT:
        if isinstance(value, dict):
            return value
        raise _bad(name, parameter_type, value)
    return value


def _normalize_default(parameter_type: int, value: Any) -> Any:
    """The IR stores every number as a double; give integers back where they are meant."""
    if parameter_type == _ParameterType.NUMBER_INTEGER and isinstance(value, float):
        return int(value)
    if parameter_type in (_ParameterType.LIST, _ParameterType.STRUCT):
        return _integral_floats_to_int(value)
    return value


def _integral_floats_to_int(value: Any) -> Any:
    # Kubeflow serialises these as JSON numbers without a fraction (1, not 1.0).
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, list):
        return [_integral_floats_to_int(v) for v in value]
    if isinstance(value, dict):
        return {k: _integral_floats_to_int(v) for k, v in value.items()}
    return value


def _one_line(exc: Exception) -> str:
    text = str(exc).strip()
    return " ".join(text.split())
