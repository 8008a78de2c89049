"""Caching: hits reuse outputs without running, per-task and run-level switches, cache_key."""

import os
import subprocess
import sys
from pathlib import Path

from kfp import dsl
from kfp.dsl import Dataset, Input, Output

from headrace.states import RunState, TaskState
from headrace.store import Store

from .conftest import Harness


@dsl.component
def produce(x: int, marker: str, out: Output[Dataset]) -> int:
    with open(marker, "a") as f:
        f.write(f"produce {x}\n")
    with open(out.path, "w") as f:
        f.write(str(x * 3))
    out.metadata["x"] = x
    return x * 3


@dsl.component
def consume(data: Input[Dataset], marker: str) -> str:
    with open(marker, "a") as f:
        f.write("consume\n")
    with open(data.path) as f:
        return "got " + f.read()


@dsl.pipeline
def cacheable(x: int, marker: str):
    p = produce(x=x, marker=marker)
    consume(data=p.outputs["out"], marker=marker)


def _runs(marker: Path) -> list[str]:
    return marker.read_text().splitlines() if marker.exists() else []


def test_identical_second_run_is_cached_with_the_same_outputs(harness: Harness) -> None:
    marker = harness.tmp / "ran.txt"
    first = harness.run(cacheable, {"x": 2, "marker": str(marker)})
    assert first.state is RunState.SUCCEEDED
    assert _runs(marker) == ["produce 2", "consume"]
    second = harness.run(cacheable, {"x": 2, "marker": str(marker)})
    assert second.state is RunState.SUCCEEDED
    assert _runs(marker) == ["produce 2", "consume"], "a cached task ran again"
    for path in ("produce", "consume"):
        task = second.task(path)
        assert task.state is TaskState.CACHED
        assert task.attempt_count == 0 and second.attempts(path) == []
        assert task.cached_from_task_id == first.task(path).id
        assert task.outputs == first.task(path).outputs
    assert second.output("produce") == 6
    assert second.output("consume") == "got 6"
    assert second.artifact("produce", "out").id == first.artifact("produce", "out").id
    assert second.artifact("produce", "out").metadata == {"x": 2}


def test_a_changed_input_misses_the_cache(harness: Harness) -> None:
    marker = harness.tmp / "ran.txt"
    harness.run(cacheable, {"x": 2, "marker": str(marker)})
    changed = harness.run(cacheable, {"x": 5, "marker": str(marker)})
    assert changed.task("produce").state is TaskState.SUCCEEDED
    # consume reads a new artifact (a new identity), so it misses as well.
    assert changed.task("consume").state is TaskState.SUCCEEDED
    assert changed.output("consume") == "got 15"
    assert _runs(marker) == ["produce 2", "consume", "produce 5", "consume"]


def test_cache_disabled_for_the_whole_run(harness: Harness) -> None:
    marker = harness.tmp / "ran.txt"
    harness.run(cacheable, {"x": 1, "marker": str(marker)})
    again = harness.run(cacheable, {"x": 1, "marker": str(marker)}, cache_enabled=False)
    assert {again.task(p).state for p in ("produce", "consume")} == {TaskState.SUCCEEDED}
    assert len(_runs(marker)) == 4


@dsl.pipeline
def partly_cacheable(x: int, marker: str):
    p = produce(x=x, marker=marker).set_caching_options(False)
    consume(data=p.outputs["out"], marker=marker)


def test_set_caching_options_false_always_runs(harness: Harness) -> None:
    marker = harness.tmp / "ran.txt"
    harness.run(partly_cacheable, {"x": 1, "marker": str(marker)})
    again = harness.run(partly_cacheable, {"x": 1, "marker": str(marker)})
    assert again.task("produce").state is TaskState.SUCCEEDED
    assert again.task("produce").cache_fingerprint is None
    # A fresh upstream artifact has a new identity: the downstream misses too (as in Kubeflow).
    assert again.task("consume").state is TaskState.SUCCEEDED
    assert len(_runs(marker)) == 4


@dsl.component
def keyed(x: int, marker: str) -> int:
    with open(marker, "a") as f:
        f.write(f"keyed {x}\n")
    return x


@dsl.pipeline
def with_cache_key(x: int, marker: str):
    keyed(x=x, marker=marker).set_caching_options(True, cache_key="version-1")


def test_cache_key_replaces_the_fingerprint(harness: Harness) -> None:
    marker = harness.tmp / "ran.txt"
    harness.run(with_cache_key, {"x": 1, "marker": str(marker)})
    other_inputs = harness.run(with_cache_key, {"x": 99, "marker": str(marker)})
    assert other_inputs.task("keyed").state is TaskState.CACHED
    assert other_inputs.output("keyed") == 1
    assert _runs(marker) == ["keyed 1"]


@dsl.pipeline
def cached_loop(marker: str) -> list:
    with dsl.ParallelFor([1, 2, 3]) as x:
        p = produce(x=x, marker=marker)
    return dsl.Collected(p.outputs["Output"])


@dsl.pipeline
def cache_in_sub_pipeline_loop(marker: str):
    cached_loop(marker=marker)


def test_caching_inside_a_loop_inside_a_sub_pipeline(harness: Harness) -> None:
    marker = harness.tmp / "ran.txt"
    first = harness.run(cache_in_sub_pipeline_loop, {"marker": str(marker)})
    assert first.state is RunState.SUCCEEDED
    second = harness.run(cache_in_sub_pipeline_loop, {"marker": str(marker)})
    assert second.state is RunState.SUCCEEDED
    assert sorted(_runs(marker)) == ["produce 1", "produce 2", "produce 3"]
    produced = second.named("produce")
    assert len(produced) == 3 and {t.state for t in produced} == {TaskState.CACHED}
    assert second.output("cached-loop") == [3, 6, 9]


def test_cli_env_var_turns_caching_off_for_the_run(harness: Harness) -> None:
    marker = harness.tmp / "ran.txt"
    package = harness.compile(cacheable)
    env = {**os.environ, "HEADRACE_HOME": str(harness.tmp / "cli-home")}
    env.pop("KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT", None)
    cli = [str(Path(sys.executable).parent / "headrace"), "run", str(package), "--quiet"]
    args = ["--param", "x=4", "--param", f"marker={marker}"]
    for extra in ({}, {"KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT": "true"}, {}):
        done = subprocess.run(
            [*cli, *args], env={**env, **extra}, capture_output=True, text=True, timeout=120
        )
        assert done.returncode == 0, done.stdout + done.stderr
    # Run 1 runs, run 2 ignores the cache (env var), run 3 is served from the cache.
    assert _runs(marker) == ["produce 4", "consume"] * 2
    store = Store.connect(f"sqlite:///{harness.tmp / 'cli-home' / 'headrace.db'}")
    try:
        runs = sorted(store.list_runs(), key=lambda r: r.created_at)
        assert [r.cache_enabled for r in runs] == [True, False, True]
        last = {t.path: t.state for t in store.list_tasks(runs[-1].id)}
        assert last["produce"] is TaskState.CACHED and last["consume"] is TaskState.CACHED
    finally:
        store.close()
