"""dsl.ParallelFor: every kind of items, nesting, parallelism limits, and Collected fan-in."""

from kfp import dsl
from kfp.dsl import Dataset, Input, Output

from headrace.states import RunState, TaskKind, TaskState

from .conftest import Harness, max_overlap, read_json_lines


@dsl.component
def square(x: int) -> int:
    return x * x


@dsl.component
def numbers(n: int) -> list:
    return list(range(1, n + 1))


@dsl.component
def total(values: list[int]) -> int:
    return sum(values)


@dsl.component
def as_list(values: list) -> list:
    return values


@dsl.component
def describe(name: str, size: str) -> str:
    return f"{name}={size}"


@dsl.component
def pair(a: int, b: str) -> str:
    return f"{a}{b}"


@dsl.component
def write(text: str, out: Output[Dataset]) -> None:
    with open(out.path, "w") as f:
        f.write(text)
    out.metadata["text"] = text


@dsl.component
def read_one(data: Input[Dataset]) -> str:
    with open(data.path) as f:
        return f.read().upper()


@dsl.component
def read_all(data: Input[list[Dataset]]) -> str:
    parts = []
    for d in data:
        with open(d.path) as f:
            parts.append(f.read())
    return ",".join(parts)


@dsl.component
def timed(log: str, x: int, seconds: float) -> int:
    import json
    import time

    start = time.time()
    time.sleep(seconds)
    with open(log, "a") as f:
        f.write(json.dumps({"x": x, "start": start, "end": time.time()}) + "\n")
    return x


@dsl.pipeline
def loop_sources(
    n: int = 3,
    values: list = [4, 5],  # noqa: B006
    records: list = [{"label": "a", "size": 1}],  # noqa: B006
):
    with dsl.ParallelFor([1, 2, 3]) as a:
        s1 = square(x=a).set_caching_options(False)
    total(values=dsl.Collected(s1.output)).set_caching_options(False)
    with dsl.ParallelFor(values) as b:
        s2 = square(x=b).set_caching_options(False)
    as_list(values=dsl.Collected(s2.output)).set_caching_options(False)
    nums = numbers(n=n).set_caching_options(False)
    with dsl.ParallelFor(nums.output) as c:
        s3 = square(x=c).set_caching_options(False)
    as_list(values=dsl.Collected(s3.output)).set_caching_options(False)
    # kfp 2.16's compiler fails on `item.key` over a *static* list of dicts, so a parameter.
    with dsl.ParallelFor(records) as d:
        s4 = describe(name=d.label, size=d.size).set_caching_options(False)
    as_list(values=dsl.Collected(s4.output)).set_caching_options(False)


def test_static_parameter_upstream_and_dict_items_in_order(harness: Harness) -> None:
    records = [{"label": "a", "size": 1}, {"label": "b", "size": 2}]
    result = harness.run(loop_sources, {"n": 4, "values": [7, 8, 9], "records": records})
    assert result.state is RunState.SUCCEEDED
    assert result.output("total") == 14
    assert result.output("as-list") == [49, 64, 81]
    assert result.output("as-list-2") == [1, 4, 9, 16]
    assert result.output("as-list-3") == ["a=1", "b=2"]
    loops = [t for t in result.tasks if t.kind is TaskKind.LOOP]
    assert sorted(t.iteration_count or 0 for t in loops) == [2, 3, 3, 4]
    iterations = [t for t in result.tasks if t.kind is TaskKind.ITERATION]
    assert len(iterations) == 12
    assert all(t.state is TaskState.SUCCEEDED for t in result.tasks)
    squares = [t for t in result.tasks if t.name.startswith("square")]
    assert len(squares) == 10 and all(t.attempt_count == 1 for t in squares)


@dsl.pipeline
def nested_loops():
    with dsl.ParallelFor([1, 2]) as outer, dsl.ParallelFor(["x", "y", "z"]) as inner:
        p = pair(a=outer, b=inner).set_caching_options(False)
    as_list(values=dsl.Collected(p.output)).set_caching_options(False)


def test_nested_loops_collect_in_iteration_order(harness: Harness) -> None:
    result = harness.run(nested_loops)
    assert result.state is RunState.SUCCEEDED
    assert len(result.named("pair")) == 6
    # Kubeflow collects a nested loop as a list of lists, outer iteration first.
    assert result.output("as-list") == [["1x", "1y", "1z"], ["2x", "2y", "2z"]]


@dsl.pipeline
def limited(log: str, limit_log: str):
    with dsl.ParallelFor([1, 2, 3, 4, 5, 6], parallelism=2) as x:
        timed(log=limit_log, x=x, seconds=0.4).set_caching_options(False)
    with dsl.ParallelFor([1, 2, 3, 4]) as y:
        timed(log=log, x=y, seconds=0.6).set_caching_options(False)


def test_parallelism_is_honoured_exactly(harness: Harness) -> None:
    free, capped = harness.tmp / "free.jsonl", harness.tmp / "capped.jsonl"
    result = harness.run(limited, {"log": str(free), "limit_log": str(capped)}, max_parallel=6)
    assert result.state is RunState.SUCCEEDED
    capped_runs = read_json_lines(capped)
    assert len(capped_runs) == 6
    assert max_overlap([(r["start"], r["end"]) for r in capped_runs]) == 2
    free_runs = read_json_lines(free)
    assert len(free_runs) == 4
    assert max_overlap([(r["start"], r["end"]) for r in free_runs]) > 2


@dsl.pipeline
def collect_artifacts() -> list[Dataset]:
    with dsl.ParallelFor(["a", "b", "c"]) as t:
        w = write(text=t).set_caching_options(False)
    read_all(data=dsl.Collected(w.outputs["out"])).set_caching_options(False)
    return dsl.Collected(w.outputs["out"])


@dsl.pipeline
def artifact_iterator():
    made = collect_artifacts()
    with dsl.ParallelFor(made.output) as item:
        r = read_one(data=item).set_caching_options(False)
    as_list(values=dsl.Collected(r.output)).set_caching_options(False)


def test_collected_artifacts_and_artifact_iterator(harness: Harness) -> None:
    result = harness.run(artifact_iterator)
    assert result.state is RunState.SUCCEEDED
    assert result.output("collect-artifacts/read-all") == "a,b,c"
    written = result.artifacts("collect-artifacts", "Output")
    assert [a.metadata["text"] for a in written] == ["a", "b", "c"]
    assert len({a.uri for a in written}) == 3
    assert result.output("as-list") == ["A", "B", "C"]
    loop = next(t for t in result.tasks if t.kind is TaskKind.LOOP and "/" not in t.path)
    assert loop.iteration_count == 3


@dsl.pipeline
def empty_loop(values: list = []):  # noqa: B006
    with dsl.ParallelFor(values) as v:
        s = square(x=v).set_caching_options(False)
    as_list(values=dsl.Collected(s.output)).set_caching_options(False)


def test_empty_loop_collects_an_empty_list(harness: Harness) -> None:
    result = harness.run(empty_loop, {"values": []})
    assert result.state is RunState.SUCCEEDED, result.run.error
    loop = next(t for t in result.tasks if t.kind is TaskKind.LOOP)
    assert loop.state is TaskState.SUCCEEDED and loop.iteration_count == 0
    assert result.output("as-list") == []
