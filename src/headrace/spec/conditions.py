"""CEL trigger conditions and parameter selectors, as the KFP compiler emits them.

cel-python takes about half a second to import, so it is loaded on the first expression, not
by every command that imports the spec layer.
"""

from __future__ import annotations

from typing import Any


def compile_condition(expression: str, where: str) -> None:
    """Raise ConditionError naming `where` when the expression is not valid CEL."""
    from headrace.spec import _cel

    _cel.compile_condition(expression, where)


def evaluate_condition(expression: str, parameter_values: dict[str, Any], where: str) -> bool:
    """Evaluate a `triggerPolicy.condition` against the task's input parameter values."""
    from headrace.spec import _cel

    return _cel.evaluate_condition(expression, parameter_values, where)


def evaluate_selector(expression: str, value: Any, where: str) -> Any:
    """Apply a `parameterExpressionSelector` (e.g. `parseJson(string_value)["a"]`) to a value."""
    from headrace.spec import _cel

    return _cel.evaluate_selector(expression, value, where)
