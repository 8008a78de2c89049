"""CEL trigger conditions and selectors, as the kfp compiler emits them."""

import operator
from collections.abc import Callable
from typing import Any

import pytest
from kfp import dsl

from headrace.errors import ConditionError
from headrace.spec import _cel
from headrace.spec.conditions import compile_condition, evaluate_condition, evaluate_selector
from headrace.spec.loader import LoadedPipeline

Compile = Callable[[Any], LoadedPipeline]

OPERATORS = {
    "==": operator.eq,
    "!=": operator.ne,
    "<": operator.lt,
    ">": operator.gt,
    "<=": operator.le,
    ">=": operator.ge,
}


@dsl.component(base_image="python:3.11")
def make_int() -> int:
    return 3


@dsl.component(base_image="python:3.11")
def make_float() -> float:
    return 2.5


@dsl.component(base_image="python:3.11")
def make_str() -> str:
    return "heads"


@dsl.component(base_image="python:3.11")
def make_bool() -> bool:
    return True


@dsl.component(base_image="python:3.11")
def show(text: str) -> None:
    print(text)


@dsl.component(base_image="python:3.11")
def show_int(number: int) -> None:
    print(number)


PRODUCERS = {"int": make_int, "float": make_float, "str": make_str, "bool": make_bool}


def _conditions(loaded: LoadedPipeline) -> list[str]:
    """Every triggerPolicy.condition, in DAG order (If, Elif, Else)."""
    spec = loaded.spec
    dags = [spec.root.dag, *(c.dag for c in spec.components.values() if c.HasField("dag"))]
    found = []
    for dag in dags:
        for name in sorted(dag.tasks):
            condition = dag.tasks[name].trigger_policy.condition
            if condition:
                found.append((name, condition))
    return [condition for _, condition in sorted(found)]


def _compile_comparison(compile_pipeline: Compile, kind: str, op: str, literal: Any) -> str:
    producer = PRODUCERS[kind]

    @dsl.pipeline
    def comparison() -> None:
        task = producer()
        with dsl.If(OPERATORS[op](task.output, literal)):
            show(text="taken")

    (condition,) = _conditions(compile_pipeline(comparison))
    return condition


CASES = [
    *(("int", op, literal, 3) for op in OPERATORS for literal in (2, 3, 4)),
    *(("int", op, 2.5, 3) for op in OPERATORS),
    *(("float", op, literal, 2.5) for op in OPERATORS for literal in (1.5, 2.5, 3)),
    *(("str", op, literal, "heads") for op in OPERATORS for literal in ("heads", "tails")),
    *(("bool", op, literal, True) for op in ("==", "!=") for literal in (True, False)),
]


@pytest.mark.parametrize(("kind", "op", "literal", "value"), CASES)
def test_compiled_comparisons_evaluate_like_python(
    compile_pipeline: Compile, kind: str, op: str, literal: Any, value: Any
) -> None:
    condition = _compile_comparison(compile_pipeline, kind, op, literal)
    name = f"pipelinechannel--make-{kind}-Output"
    expected = OPERATORS[op](value, literal)
    assert evaluate_condition(condition, {name: value}, "task 'x'") is expected
    if kind in ("int", "float"):
        # Kubeflow stores every number as a double; the result must not change.
        assert evaluate_condition(condition, {name: float(value)}, "task 'x'") is expected


def test_if_elif_else_take_exactly_one_branch(compile_pipeline: Compile) -> None:
    @dsl.pipeline
    def branches() -> None:
        coin = make_str()
        with dsl.If(coin.output == "heads"):
            show(text="h")
        with dsl.Elif(coin.output == "tails"):
            show(text="t")
        with dsl.Else():
            show(text="e")

    expressions = _conditions(compile_pipeline(branches))
    assert len(expressions) == 3
    assert any(e.startswith("!(") and "&&" in e for e in expressions)
    for value, branch in (("heads", 0), ("tails", 1), ("edge", 2)):
        results = [
            evaluate_condition(e, {"pipelinechannel--make-str-Output": value}, "t")
            for e in expressions
        ]
        assert results == [i == branch for i in range(3)]


def test_deprecated_condition_and_pipeline_parameters_work(compile_pipeline: Compile) -> None:
    @dsl.pipeline
    def on_parameters(n: int = 3, flag: bool = False, ratio: float = 0.5) -> None:
        with dsl.Condition(n > 2):
            show(text="big")
        with dsl.If(flag == True):  # noqa: E712 - kfp overloads ==
            show(text="flag")
        with dsl.If(ratio <= 0.5):
            show_int(number=n)

    expressions = _conditions(compile_pipeline(on_parameters))
    values = {
        "pipelinechannel--n": 3,
        "pipelinechannel--flag": False,
        "pipelinechannel--ratio": 0.5,
    }
    results = sorted(evaluate_condition(e, values, "t") for e in expressions)
    assert results == [False, True, True]


def test_parallel_for_over_dicts_selects_fields(compile_pipeline: Compile) -> None:
    @dsl.pipeline
    def loop(rows: list = [{"a": 1, "b": 7}]) -> None:  # noqa: B006 - kfp default
        with dsl.ParallelFor([{"a": 1, "b": 5}, {"a": 2, "b": 6}]) as item:
            show_int(number=item.a)
            show_int(number=item.b)
        with dsl.ParallelFor(rows) as row:
            show_int(number=row.b)

    spec = compile_pipeline(loop).spec
    selectors = sorted(
        parameter.parameter_expression_selector
        for component in spec.components.values()
        if component.HasField("dag")
        for task in component.dag.tasks.values()
        for parameter in task.inputs.parameters.values()
        if parameter.parameter_expression_selector
    )
    assert selectors == [
        'parseJson(string_value)["a"]',
        'parseJson(string_value)["b"]',
        'parseJson(string_value)["b"]',
    ]
    item = {"a": 2, "b": "y"}
    assert evaluate_selector(selectors[0], item, "t") == 2
    assert evaluate_selector(selectors[1], item, "t") == "y"
    assert evaluate_selector(selectors[2], '{"a": 2, "b": "y"}', "t") == "y"


def test_selector_returns_plain_python_values() -> None:
    value = {"a": [1, 2.5, True, None, {"b": "c"}]}
    result = evaluate_selector('parseJson(string_value)["a"]', value, "t")
    assert result == [1, 2.5, True, None, {"b": "c"}]
    assert type(result) is list and type(result[0]) is int and type(result[2]) is bool
    assert type(result[4]) is dict and type(next(iter(result[4]))) is str


def test_unparsable_expression_names_where_and_expression() -> None:
    with pytest.raises(ConditionError) as err:
        compile_condition("inputs.parameter_values['x'] ==", "task 'flip'")
    assert "task 'flip'" in str(err.value)
    assert "inputs.parameter_values['x'] ==" in str(err.value)


def test_missing_parameter_is_a_condition_error_naming_the_task() -> None:
    with pytest.raises(ConditionError, match=r"task 'flip'.*no such key"):
        evaluate_condition("inputs.parameter_values['x'] == 'a'", {}, "task 'flip'")


def test_non_boolean_condition_is_an_error() -> None:
    with pytest.raises(ConditionError, match=r"not true or false"):
        evaluate_condition("inputs.parameter_values['x']", {"x": 3}, "task 'flip'")


def test_selector_on_missing_field_is_an_error() -> None:
    with pytest.raises(ConditionError, match=r"task 'loop'"):
        evaluate_selector('parseJson(string_value)["zz"]', {"a": 1}, "task 'loop'")


def test_selector_on_text_that_is_not_json_is_an_error() -> None:
    with pytest.raises(ConditionError, match=r"parseJson"):
        evaluate_selector('parseJson(string_value)["a"]', "not json", "task 'loop'")


def test_repeated_expressions_are_compiled_once() -> None:
    expression = "inputs.parameter_values['cached'] == 'yes'"
    evaluate_condition(expression, {"cached": "yes"}, "t")
    before = _cel._compiled.cache_info().hits
    assert evaluate_condition(expression, {"cached": "no"}, "t") is False
    assert _cel._compiled.cache_info().hits == before + 1
