"""DAG dependencies and parameters: pipeline inputs, upstream outputs, constants, defaults."""

# No `from __future__ import annotations`: kfp reads the components' annotations as types.

from typing import NamedTuple

from kfp import dsl

from headrace.states import RunState, TaskState

from .conftest import Harness


@dsl.component
def echo_all(i: int, f: float, s: str, b: bool, items: list, mapping: dict) -> str:
    import json

    assert isinstance(i, int) and not isinstance(i, bool), type(i)
    assert isinstance(f, float), type(f)
    assert isinstance(b, bool), type(b)
    assert isinstance(items, list) and isinstance(mapping, dict)
    return json.dumps([i, f, s, b, items, mapping], sort_keys=True)


@dsl.component
def typed_outputs() -> NamedTuple("Outs", i=int, f=float, s=str, b=bool, items=list, mapping=dict):
    from collections import namedtuple

    outs = namedtuple("Outs", ["i", "f", "s", "b", "items", "mapping"])
    return outs(7, 2.5, "seven", True, [1, "two", 3.0], {"k": [1, 2], "n": None})


@dsl.component
def add(a: int, b: int) -> int:
    return a + b


@dsl.component
def with_defaults(x: int, y: int = 10, label: str = "dflt", flag: bool = False) -> str:
    return f"{x}-{y}-{label}-{flag}"


@dsl.component
def touch(marker: str, text: str) -> None:
    with open(marker, "a") as f:
        f.write(text + "\n")


@dsl.pipeline
def all_types(
    i: int = 1,
    f: float = 1.5,
    s: str = "hello",
    b: bool = True,
    items: list = [1, 2],  # noqa: B006
    mapping: dict = {"a": 1},  # noqa: B006
):
    echo_all(i=i, f=f, s=s, b=b, items=items, mapping=mapping).set_caching_options(False)


def test_pipeline_inputs_of_every_type_reach_the_task(harness: Harness) -> None:
    args = {"i": 3, "f": 0.25, "s": "wörld", "b": False, "items": [{"x": 1}], "mapping": {"z": []}}
    result = harness.run(all_types, args)
    assert result.state is RunState.SUCCEEDED
    assert result.output("echo-all") == ('[3, 0.25, "w\\u00f6rld", false, [{"x": 1}], {"z": []}]')
    assert len(result.attempts("echo-all")) == 1


def test_pipeline_input_defaults_apply(harness: Harness) -> None:
    result = harness.run(all_types)
    assert result.output("echo-all") == '[1, 1.5, "hello", true, [1, 2], {"a": 1}]'


@dsl.pipeline
def upstream_outputs_of_every_type():
    src = typed_outputs().set_caching_options(False)
    echo_all(
        i=src.outputs["i"],
        f=src.outputs["f"],
        s=src.outputs["s"],
        b=src.outputs["b"],
        items=src.outputs["items"],
        mapping=src.outputs["mapping"],
    ).set_caching_options(False)


def test_upstream_outputs_of_every_type(harness: Harness) -> None:
    result = harness.run(upstream_outputs_of_every_type)
    assert result.state is RunState.SUCCEEDED
    assert result.outputs("typed-outputs") == {
        "i": 7,
        "f": 2.5,
        "s": "seven",
        "b": True,
        "items": [1, "two", 3.0],
        "mapping": {"k": [1, 2], "n": None},
    }
    assert result.output("echo-all") == (
        '[7, 2.5, "seven", true, [1, "two", 3.0], {"k": [1, 2], "n": null}]'
    )


@dsl.pipeline
def chain_and_constants(start: int = 1):
    first = add(a=start, b=2).set_caching_options(False)
    second = add(a=first.output, b=40).set_caching_options(False)
    with_defaults(x=second.output).set_caching_options(False)
    with_defaults(x=5, y=6, label="const", flag=True).set_caching_options(False)


def test_chain_constants_and_component_defaults(harness: Harness) -> None:
    result = harness.run(chain_and_constants, {"start": 10})
    assert result.state is RunState.SUCCEEDED
    assert result.output("add") == 12
    assert result.output("add-2") == 52
    assert result.output("with-defaults") == "52-10-dflt-False"
    assert result.output("with-defaults-2") == "5-6-const-True"
    first, second = result.task("add"), result.task("add-2")
    assert first.finished_at is not None and second.started_at is not None
    assert first.finished_at <= second.started_at
    assert all(t.state is TaskState.SUCCEEDED for t in result.tasks)
    assert all(t.attempt_count == 1 for t in result.tasks if t.path)


@dsl.pipeline
def after_ordering(marker: str):
    a = touch(marker=marker, text="a").set_caching_options(False)
    b = touch(marker=marker, text="b").set_caching_options(False).after(a)
    touch(marker=marker, text="c").set_caching_options(False).after(b)


def test_after_orders_tasks_without_data(harness: Harness) -> None:
    marker = harness.tmp / "order.txt"
    result = harness.run(after_ordering, {"marker": str(marker)})
    assert result.state is RunState.SUCCEEDED
    assert marker.read_text().split() == ["a", "b", "c"]


@dsl.component
def shout(msg: str) -> str:
    return msg.upper()


@dsl.pipeline
def f_strings(name: str = "world", n: int = 3):
    first = shout(msg=f"hello {name} x{n}")
    shout(msg=f"[{first.output}] and {name}")


def test_f_string_arguments_are_filled_from_pipeline_inputs_and_upstream_outputs(
    harness: Harness,
) -> None:
    result = harness.run(f_strings)
    assert result.state is RunState.SUCCEEDED, result.run.error
    assert result.output("shout") == "HELLO WORLD X3"
    assert result.output("shout-2") == "[HELLO WORLD X3] AND WORLD"
