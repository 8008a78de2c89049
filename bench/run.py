"""Issue 5's speed table: Headrace (local and warm executors) vs kfp.local on the same machine.

Workloads (every task is a no-op lightweight component, so its time is orchestration cost):
  W1  a chain of 30 tasks, each consuming the previous one's output
  W2  a 100-way ParallelFor fan-out with a Collected fan-in (101 tasks)
  W3  a ParallelFor of 1,000 iterations with parallelism=8
  W4  a ParallelFor of 10,000 iterations (no parallelism limit)
  W5  `headrace run` of a one-task pipeline file, whole process from shell to exit,
      beside kfp.local running the same file and a bare `python -c 'import kfp'`
and a pyinstrument profile of W2 on the warm executor.

Every engine measurement runs in a fresh Python process of its own (this file with
--engine-child), so each workload's peak RSS is that of an engine that ran only it; every
kfp.local measurement runs in a child process too (--kfp-child), under a time limit.

Usage: python bench/run.py [--output docs/benchmarks.md] [--repeat 5] [--kfp-repeat 3]
                           [--max-parallel N] [--skip-kfp-local] [--only W1,W2,...]
"""

# No `from __future__ import annotations`: kfp reads the component annotations at runtime.

import argparse
import bisect
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import machine, write_section
from kfp import compiler, dsl

HERE = Path(__file__).resolve()
PROFILE_INTERVAL = 0.001  # seconds between pyinstrument samples


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


@dsl.pipeline(name="w3-loop-1000")
def w3_loop() -> None:
    with dsl.ParallelFor(items=list(range(1000)), parallelism=8) as item:
        step(x=item)


@dsl.pipeline(name="w4-loop-10000")
def w4_loop() -> None:
    with dsl.ParallelFor(items=list(range(10000))) as item:
        step(x=item)


KFP_LOOP_SAMPLE = 20


@dsl.pipeline(name="w3-loop-sample")
def w3_kfp_sample() -> None:
    """What kfp.local runs for W3/W4: it runs loops, but at its pace 1,000 iterations take
    about a quarter of an hour, so it runs this sample and the table extrapolates."""
    with dsl.ParallelFor(items=list(range(KFP_LOOP_SAMPLE)), parallelism=8) as item:
        step(x=item)


W5_SOURCE = """\
from kfp import dsl


@dsl.component(base_image="python:3.11")
def step(x: int) -> int:
    return x + 1


@dsl.pipeline(name="w5-one-task")
def one_task(x: int = 1) -> int:
    return step(x=x).output


if __name__ == "__main__":  # what a kfp.local user runs
    from kfp import local

    local.init(runner=local.SubprocessRunner(use_venv=False), pipeline_root="kfp-local-root")
    one_task()
"""


@dataclass(frozen=True)
class Workload:
    key: str
    label: str
    pipeline: Callable[..., Any]
    tasks: int
    width: int  # the most tasks the DAG lets run at once
    executors: tuple[str, ...]
    repeated: bool  # False: one run, cold (W3, W4)


WORKLOADS = [
    Workload("W1", "chain of 30", w1_chain, 30, 1, ("local", "warm"), True),
    Workload("W2", "fan-out 100 + fan-in", w2_fanout, 101, 100, ("local", "warm"), True),
    Workload("W3", "ParallelFor 1,000, parallelism=8", w3_loop, 1000, 8, ("warm",), False),
    Workload("W4", "ParallelFor 10,000", w4_loop, 10000, 10000, ("warm",), False),
]
BY_KEY = {w.key: w for w in WORKLOADS}


# ---- the engine child: one workload, one executor, one fresh process ---------------------


class TimedExecutor:
    """Wraps an executor; records each attempt's start() call and its start -> done time."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.lock = threading.Lock()
        self.start_call: list[float] = []
        self.start_to_done: list[float] = []

    def start(
        self, spec: Any, done: Callable[[Any], None], started: Callable[[Any], None] | None = None
    ) -> Any:
        began = time.perf_counter()

        def timed_done(outcome: Any) -> None:
            with self.lock:
                self.start_to_done.append(time.perf_counter() - began)
            done(outcome)

        handle = self.inner.start(spec, timed_done, started)
        with self.lock:
            self.start_call.append(time.perf_counter() - began)
        return handle

    def shutdown(self) -> None:
        self.inner.shutdown()

    def take(self) -> tuple[list[float], list[float]]:
        with self.lock:
            taken = (self.start_call, self.start_to_done)
            self.start_call, self.start_to_done = [], []
        return taken


class PhaseTimer:
    """Times the phases of an attempt inside the executor (patched in, in the child only)."""

    PHASES = {
        "prepare": "env copy, output dirs, interpreter lookup (attempt thread)",
        "launch": "the task handed to a waiting spare (or Popen)",
        "process": "the task's process from hand-off to its announced exit: kfp executor_main",
        "outputs": "reading the output files back",
    }

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.times: dict[str, list[float]] = {name: [] for name in self.PHASES}

    def install(self) -> None:
        from headrace.executors import _attempt, warm

        def timed(owner: Any, name: str, phase: str) -> None:
            original = getattr(owner, name)

            def wrapper(*args: Any, **kwargs: Any) -> Any:
                began = time.perf_counter()
                try:
                    return original(*args, **kwargs)
                finally:
                    with self.lock:
                        self.times[phase].append(time.perf_counter() - began)

            setattr(owner, name, wrapper)

        timed(_attempt._Attempt, "_prepare", "prepare")
        timed(warm.WarmExecutor, "launch", "launch")
        timed(warm._WarmProcess, "wait", "process")
        timed(_attempt, "collect_outputs", "outputs")
        timed(_attempt.PopenProcess, "wait", "process")


def _store_breakdown(store: Any, run_id: str) -> dict[str, float]:
    """From the store's own timestamps: attempt spans and the engine's gaps between attempts."""
    run = store.get_run(run_id)
    attempts = sorted(store.list_attempts(run_id=run_id), key=lambda a: a.started_at)
    finishes = sorted(a.finished_at for a in attempts)
    spans, gaps = [], []
    for a in attempts:
        spans.append((a.finished_at - a.started_at).total_seconds())
        # The latest attempt end before this start: the event that freed this task (its
        # upstream, or the slot it took); the run's start for the first ones.
        i = bisect.bisect_left(finishes, a.started_at)
        previous = finishes[i - 1] if i else run.started_at
        gaps.append((a.started_at - previous).total_seconds())
    return {
        "attempts": len(attempts),
        "span_median": statistics.median(spans),
        "gap_median": statistics.median(gaps),
        "span_mean": statistics.fmean(spans),
        "gap_mean": statistics.fmean(gaps),
    }


# Store internals between a Store method and SQLAlchemy: SQL is put on the method that called them.
_HELPERS = frozenset({"_writing", "update_one", "rowcount", "require", "insert_if_absent"})


def _classify(stack: list[Any]) -> str:
    """The category of a pyinstrument sample, from its stack (outermost first); SQL is keyed
    by the Store method (or the engine function) that issued it."""
    names = [(f.function or "", f.file_path or "") for f in stack]
    if any(fn == "_next_events" for fn, _ in names):
        return "idle"
    for i in range(len(names) - 1, -1, -1):
        path = names[i][1]
        # The engine's statements (store/_direct.py) and SQLite's BEGIN run on the driver's
        # cursor, past SQLAlchemy.
        if names[i][0] == "_sqlite_on_begin":
            return "sql:_sqlite_on_begin"
        if "sqlalchemy" in path or "sqlite3" in path or path.endswith("/store/_direct.py"):
            issuer = next(
                (
                    fn
                    for fn, p in reversed(names[:i])
                    if "/headrace/" in p and fn not in _HELPERS and not p.endswith("/_direct.py")
                ),
                "?",
            )
            return f"sql:{issuer}"
        if "/headrace/store/" in path:
            return "store"
        if "/headrace/executors/" in path or "threading.py" in path:
            return "executor"
    for _fn, path in reversed(names):
        if "/headrace/engine/" in path or "/headrace/service/" in path:
            return "engine"
    return "other"


def _profile_summary(session: Any) -> dict[str, float]:
    totals: dict[str, float] = {}

    def walk(frame: Any, stack: list[Any]) -> None:
        stack = [*stack, frame]
        own = frame.time - sum(child.time for child in frame.children)
        if own > 0:
            key = _classify(stack)
            totals[key] = totals.get(key, 0.0) + own
        for child in frame.children:
            walk(child, stack)

    root = session.root_frame()
    if root is not None:
        walk(root, [])
    return totals


def engine_child(cfg: dict[str, Any]) -> dict[str, Any]:
    from headrace._gc import tune_for_engines
    from headrace.service.runs import RunRequest, create_run, make_executor, run_engine
    from headrace.spec.loader import load_pipeline
    from headrace.states import RunState
    from headrace.store import Store

    tune_for_engines()  # as the `headrace` command does in the processes that run engines

    workdir = Path(cfg["workdir"])
    phases = PhaseTimer() if cfg.get("profile") else None
    if phases is not None:
        phases.install()
    executor = TimedExecutor(make_executor(cfg["executor"], workdir / "executor"))
    loaded = load_pipeline(Path(cfg["pipeline"]))
    runs: list[dict[str, Any]] = []
    profile: dict[str, Any] | None = None
    attempts_started = 0
    # One database for every run, as a server or worker has.
    home = Path(tempfile.mkdtemp(dir=workdir, prefix="home-"))
    store = Store.connect(f"sqlite:///{home / 'headrace.db'}")
    try:
        for i in range(cfg["warmup"] + cfg["runs"]):
            profiler = None
            if phases is not None and i == cfg["warmup"]:
                from pyinstrument import Profiler

                phases.times = {name: [] for name in phases.PHASES}
                profiler = Profiler(interval=PROFILE_INTERVAL)
                profiler.start()
            cpu_before = _cpu_seconds(resource.RUSAGE_SELF)
            started = time.perf_counter()
            request = RunRequest(loaded, {}, str(home / "artifacts"), cache_enabled=False)
            run = create_run(store, request)
            final = run_engine(store, executor, home, cfg["max_parallel"]).execute(run.id)
            wall = time.perf_counter() - started
            cpu = _cpu_seconds(resource.RUSAGE_SELF) - cpu_before
            if profiler is not None:
                profiler.stop()
            if final.state is not RunState.SUCCEEDED:
                raise SystemExit(f"run of {loaded.name} ended {final.state}: {final.error}")
            start_call, start_to_done = executor.take()
            attempts_started += len(start_call)
            if i >= cfg["warmup"]:
                runs.append(
                    {
                        "wall": wall,
                        "engine_cpu": cpu,
                        "start_call_median": statistics.median(start_call),
                        "start_to_done_median": statistics.median(start_to_done),
                        "start_call_total": sum(start_call),
                        "start_to_done_total": sum(start_to_done),
                        **_store_breakdown(store, run.id),
                    }
                )
            if profiler is not None and phases is not None:
                profile = {
                    "wall": wall,
                    "engine_thread": _profile_summary(profiler.last_session),
                    "phases": {k: sum(v) for k, v in phases.times.items()},
                    "start_to_done": sum(start_to_done),
                    "start_call": sum(start_call),
                }
                profiler.write_html(str(workdir / "w2-profile.html"))
                if cfg.get("profile_text"):
                    Path(cfg["profile_text"]).write_text(profiler.output_text(show_all=False))
    finally:
        executor.shutdown()
        store.close()
    return {
        "runs": runs,
        # Every task process (and the warm zygote, its start included) has been reaped by now.
        "children_cpu_per_attempt": _cpu_seconds(resource.RUSAGE_CHILDREN) / attempts_started,
        "rss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "profile": profile,
    }


def _cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def kfp_child(key: str, runs: int, workdir: Path) -> dict[str, Any]:
    from kfp import local

    pipeline = w3_kfp_sample if key == "sample" else BY_KEY[key].pipeline
    walls = []
    try:
        for _ in range(runs):
            local.init(
                runner=local.SubprocessRunner(use_venv=False),
                pipeline_root=tempfile.mkdtemp(dir=workdir),
            )
            started = time.perf_counter()
            pipeline()
            walls.append(time.perf_counter() - started)
    except Exception as exc:  # kfp.local's own failures are a result too
        return {"error": f"{type(exc).__name__}: {exc}"}
    return {"walls": walls}


# ---- the parent: runs the children, prints and writes the tables ---------------------------


def _child(argv: list[str], timeout: float) -> dict[str, Any]:
    try:
        done = subprocess.run(
            [sys.executable, str(HERE), *argv],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    except subprocess.TimeoutExpired:
        return {"error": f"did not finish in {timeout:.0f} s"}
    if done.returncode != 0:
        tail = "; ".join(done.stderr.strip().splitlines()[-3:])
        return {"error": f"exit {done.returncode}: {tail}"}
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure_engine(
    w: Workload, executor: str, yaml: Path, workdir: Path, args: argparse.Namespace
) -> dict[str, Any]:
    cfg = {
        "pipeline": str(yaml),
        "executor": executor,
        "workdir": str(Path(tempfile.mkdtemp(dir=workdir))),
        "warmup": 1 if w.repeated else 0,
        "runs": args.repeat if w.repeated else 1,
        "max_parallel": args.max_parallel,
    }
    result = _child(["--engine-child", json.dumps(cfg)], timeout=600)
    walls = [round(r["wall"], 2) for r in result.get("runs", [])]
    print(f"{w.key} headrace {executor}: {walls or result} s", file=sys.stderr)
    return result


def measure_round(
    results: dict[tuple[str, str], dict[str, Any]],
    workdir: Path,
    args: argparse.Namespace,
    only: set[str],
    rounds: int,
) -> None:
    """Measure the repeated workloads `rounds` more times, adding their runs to the results."""
    for _ in range(rounds):
        for w in WORKLOADS:
            if not w.repeated or w.key not in only:
                continue
            for kind in w.executors:
                if kind not in args.executors.split(",") or "runs" not in results[(w.key, kind)]:
                    continue
                more = measure_engine(w, kind, workdir / f"{w.key}.yaml", workdir, args)
                if "runs" not in more:
                    results[(w.key, kind)] = more  # a failure is the result
                    continue
                merged = results[(w.key, kind)]
                count = len(merged["runs"])
                merged["children_cpu_per_attempt"] = (
                    merged["children_cpu_per_attempt"] * count
                    + more["children_cpu_per_attempt"] * len(more["runs"])
                ) / (count + len(more["runs"]))
                merged["runs"] += more["runs"]
                merged["rss_kib"] = max(merged["rss_kib"], more["rss_kib"])


def measure_kfp(w: Workload, workdir: Path, args: argparse.Namespace) -> dict[str, Any]:
    if args.skip_kfp_local or w.key == "W4":  # W4 is extrapolated from W3's sample
        return {"error": "not run"}
    runs = args.kfp_repeat if w.repeated else 1
    key = "sample" if w.key == "W3" else w.key
    result = _child(["--kfp-child", key, str(runs), str(workdir)], timeout=120 + 60 * runs)
    print(f"{w.key} kfp.local: {result}", file=sys.stderr)
    return result


def _timed_process(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed


def measure_w5(workdir: Path, args: argparse.Namespace) -> dict[str, list[float]]:
    """Whole-process wall times of the one-task pipeline: `headrace run`, kfp.local, import."""
    root = Path(tempfile.mkdtemp(dir=workdir, prefix="w5-"))
    source = root / "one_task.py"
    source.write_text(W5_SOURCE)
    headrace = str(Path(sys.executable).with_name("headrace"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADRACE_")}
    n = args.w5_repeat
    out: dict[str, list[float]] = {}
    for executor in ("local", "warm"):
        cmd = [headrace, "run", str(source), "-q", "--no-cache", "--executor", executor]
        same = {**env, "HEADRACE_HOME": str(root / f"home-{executor}")}
        _timed_process(cmd, root, same)  # creates the database; not counted
        out[f"{executor} same home"] = [_timed_process(cmd, root, same) for _ in range(n)]
        out[f"{executor} fresh home"] = [
            _timed_process(cmd, root, {**env, "HEADRACE_HOME": str(root / f"fresh-{executor}-{i}")})
            for i in range(n)
        ]
    if not args.skip_kfp_local:
        out["kfp.local"] = [
            _timed_process([sys.executable, str(source)], root, env) for _ in range(n)
        ]
    out["import kfp"] = [
        _timed_process([sys.executable, "-c", "import kfp"], root, env) for _ in range(n)
    ]
    for label, times in out.items():
        print(f"W5 {label}: {[round(t, 2) for t in times]} s", file=sys.stderr)
    return out


def _med(values: list[float]) -> float:
    return statistics.median(values)


def _per_task_ms(w: Workload, result: dict[str, Any], max_parallel: int) -> float | None:
    """Wall-clock-derived overhead per task: run wall time x slots in use / tasks."""
    if "runs" not in result:
        return None
    slots = min(max_parallel, w.width)
    return _med([r["wall"] for r in result["runs"]]) * slots / w.tasks * 1000


def _cell_error(result: dict[str, Any]) -> str:
    if "error" not in result:
        return "not run"
    if result["error"] == "not run":
        return "not run"
    return f"fails: {result['error']}".replace("|", "/")


def build_report(
    args: argparse.Namespace,
    results: dict[tuple[str, str], dict[str, Any]],
    w5: dict[str, list[float]] | None,
) -> str:
    mp = args.max_parallel
    lines = [
        "## Speed: Headrace vs kfp.local (issue 5)",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()} by `make bench` (`bench/run.py`): "
        f"max-parallel {mp} (the CPU count); W1/W2 Headrace: median of "
        f"{args.rounds * args.repeat} runs, {args.repeat} after one unmeasured warm-up run in each "
        f"of {args.rounds} engine processes with a database each (so the warm pool's zygote is "
        "started, as in a server or worker), started at different moments of the bench (before "
        "W3, after W4, after W5), since this machine's speed drifts over minutes; task CPU: the "
        "mean over them; W3/W4: one cold run each (zygote start "
        f"included); kfp.local: `SubprocessRunner(use_venv=False)`, median of {args.kfp_repeat} "
        "runs (W3's sample: one). Every "
        "task is a no-op lightweight Python component, so a task's time is orchestration cost. "
        "Each workload's engine runs alone in a fresh Python process, which reports its own "
        "peak RSS (`ru_maxrss`; task processes are not counted), with Python's default of "
        "writing bytecode (`PYTHONDONTWRITEBYTECODE` unset). The machine's 1-minute load "
        f"average was {args.load[0]:.1f} at the start and {args.load[-1]:.1f} at the end "
        f"({args.took / 60:.0f} minutes).",
        "",
        "| workload | measure | Headrace local | Headrace warm | kfp.local | kfp.local / warm |",
        "|---|---|---|---|---|---|",
    ]
    verdicts: list[str] = []
    for w in WORKLOADS:
        local, warm, kfp = (results.get((w.key, k), {}) for k in ("local", "warm", "kfp"))
        name = f"{w.key} {w.label} ({w.tasks:,} tasks)"
        if w.key in ("W1", "W2"):
            cells = []
            for r in (local, warm):
                ms = _per_task_ms(w, r, mp)
                cells.append(f"{ms:.1f}" if ms is not None else _cell_error(r) if r else "—")
            warm_ms = _per_task_ms(w, warm, mp)
            kfp_cell, ratio = _cell_error(kfp), "—"
            if "walls" in kfp:
                kfp_ms = _med(kfp["walls"]) * min(mp, w.width) / w.tasks * 1000
                kfp_cell = f"{kfp_ms:.0f}"
                if warm_ms:
                    ratio = f"{kfp_ms / warm_ms:.0f}x"
                    ok = warm_ms <= 10 and kfp_ms / warm_ms >= 50
                    verdicts.append(
                        f"- {w.key}: warm {warm_ms:.1f} ms per task (target ≤ 10 ms), "
                        f"{kfp_ms / warm_ms:.0f}x below kfp.local (target ≥ 50x): "
                        f"**{'holds' if ok else 'does not hold'}**"
                    )
            elif warm_ms is not None:
                verdicts.append(
                    f"- {w.key}: warm {warm_ms:.1f} ms per task (target ≤ 10 ms): "
                    f"**{'holds' if warm_ms <= 10 else 'does not hold'}**; kfp.local cannot run "
                    "it, so there is no ratio"
                )
            lines.append(
                f"| {name} | per-task overhead, ms (median) | {cells[0]} | {cells[1]} "
                f"| {kfp_cell} | {ratio} |"
            )
        elif w.key in ("W3", "W4"):
            sample = results.get(("W3", "kfp"), {})
            kfp_rate = KFP_LOOP_SAMPLE / _med(sample["walls"]) if "walls" in sample else None
            kfp_cell, ratio = _cell_error(kfp), "—"
            if kfp_rate:
                minutes = w.tasks / kfp_rate / 60
                kfp_cell = (
                    f"≈ {minutes:.0f} min, extrapolated at {kfp_rate:.2f} tasks/s "
                    f"(a {KFP_LOOP_SAMPLE}-iteration loop)"
                )
            cell = _cell_error(warm)
            if "runs" in warm:
                wall, mb = warm["runs"][0]["wall"], warm["rss_kib"] * 1024 / 1e6
                rate = w.tasks / wall
                if kfp_rate:
                    ratio = f"{rate / kfp_rate:.0f}x"
                if w.key == "W3":
                    cell = f"{rate:.0f} tasks/s ({wall:.1f} s)"
                    verdicts.append(f"- W3: completes, {rate:.0f} tasks/s ({wall:.1f} s)")
                else:
                    cell = f"{wall:.1f} s, {mb:.0f} MB ({rate:.0f} tasks/s)"
                    verdicts.append(
                        f"- W4: completes in {wall:.1f} s (target < 60 s: "
                        f"**{'holds' if wall < 60 else 'does not hold'}**), engine peak RSS "
                        f"{mb:.0f} MB (target < 300 MB: "
                        f"**{'holds' if mb < 300 else 'does not hold'}**)"
                    )
            measure = "tasks per second (wall)" if w.key == "W3" else "wall time, engine peak RSS"
            lines.append(f"| {name} | {measure} | — | {cell} | {kfp_cell} | {ratio} |")
    if w5:
        kl = w5.get("kfp.local")
        kfp_cell = f"{_med(kl):.2f}" if kl else "not run"
        ratio = f"{_med(kl) / _med(w5['warm same home']):.1f}x" if kl else "—"
        lines.append(
            f"| W5 one-task pipeline, shell to exit | wall s (median of {args.w5_repeat}) "
            f"| {_med(w5['local same home']):.2f} | {_med(w5['warm same home']):.2f} "
            f"| {kfp_cell} | {ratio} |"
        )
        lines.append(
            f"| W5, fresh `HEADRACE_HOME` each run | wall s | {_med(w5['local fresh home']):.2f} "
            f"| {_med(w5['warm fresh home']):.2f} | | |"
        )
        lines.append(f"| `python -c 'import kfp'` | wall s | | | {_med(w5['import kfp']):.2f} | |")
        verdicts.append(
            f"- W5: `headrace run` {_med(w5['warm same home']):.2f} s beside "
            f"`python -c 'import kfp'` {_med(w5['import kfp']):.2f} s (reported, no target)"
        )

    lines += [
        "",
        "*Per-task overhead* is wall-clock derived: the run's wall time (`create_run` + "
        "`RunEngine.execute`, from the first write to the final run state) x the task slots "
        "the DAG can use (min(max-parallel, width): 1 for the chain, "
        f"{min(mp, 100)} for the fan-out) / tasks — the slot-time one task costs. The components "
        "do nothing, so this is all overhead (process start, kfp's executor, bookkeeping). "
        "kfp.local's cell uses the same formula. *W5*: `headrace run one_task.py -q --no-cache "
        "--executor local|warm` timed from the shell to exit, the first row with one "
        "`HEADRACE_HOME` whose database an unmeasured first run created, the second with a new "
        "one each run (database created and migrated inside the timing); kfp.local's W5 cell is "
        "`python one_task.py` calling the pipeline under `local.init(SubprocessRunner"
        "(use_venv=False))`. A `fails` cell is that runner's own error on that pipeline.",
        "",
        "Targets:",
        "",
        *verdicts,
        "",
        "### Where a task's time goes (store timestamps)",
        "",
        "From the store of each measured run: *attempt span* is an attempt's `started_at` → "
        "`finished_at` (recorded by the engine: before the executor is asked to start it, and "
        "when the engine handles its end), *engine gap* is an attempt's `started_at` minus the "
        "latest end of any attempt before it (the upstream task in the chain, the slot it took "
        "in a fan-out; the run's start for the first tasks); *executor* is the executor's "
        "`start()` → done callback, timed around the executor in the engine process; "
        "*outside the executor* is the slot-time per task not spent between `start()` and "
        "the done callback, (wall x slots - the sum of start→done) / tasks: the engine's share "
        "of the per-task overhead (the turn's SQL and commit, the event hand-off, the DAG "
        "walk); *start() call* is what `start()` costs the engine's thread. Medians over "
        "tasks, then over runs (*outside the executor*: a mean over tasks). CPU time, which the "
        "other load on a shared machine disturbs less than wall time: *engine CPU* is the "
        "engine process's (all its threads: engine, executor, store) per task, a median over "
        "runs; *task CPU* is that of every process the engine's executor started, per task, "
        "over all runs of the workload (the warm-up run and the warm zygote's own start "
        "included).",
        "",
        "| workload | executor | wall s | per-task ms (wall) | attempt span ms | engine gap ms "
        "| executor start→done ms | outside the executor ms | start() call ms "
        "| engine CPU ms/task | task CPU ms/task | engine peak RSS MB |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for w in WORKLOADS:
        for kind in ("local", "warm"):
            r = results.get((w.key, kind))
            if not r or "runs" not in r:
                continue
            runs = r["runs"]
            ms = _per_task_ms(w, r, mp) or 0.0
            slots = min(mp, w.width)
            outside = _med([(x["wall"] * slots - x["start_to_done_total"]) / w.tasks for x in runs])

            def med(key: str, runs: list[dict[str, Any]] = runs) -> float:
                return _med([x[key] for x in runs]) * 1000

            lines.append(
                f"| {w.key} | {kind} | {_med([x['wall'] for x in runs]):.2f} | {ms:.1f} "
                f"| {med('span_median'):.1f} | {med('gap_median'):.1f} "
                f"| {med('start_to_done_median'):.1f} | {outside * 1000:.1f} "
                f"| {med('start_call_median'):.2f} "
                f"| {_med([x['engine_cpu'] for x in runs]) * 1000 / w.tasks:.1f} "
                f"| {r['children_cpu_per_attempt'] * 1000:.1f} "
                f"| {r['rss_kib'] * 1024 / 1e6:.0f} |"
            )
    profile = results.get(("W2", "profile"), {}).get("profile")
    if profile:
        lines += ["", *profile_section(profile, mp)]
    return "\n".join(lines) + "\n"


ENGINE_CATEGORIES = {
    "idle": "waiting for a task to end (`RunEngine._next_events`)",
    "sql": "SQL: SQLAlchemy + sqlite3, statements and commits, all issuers",
    "store": "Store code around the SQL (records, id and time stamps)",
    "engine": "engine bookkeeping: DAG walk, inputs, placeholders, run layout",
    "executor": "`executor.start()`: the attempt handed to a worker thread",
    "other": "other (logging, json, protobuf, datetime)",
}
SQL_ISSUERS = {
    "_sqlite_on_begin": "`BEGIN IMMEDIATE` of each write transaction (the write lock)",
    "batch": "commit of the turn's transaction (`Store.batch`)",
    "create_attempt": "`Store.create_attempt` (Core INSERT)",
    "finish_attempt": "`Store.finish_attempt` (Core UPDATE)",
    "update_tasks": "`Store.update_tasks` (the turn's merged task updates)",
    "create_tasks": "`Store.create_tasks` (loop iterations, tasks)",
}


def profile_section(profile: dict[str, Any], max_parallel: int) -> list[str]:
    wall = profile["wall"]
    tasks = BY_KEY["W2"].tasks
    eng: dict[str, float] = {}
    sql: dict[str, float] = {}
    for key, seconds in profile["engine_thread"].items():
        if key.startswith("sql:"):
            issuer = key[4:] if key[4:] in SQL_ISSUERS else "other"
            if issuer == "other":
                print(f"profile: SQL from {key[4:]}: {seconds * 1000:.0f} ms", file=sys.stderr)
            sql[issuer] = sql.get(issuer, 0.0) + seconds
            key = "sql"
        eng[key] = eng.get(key, 0.0) + seconds
    sampled = sum(eng.values()) or 1.0
    busy = sampled - eng.get("idle", 0.0) or 1.0
    phases = profile["phases"]
    total = profile["start_to_done"] or 1.0
    other = total - sum(phases.values())
    parts = {
        "task process, hand-off → announced exit (kfp `executor_main`, the no-op function)": (
            phases["process"]
        ),
        "hand-off to a spare (`WarmExecutor.launch`)": phases["launch"],
        "attempt thread: prepare, output files, log pump join, done callback": (
            other + phases["prepare"] + phases["outputs"]
        ),
        "engine thread: SQL and commits": sum(sql.values()),
        "engine thread: DAG walk, store records, other": (
            eng.get("engine", 0.0) + eng.get("store", 0.0) + eng.get("other", 0.0)
        ),
        "engine thread: `executor.start()` (hand-off to a worker thread)": eng.get("executor", 0.0),
    }
    summed = sum(parts.values()) or 1.0
    lines = [
        "### Profile of W2 on the warm executor: where a task's milliseconds go",
        "",
        f"One W2 run (after a warm-up run) under pyinstrument (sampling every "
        f"{PROFILE_INTERVAL * 1000:.0f} ms the engine's thread, which is the one pyinstrument "
        f"profiles): wall {wall:.2f} s, {wall * 1000 / tasks:.1f} ms of run wall time per task "
        "(the profiler's own cost included). Executor threads and the forked task processes are "
        "not sampled by pyinstrument; the last table times their phases by wrapping executor "
        "methods in the benchmark's process (summed over the run's tasks, so on "
        f"{max_parallel} slots their total can exceed the wall time).",
        "",
        f"Per task, summed over the run's {tasks} tasks and divided by them; the parts overlap "
        f"in time (two tasks and the engine share {max_parallel} cores), so the percentages are "
        f"of their sum ({summed * 1000 / tasks:.1f} ms), beside a per-task slot-time of "
        f"{wall * max_parallel * 1000 / tasks:.1f} ms in this run.",
        "",
        "| part | ms per task | % |",
        "|---|---|---|",
        *(
            f"| {label} | {seconds * 1000 / tasks:.1f} | {seconds / summed * 100:.0f}% |"
            for label, seconds in parts.items()
        ),
        "",
        "| engine thread | ms per task | % of the thread | % of its busy time |",
        "|---|---|---|---|",
    ]
    for key, label in ENGINE_CATEGORIES.items():
        seconds = eng.get(key, 0.0)
        of_busy = "" if key == "idle" else f"{seconds / busy * 100:.0f}%"
        lines.append(
            f"| {label} | {seconds * 1000 / tasks:.2f} | {seconds / sampled * 100:.0f}% "
            f"| {of_busy} |"
        )
        if key == "sql":
            for issuer, text in [*SQL_ISSUERS.items(), ("other", "other SQL")]:
                seconds = sql.get(issuer, 0.0)
                lines.append(
                    f"| &nbsp;&nbsp;of which {text} | {seconds * 1000 / tasks:.2f} "
                    f"| {seconds / sampled * 100:.0f}% | {seconds / busy * 100:.0f}% |"
                )
    lines += [
        "",
        "| an attempt, executor side (start() → done callback) | ms per task | % of start→done |",
        "|---|---|---|",
    ]
    for key, label in PhaseTimer.PHASES.items():
        lines.append(
            f"| {label} | {phases[key] * 1000 / tasks:.2f} | {phases[key] / total * 100:.0f}% |"
        )
    lines.append(
        f"| the rest: attempt thread start, log pump join, log file, done callback "
        f"| {other * 1000 / tasks:.2f} | {other / total * 100:.0f}% |"
    )
    lines.append(f"| **start() → done, total** | {total * 1000 / tasks:.2f} | 100% |")
    return lines


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--engine-child":
        print(json.dumps(engine_child(json.loads(sys.argv[2]))))
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--kfp-child":
        print(json.dumps(kfp_child(sys.argv[2], int(sys.argv[3]), Path(sys.argv[4]))))
        return
    # Measure what a user gets: Python writes bytecode by default (the component module's, in
    # each task, and Headrace's own on its first start). A shell that sets
    # PYTHONDONTWRITEBYTECODE would make tasks cheaper and every `headrace run` slower.
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--repeat", type=int, default=5, help="Headrace runs of W1 and W2")
    parser.add_argument(
        "--rounds", type=int, default=3, help="engine processes for W1 and W2, spread in time"
    )
    parser.add_argument("--kfp-repeat", type=int, default=3, help="kfp.local runs of W1")
    parser.add_argument("--w5-repeat", type=int, default=5)
    parser.add_argument("--max-parallel", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--skip-kfp-local", action="store_true")
    parser.add_argument("--only", default="W1,W2,W3,W4,W5,profile")
    parser.add_argument("--executors", default="local,warm", help="which Headrace executors")
    args = parser.parse_args()
    only = set(args.only.split(","))

    results: dict[tuple[str, str], dict[str, Any]] = {}
    w5 = None
    began = time.perf_counter()
    args.load = [os.getloadavg()[0]]
    with tempfile.TemporaryDirectory(prefix="headrace-bench-") as tmp:
        workdir = Path(tmp)
        for w in WORKLOADS:
            if w.key not in only and not (w.key == "W2" and "profile" in only):
                continue
            yaml = workdir / f"{w.key}.yaml"
            compiler.Compiler().compile(w.pipeline, str(yaml))
            if w.key not in only:
                continue
            for kind in w.executors:
                if kind not in args.executors.split(","):
                    continue
                results[(w.key, kind)] = measure_engine(w, kind, yaml, workdir, args)
            results[(w.key, "kfp")] = measure_kfp(w, workdir, args)
        # The machine's speed drifts over minutes: W1 and W2 are measured again later in the
        # bench (after W4, after W5), each time in a new engine process.
        later = args.rounds - 1
        measure_round(results, workdir, args, only, (later + 1) // 2)
        if "profile" in only:
            cfg = {
                "pipeline": str(workdir / "W2.yaml"),
                "executor": "warm",
                "workdir": str(Path(tempfile.mkdtemp(dir=workdir))),
                "warmup": 1,
                "runs": 1,
                "max_parallel": args.max_parallel,
                "profile": True,
                "profile_text": str(workdir / "profile.txt"),
            }
            results[("W2", "profile")] = _child(["--engine-child", json.dumps(cfg)], 600)
            if (workdir / "profile.txt").exists():
                print((workdir / "profile.txt").read_text(), file=sys.stderr)
        if "W5" in only:
            w5 = measure_w5(workdir, args)
        measure_round(results, workdir, args, only, later // 2)
    args.load.append(os.getloadavg()[0])
    args.took = time.perf_counter() - began
    print(f"bench/run.py took {args.took:.0f} s", file=sys.stderr)

    text = build_report(args, results, w5)
    print(text)
    if args.output:
        write_section(args.output, "bench/run.py", text)


if __name__ == "__main__":
    main()
