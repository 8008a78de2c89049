"""dsl.If / dsl.Elif / dsl.Else and dsl.Condition over int, float, str and bool, as real CEL."""

from kfp import dsl

from headrace.states import RunState, TaskKind, TaskState

from .conftest import Harness, RunResult


@dsl.component
def emit(text: str) -> str:
    return text


@dsl.component
def number(x: float) -> float:
    return x


@dsl.component
def flag(value: bool) -> bool:
    return value


@dsl.component
def join(a: str, b: str) -> str:
    return a + "+" + b


@dsl.pipeline
def branches(i: int = 5, f: float = 0.5, s: str = "heads", b: bool = True):
    with dsl.If(i > 10):
        emit(text="int-big").set_caching_options(False)
    with dsl.Elif(i == 5):
        emit(text="int-five").set_caching_options(False)
    with dsl.Else():
        emit(text="int-other").set_caching_options(False)

    upstream = number(x=f).set_caching_options(False)
    with dsl.If(upstream.output >= 0.5):
        emit(text="float-high").set_caching_options(False)
    with dsl.Else():
        emit(text="float-low").set_caching_options(False)

    with dsl.Condition(s == "heads"):
        emit(text="str-heads").set_caching_options(False)
    with dsl.Condition(s != "heads"):
        emit(text="str-tails").set_caching_options(False)

    up_flag = flag(value=b).set_caching_options(False)
    with dsl.If(up_flag.output == True):  # noqa: E712
        inner = emit(text="bool-true").set_caching_options(False)
        with dsl.If(i < 0):
            emit(text="nested-negative").set_caching_options(False)
        join(a=inner.output, b="after").set_caching_options(False)
    with dsl.Else():
        emit(text="bool-false").set_caching_options(False)


def _ran(result: RunResult) -> list[str]:
    """The outputs of the `emit`/`join` tasks that ran, sorted."""
    return sorted(
        t.outputs["Output"]
        for t in result.tasks
        if t.kind is TaskKind.CONTAINER
        and t.state is TaskState.SUCCEEDED
        and t.name.startswith(("emit", "join"))
    )


def test_taken_branches_run_and_the_others_are_skipped(harness: Harness) -> None:
    result = harness.run(branches, {"i": 5, "f": 0.75, "s": "heads", "b": True})
    assert result.state is RunState.SUCCEEDED
    assert _ran(result) == [
        "bool-true",
        "bool-true+after",
        "float-high",
        "int-five",
        "str-heads",
    ]
    skipped = [t for t in result.tasks if t.state is TaskState.SKIPPED]
    # int: If and Else not taken; float: Else; str: one Condition; bool: Else and the nested If.
    assert len(skipped) == 6, [t.path for t in skipped]
    assert all(t.kind is TaskKind.DAG for t in skipped)
    assert all(t.error == "condition was false" for t in skipped)
    assert not any(t.state is TaskState.FAILED for t in result.tasks)


def test_else_branches_and_string_float_bool_negatives(harness: Harness) -> None:
    result = harness.run(branches, {"i": 42, "f": 0.25, "s": "tails", "b": False})
    assert result.state is RunState.SUCCEEDED
    assert _ran(result) == ["bool-false", "float-low", "int-big", "str-tails"]
    # Everything inside a skipped branch (including its nested condition) never starts.
    assert not [t for t in result.named("join") if t.state is not TaskState.SKIPPED]
    assert all(
        len(result.attempts(t.path)) == 0 for t in result.tasks if t.state is TaskState.SKIPPED
    )


@dsl.pipeline
def one_of_in_pipeline(s: str = "a"):
    with dsl.If(s == "a"):
        first = emit(text="took-a").set_caching_options(False)
    with dsl.Else():
        second = emit(text="took-else").set_caching_options(False)
    join(a=dsl.OneOf(first.output, second.output), b="done").set_caching_options(False)


def test_one_of_consumed_by_a_downstream_task(harness: Harness) -> None:
    result = harness.run(one_of_in_pipeline, {"s": "zzz"})
    assert result.state is RunState.SUCCEEDED
    assert result.output("join") == "took-else+done"
    assert result.task("join").attempt_count == 1


@dsl.pipeline
def conditions_on_inputs(b: bool = True, ratio: float = 0.5):
    with dsl.If(b == True):  # noqa: E712
        emit(text="param-true").set_caching_options(False)
    with dsl.If(ratio < 1.0):
        emit(text="ratio-small").set_caching_options(False)
    with dsl.ParallelFor([1, 4, 9]) as x:
        with dsl.If(x > 3):
            emit(text="big-item").set_caching_options(False)
        with dsl.Elif(x == 1):
            emit(text="item-one").set_caching_options(False)


def test_conditions_on_pipeline_parameters_and_loop_items(harness: Harness) -> None:
    result = harness.run(conditions_on_inputs, {"b": True, "ratio": 0.25})
    assert result.state is RunState.SUCCEEDED, result.run.error
    assert _ran(result) == ["big-item", "big-item", "item-one", "param-true", "ratio-small"]
    negative = harness.run(conditions_on_inputs, {"b": False, "ratio": 2.0})
    assert _ran(negative) == ["big-item", "big-item", "item-one"]
