"""Real CEL (cel-python) for trigger conditions and expression selectors, with parseJson."""

from __future__ import annotations

import json
import operator
from collections.abc import Callable
from functools import lru_cache
from typing import Any

import celpy
from celpy import celtypes
from celpy.evaluation import CELEvalError

from headrace.errors import ConditionError

_ENVIRONMENT = celpy.Environment()
_NUMBERS = (celtypes.IntType, celtypes.UintType, celtypes.DoubleType)


def compile_condition(expression: str, where: str) -> None:
    """Raise ConditionError if `expression` is not valid CEL."""
    _program(expression, where)


def evaluate_condition(expression: str, parameter_values: dict[str, Any], where: str) -> bool:
    """Evaluate a `triggerPolicy.condition` over `inputs.parameter_values`."""
    activation = {"inputs": celtypes.MapType({"parameter_values": _to_cel(parameter_values)})}
    result = _run(expression, activation, where)
    if not isinstance(result, celtypes.BoolType):
        raise ConditionError(
            f"condition of {where} is not true or false but {_to_python(result)!r}: {expression}",
            "a trigger condition must evaluate to a boolean",
        )
    return bool(result)


def evaluate_selector(expression: str, value: Any, where: str) -> Any:
    """Evaluate a `parameterExpressionSelector` over `string_value` (JSON for non-strings)."""
    text = value if isinstance(value, str) else json.dumps(value)
    result = _run(expression, {"string_value": celtypes.StringType(text)}, where)
    return _to_python(result)


def _run(expression: str, activation: dict[str, Any], where: str) -> Any:
    program = _program(expression, where)
    try:
        result = program.evaluate(activation)
    except CELEvalError as exc:
        raise _eval_error(expression, where, exc) from exc
    if isinstance(result, CELEvalError):
        raise _eval_error(expression, where, result)
    return result


def _eval_error(expression: str, where: str, exc: CELEvalError) -> ConditionError:
    detail = exc.args[0] if exc.args else str(exc)
    return ConditionError(
        f"cannot evaluate the CEL expression of {where}: {expression}: {detail}",
        "check that every input the expression names has a value of the expected type",
    )


def _program(expression: str, where: str) -> Any:
    try:
        return _compiled(expression)
    except celpy.CELParseError as exc:
        raise ConditionError(
            f"the CEL expression of {where} does not parse{_column(exc)}: {expression}",
            "recompile the pipeline with kfp 2.x, or fix the hand-written condition",
        ) from exc


def _column(exc: Exception) -> str:
    """cel-python reports the position as a caret under the expression."""
    lines = str(exc).splitlines()
    if len(lines) >= 2 and "^" in lines[1]:
        return f" at column {lines[1].index('^') + 1}"
    return ""


@lru_cache(maxsize=1024)
def _compiled(expression: str) -> Any:
    ast = _ENVIRONMENT.compile(expression)
    return _ENVIRONMENT.program(ast, functions=_FUNCTIONS)


def _parse_json(text: Any) -> Any:
    try:
        return _to_cel(json.loads(str(text)))
    except json.JSONDecodeError as exc:
        return CELEvalError(f"parseJson: not JSON: {exc.msg}", ValueError, (str(text),))


def _mixed_numbers(op: Callable[[Any, Any], bool], name: str) -> Callable[[Any, Any], Any]:
    """CEL compares int with double only through `double()`; Kubeflow's cel-go does not care."""
    fallback = getattr(celpy.evaluation, name)

    def compare(left: Any, right: Any) -> Any:
        if (
            isinstance(left, _NUMBERS)
            and isinstance(right, _NUMBERS)
            and not isinstance(left, celtypes.BoolType)
            and not isinstance(right, celtypes.BoolType)
            and type(left) is not type(right)
        ):
            return celtypes.BoolType(op(float(left), float(right)))
        return fallback(left, right)

    return compare


_FUNCTIONS: dict[str, Any] = {
    "parseJson": _parse_json,
    "_==_": _mixed_numbers(operator.eq, "bool_eq"),
    "_!=_": _mixed_numbers(operator.ne, "bool_ne"),
    "_<_": _mixed_numbers(operator.lt, "bool_lt"),
    "_<=_": _mixed_numbers(operator.le, "bool_le"),
    "_>_": _mixed_numbers(operator.gt, "bool_gt"),
    "_>=_": _mixed_numbers(operator.ge, "bool_ge"),
}


def _to_cel(value: Any) -> Any:
    return celpy.json_to_cel(value)


def _to_python(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, celtypes.BoolType):
        return bool(value)
    if isinstance(value, celtypes.IntType | celtypes.UintType):
        return int(value)
    if isinstance(value, celtypes.DoubleType):
        return float(value)
    if isinstance(value, celtypes.StringType):
        return str(value)
    if isinstance(value, celtypes.ListType):
        return [_to_python(item) for item in value]
    if isinstance(value, celtypes.MapType):
        return {_to_python(k): _to_python(v) for k, v in value.items()}
    if isinstance(value, bool | int | float | str | bytes):
        return value
    return str(value)
