"""Per-task overhead of Headrace vs kfp.local (SubprocessRunner) on the same machine, same run.

Workloads (every task is a no-op lightweight component, so wall time is orchestration cost):
  W1  a chain of 30 tasks, each consuming the previous one's output
  W2  a 100-way ParallelFor fan-out with a Collected fan-in

Usage: python bench/run.py [--output docs/benchmarks.md] [--repeat 3] [--skip-kfp-local]
"""

# No `from __future__ import annotations`: kfp reads the component annotations at runtime.

import argparse
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import machine, write_section
from kfp import compiler, dsl


@dsl.component(base_image="python:3.11")
def step(x: int) -> int:
    return x + 1


@dsl.component(base_image="python:3.11")
def fan_in(xs: list) -> int:
    return len(xs)


@dsl.pipeline(name="w1-chain")
def w1_chain(n: int = 0) -> int:
    t = step(x=n)
    for _ in range(29):
        t = step(x=t.output)
    return t.output


@dsl.pipeline(name="w2-fanout")
def w2_fanout(width: int = 100) -> int:
    with dsl.ParallelFor(items=list(range(100))) as item:
        s = step(x=item)
    return fan_in(xs=dsl.Collected(s.output)).output


WORKLOADS: dict[str, tuple[Callable[..., Any], int]] = {
    "W1 chain of 30": (w1_chain, 30),
    "W2 fan-out 100 + fan-in": (w2_fanout, 101),
}


def run_headrace(pipeline: Callable[..., Any], workdir: Path, max_parallel: int) -> float:
    """Wall seconds for one run through Headrace's engine and local executor, in process."""
    from headrace.executors import LocalExecutor, PythonEnvCache
    from headrace.service.runs import RunRequest, create_run, run_engine
    from headrace.spec.loader import load_pipeline
    from headrace.states import RunState
    from headrace.store import Store

    home = Path(tempfile.mkdtemp(dir=workdir))
    path = home / "pipeline.yaml"
    compiler.Compiler().compile(pipeline, str(path))
    store = Store.connect(f"sqlite:///{home / 'headrace.db'}")
    executor = LocalExecutor(envs=PythonEnvCache(home / "envs"))
    started = time.perf_counter()
    loaded = load_pipeline(path)
    run = create_run(store, RunRequest(loaded, {}, str(home / "artifacts"), cache_enabled=False))
    final = run_engine(store, executor, home, max_parallel).execute(run.id)
    elapsed = time.perf_counter() - started
    executor.shutdown()
    store.close()
    if final.state is not RunState.SUCCEEDED:
        raise SystemExit(f"headrace run of {loaded.name} ended {final.state}: {final.error}")
    return elapsed


def run_kfp_local(pipeline: Callable[..., Any], workdir: Path) -> float:
    """Wall seconds for one run through kfp.local's SubprocessRunner (use_venv=False)."""
    from kfp import local

    local.init(
        runner=local.SubprocessRunner(use_venv=False),
        pipeline_root=str(Path(tempfile.mkdtemp(dir=workdir))),
    )
    started = time.perf_counter()
    pipeline()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--max-parallel", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-kfp-local", action="store_true")
    args = parser.parse_args()

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for label, (pipeline, tasks) in WORKLOADS.items():
            hr = [run_headrace(pipeline, workdir, args.max_parallel) for _ in range(args.repeat)]
            print(f"{label}: headrace {[round(x, 2) for x in hr]} s", file=sys.stderr)
            kl: list[float] | str = "not run"
            if not args.skip_kfp_local:
                try:
                    kl = [run_kfp_local(pipeline, workdir) for _ in range(max(1, args.repeat // 2))]
                except Exception as exc:  # kfp.local's own failures are a result too
                    kl = f"fails: {type(exc).__name__}: {exc}"
                print(f"{label}: kfp.local {kl}", file=sys.stderr)
            rows.append((label, tasks, statistics.median(hr), kl))

    lines = [
        "## Per-task overhead: Headrace vs kfp.local",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()} by `make bench` "
        f"(`bench/run.py`, median of {args.repeat} Headrace runs, "
        f"max-parallel {args.max_parallel}; kfp.local: SubprocessRunner(use_venv=False)).",
        "Every task is a no-op lightweight Python component, so the time per task is the "
        "orchestration cost: process start, `kfp` import in the task, state bookkeeping.",
        "",
        "| workload | tasks | Headrace wall (s) | Headrace per task (ms) "
        "| kfp.local wall (s) | kfp.local per task (ms) | ratio |",
        "|---|---|---|---|---|---|---|",
    ]
    for label, tasks, hr_wall, kl_wall in rows:
        kl_cells = f"{kl_wall} | | "
        if isinstance(kl_wall, list):
            kl_wall = statistics.median(kl_wall)
            kl_cells = f"{kl_wall:.2f} | {kl_wall / tasks * 1000:.0f} | {kl_wall / hr_wall:.1f}x"
        lines.append(
            f"| {label} | {tasks} | {hr_wall:.2f} | {hr_wall / tasks * 1000:.0f} | {kl_cells} |"
        )
    lines += [
        "",
        "Where the Headrace milliseconds go: most of a task's time is the new Python process",
        "starting `kfp.dsl.executor_main` (with `_KFP_RUNTIME=true`, as the compiled command sets,",
        "kfp skips importing its client); the engine's own bookkeeping is a few SQLite writes.",
        "`kfp.local` additionally runs `pip install kfp==<version> --no-deps` in every task.",
        "A kfp.local cell that says `fails` is kfp.local's own error on that pipeline.",
    ]
    text = "\n".join(lines) + "\n"
    print(text)
    if args.output:
        write_section(args.output, "bench/run.py", text)


if __name__ == "__main__":
    main()
