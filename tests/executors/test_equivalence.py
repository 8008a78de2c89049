"""The same lightweight tasks through LocalExecutor and WarmExecutor: identical behaviour."""

# No `from __future__ import annotations`: kfp reads the components' annotations as types.

import itertools
import json
import os
import pickle
import re
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl
from kfp.dsl import Dataset, Output

from headrace.executors import (
    AttemptOutcome,
    AttemptSpec,
    Executor,
    LocalExecutor,
    PythonEnvCache,
    WarmExecutor,
)
from tests.processes import running

from .attempts import Recorder, component_argv, make_spec, run_to_end, wait_for

GRACE = 1.0
_task_ids = itertools.count()


@dsl.component(base_image="python:3.11")
def make_rows(rows: int, dataset: Output[Dataset]) -> int:
    import sys

    with open(dataset.path, "w") as f:
        f.write("\n".join(str(i) for i in range(rows)))
    dataset.metadata["rows"] = rows
    for i in range(3):
        print("out", i)
        print("err", i, file=sys.stderr)
    return rows * 2


@dsl.component(base_image="python:3.11")
def end_badly(how: str) -> None:
    import os
    import signal
    import sys

    print("about to", how)
    if how == "raise":
        raise ValueError("boom")
    if how == "exit":
        sys.exit(3)
    if how == "exit-message":
        sys.exit("leaving with a message")
    if how == "os-exit":
        os._exit(7)
    if how == "sigkill":
        os.kill(os.getpid(), signal.SIGKILL)
    if how == "abort":
        os.abort()


@dsl.component(base_image="python:3.11")
def describe_process() -> str:
    import json
    import os
    import signal
    import sys

    def stream(s) -> list:
        return [s.name, s.mode, s.encoding, s.errors, s.line_buffering, s.write_through]

    fds = sorted(os.listdir("/proc/self/fd"))
    signals = [signal.SIGINT, signal.SIGTERM, signal.SIGPIPE, signal.SIGCHLD, signal.SIGHUP]
    return json.dumps(
        {
            "env": dict(os.environ),
            "cwd": os.getcwd(),
            "stdin": [sys.stdin.read(), os.readlink("/proc/self/fd/0")],
            "fds": fds,
            "argv": sys.argv,
            "orig_argv": sys.orig_argv,
            "path": sys.path,
            "executable": sys.executable,
            "main": [sys.modules["__main__"].__name__, sorted(vars(sys.modules["__main__"]))],
            "flags": list(sys.flags),
            "streams": [stream(sys.stdin), stream(sys.stdout), stream(sys.stderr)],
            "std_are_originals": [sys.stdout is sys.__stdout__, sys.stderr is sys.__stderr__],
            "signals": [str(signal.getsignal(s)) for s in signals],
            "blocked": sorted(signal.pthread_sigmask(signal.SIG_BLOCK, [])),
            "umask": os.umask(0o022),
            "session_leader_is_in_own_group": os.getsid(0) == os.getpgid(0),
        },
        sort_keys=True,  # the order of os.environ is the shell's on one path, not the other
    )


@dsl.component(base_image="python:3.11")
def leak_and_report() -> str:
    import builtins
    import json
    import os
    import sys

    import kfp.dsl

    seen = {
        "builtin": hasattr(builtins, "headrace_leak"),
        "env": "HEADRACE_LEAK" in os.environ,
        "module": hasattr(kfp.dsl, "headrace_leak"),
        "path": "/headrace-leak" in sys.path,
    }
    builtins.headrace_leak = bytearray(32 * 2**20)
    os.environ["HEADRACE_LEAK"] = "1"
    kfp.dsl.headrace_leak = 1
    sys.path.append("/headrace-leak")
    return json.dumps(seen)


@dsl.component(base_image="python:3.11")
def leave_work_for_exit() -> None:
    import atexit
    import threading
    import time

    class Noisy:
        def __del__(self) -> None:
            print("finalizer ran")

    def late() -> None:
        time.sleep(0.2)
        print("thread finished")

    atexit.register(print, "atexit ran")
    threading.Thread(target=late).start()
    unclosed = open("unclosed.txt", "w", buffering=1 << 16)  # noqa: SIM115
    unclosed.write("flushed at exit")
    globals().update(unclosed=unclosed, noisy=Noisy())
    print("returning")


@dsl.component(base_image="python:3.11")
def spawn_and_sleep() -> None:
    import os
    import subprocess
    import time

    child = subprocess.Popen(["sleep", "60"])
    with open("pids.tmp", "w") as f:
        f.write(f"{os.getpid()} {child.pid}")
    os.rename("pids.tmp", "pids")
    print("ready", flush=True)
    time.sleep(60)


@dsl.component(base_image="python:3.11")
def parent_pid() -> int:
    import os

    return os.getppid()


@dsl.component(base_image="python:3.11", packages_to_install=["six==1.17.0"])
def six_location() -> str:
    import six

    return six.__version__ + " " + six.__file__


class _Sink:
    """One log sink for the whole module; each run has its own task path."""

    def __init__(self) -> None:
        self.lines: dict[str, list[tuple[str, str]]] = {}
        self._lock = threading.Lock()

    def __call__(self, task_path: str, stream: str, line: str) -> None:
        with self._lock:
            self.lines.setdefault(task_path, []).append((stream, line))


@dataclass
class _Paths:
    sink: _Sink
    local: LocalExecutor
    warm: WarmExecutor


@pytest.fixture(scope="module")
def paths(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_Paths]:
    """Both executors, sharing one environment cache and one log sink."""
    envs = PythonEnvCache(tmp_path_factory.mktemp("envs"))
    sink = _Sink()
    local = LocalExecutor(log_sink=sink, envs=envs, grace_seconds=GRACE)
    warm = WarmExecutor(log_sink=sink, envs=envs, grace_seconds=GRACE)
    yield _Paths(sink, local, warm)
    local.shutdown()
    warm.shutdown()


@pytest.fixture(params=["local", "warm"])
def executor(request: pytest.FixtureRequest, paths: _Paths) -> Executor:
    """Each path in turn, for behaviour checked on one path at a time."""
    chosen: Executor = getattr(paths, request.param)
    return chosen


@dataclass
class _Ran:
    spec: AttemptSpec
    outcome: AttemptOutcome
    log: str
    sink: list[tuple[str, str]]


def _spec(
    tmp_path: Path,
    component: Any,
    params: dict[str, Any] | None = None,
    *,
    outputs: dict[str, str] | None = None,
    artifact: str | None = None,
    env: dict[str, str] | None = None,
) -> AttemptSpec:
    out: dict[str, Any] = {
        "parameters": {p: {"outputFile": str(tmp_path / "out" / p)} for p in outputs or {}},
        "outputFile": str(tmp_path / "out" / "executor_output.json"),
    }
    if artifact:
        uri = str(tmp_path / "artifacts" / artifact)
        entry = {"name": artifact, "type": {"schemaTitle": "system.Dataset"}, "uri": uri}
        out["artifacts"] = {artifact: {"artifacts": [{**entry, "metadata": {}}]}}
    executor_input = {"inputs": {"parameterValues": params or {}}, "outputs": out}
    return make_spec(
        tmp_path,
        component_argv(component, executor_input),
        env=env,
        executor_input=executor_input,
        output_parameter_types=outputs,
        image="python:3.11",
        task_path=f"root/task-{next(_task_ids)}",
    )


def _run(paths: _Paths, executor: Executor, spec: AttemptSpec) -> _Ran:
    outcome = run_to_end(executor, spec)
    log = spec.log_path.read_text()
    return _Ran(spec, outcome, log, paths.sink.lines.get(spec.task_path, []))


def _normalise(text: str, root: Path) -> str:
    text = text.replace(str(root), "<tmp>")
    text = re.sub(r"/tmp/tmp\.\w+", "<program>", text)
    return re.sub(r"\[KFP Executor [\d-]+ [\d:,]+ ", "[KFP Executor <time> ", text)


def _both(
    paths: _Paths, tmp_path: Path, component: Any, params: dict[str, Any] | None = None, **kw: Any
) -> tuple[_Ran, _Ran]:
    """Run the same task on each path; assert everything observable matches; return both."""
    local = _run(paths, paths.local, _spec(tmp_path / "local", component, params, **kw))
    forks = paths.warm.forks
    warm = _run(paths, paths.warm, _spec(tmp_path / "warm", component, params, **kw))
    assert paths.warm.forks == forks + 1, "the warm path fell back to a plain process"
    for kind, ran in (("local", local), ("warm", warm)):
        assert [line for _, line in ran.sink] == ran.log.splitlines(), kind
    assert _normalise(repr(warm.outcome), tmp_path / "warm") == _normalise(
        repr(local.outcome), tmp_path / "local"
    )
    # Each stream keeps its order; how the two interleave depends on scheduling on either path.
    for stream in ("stdout", "stderr"):
        assert _lines(warm, stream, tmp_path / "warm") == _lines(local, stream, tmp_path / "local")
    return local, warm


def _lines(ran: _Ran, stream: str, root: Path) -> list[str]:
    return [_normalise(line, root) for s, line in ran.sink if s == stream]


def test_outputs_artifacts_and_interleaved_logs_match(paths: _Paths, tmp_path: Path) -> None:
    local, warm = _both(
        paths,
        tmp_path,
        make_rows,
        {"rows": 3},
        outputs={"Output": "NUMBER_INTEGER"},
        artifact="dataset",
    )
    for ran in (local, warm):
        assert ran.outcome.succeeded, ran.outcome.error
        assert ran.outcome.output_parameters == {"Output": 6}
        [dataset] = ran.outcome.output_artifacts["dataset"]
        assert dataset.metadata == {"rows": 3}
        assert Path(dataset.uri).read_text() == "0\n1\n2"
        assert [line for line in ran.log.splitlines() if line[:3] == "err"] == [
            "err 0",
            "err 1",
            "err 2",
        ]


@pytest.mark.parametrize(
    ("how", "code", "last_stderr"),
    [
        ("raise", 1, "ValueError: boom"),
        ("exit", 3, None),
        ("exit-message", 1, "leaving with a message"),
        ("os-exit", 7, None),
        ("sigkill", 128 + signal.SIGKILL, "Killed"),
        ("abort", 128 + signal.SIGABRT, "Aborted"),
    ],
)
def test_failures_end_with_the_same_code_and_stderr(
    paths: _Paths, tmp_path: Path, how: str, code: int, last_stderr: str | None
) -> None:
    local, warm = _both(paths, tmp_path, end_badly, {"how": how})
    assert local.outcome.exit_code == warm.outcome.exit_code == code
    stderr = [line for stream, line in warm.sink if stream == "stderr"]
    if last_stderr is not None:
        assert stderr[-1].startswith(last_stderr)
    if how == "raise":
        assert stderr[0] == "Traceback (most recent call last):"
        assert 'File "<frozen runpy>"' in stderr[1]


@pytest.mark.parametrize(
    "startup",
    [{}, {"PYTHONUNBUFFERED": "", "LC_ALL": "C"}],
    ids=["default", "buffered-c-locale"],
)
def test_environment_cwd_stdin_and_interpreter_state_match(
    paths: _Paths, tmp_path: Path, startup: dict[str, str]
) -> None:
    env = {"KFP_RETRY_INDEX": "2", "HEADRACE_CUSTOM": "custom value", **startup}
    local, warm = _both(paths, tmp_path, describe_process, env=env, outputs={"Output": "STRING"})
    seen = [json.loads(ran.outcome.output_parameters["Output"]) for ran in (local, warm)]
    for described, ran in zip(seen, (local, warm), strict=True):
        assert described["env"]["KFP_RETRY_INDEX"] == "2"
        assert described["env"]["HEADRACE_CUSTOM"] == "custom value"
        assert described["env"]["_KFP_RUNTIME"] == "true"
        assert described["cwd"] == str(ran.spec.workdir.resolve())
        assert described["env"]["PWD"] == described["cwd"]
        assert described["stdin"] == ["", "/dev/null"]
        assert described["fds"] == ["0", "1", "2", "3"]
        assert described["path"][1] == described["cwd"]  # [0]: the component's directory
        assert described["main"][0] == "__main__"
        assert described["std_are_originals"] == [True, True]
    local_seen, warm_seen = (
        _normalise(json.dumps(s, sort_keys=True), tmp_path / kind)
        for s, kind in zip(seen, ("local", "warm"), strict=True)
    )
    assert warm_seen == local_seen


def test_a_global_leaked_by_one_task_is_not_seen_by_the_next(paths: _Paths, tmp_path: Path) -> None:
    for i in range(2):
        local, warm = _both(paths, tmp_path / str(i), leak_and_report, outputs={"Output": "STRING"})
        for ran in (local, warm):
            assert json.loads(ran.outcome.output_parameters["Output"]) == dict.fromkeys(
                ("builtin", "env", "module", "path"), False
            )


def test_exit_waits_for_threads_runs_atexit_and_finalizes_globals(
    paths: _Paths, tmp_path: Path
) -> None:
    local, warm = _both(paths, tmp_path, leave_work_for_exit)
    for ran in (local, warm):
        assert ran.outcome.succeeded, ran.outcome.error
        stdout = [line for stream, line in ran.sink if stream == "stdout"]
        assert stdout[-3:] == ["thread finished", "atexit ran", "finalizer ran"]
        assert (ran.spec.workdir / "unclosed.txt").read_text() == "flushed at exit"


def test_packages_to_install_run_in_their_environment(paths: _Paths, tmp_path: Path) -> None:
    paths.warm.envs.python_for(["six==1.17.0"])  # built beforehand, so neither log says so
    zygotes = set(paths.warm.zygote_pids())
    _, warm = _both(paths, tmp_path, six_location, outputs={"Output": "STRING"})
    version, location = warm.outcome.output_parameters["Output"].split(" ")
    assert version == "1.17.0"
    assert location.startswith(str(paths.warm.envs.root))
    assert set(paths.warm.zygote_pids()) - zygotes, "no zygote for the package environment"


def test_cancel_kills_the_task_and_its_grandchild(executor: Executor, tmp_path: Path) -> None:
    spec = _spec(tmp_path, spawn_and_sleep)
    recorder = Recorder()
    handle = executor.start(spec, recorder)
    pids = spec.workdir / "pids"
    wait_for(lambda: pids.exists(), timeout=30)
    task, grandchild = (int(p) for p in pids.read_text().split())
    handle.cancel()
    outcome = recorder.wait(GRACE + 10)
    assert outcome.canceled and not outcome.succeeded
    assert outcome.exit_code == -signal.SIGTERM
    wait_for(lambda: not running(task) and not running(grandchild), timeout=GRACE + 5)
    assert "ready" in spec.log_path.read_text()


def test_a_succeeded_attempts_scratch_is_removed_and_a_failed_ones_kept(
    executor: Executor, tmp_path: Path
) -> None:
    def attempt(name: str, component: Any, params: dict[str, Any]) -> tuple[Path, AttemptOutcome]:
        scratch = tmp_path / name
        spec = _spec(scratch, component, params, outputs={"Output": "NUMBER_INTEGER"})
        log_path = tmp_path / f"{name}.log"
        outcome = run_to_end(executor, replace(spec, scratch=scratch, log_path=log_path))
        assert log_path.exists()  # the log lives elsewhere and stays either way
        return scratch, outcome

    succeeded, outcome = attempt("ok", parent_pid, {})
    assert outcome.output_parameters["Output"] > 0  # read before the directory went
    wait_for(lambda: not succeeded.exists())  # removed after done, on the attempt's thread
    failed, outcome = attempt("failed", end_badly, {"how": "raise"})
    assert outcome.exit_code == 1
    assert (failed / "work").is_dir()  # where the program ran, for whoever looks into why


def test_lightweight_tasks_run_in_children_of_a_zygote(paths: _Paths, tmp_path: Path) -> None:
    for kind in ("local", "warm"):
        executor: Executor = getattr(paths, kind)
        spec = _spec(tmp_path / kind, parent_pid, outputs={"Output": "NUMBER_INTEGER"})
        outcome = run_to_end(executor, spec)
        assert outcome.succeeded, outcome.error
        in_zygote = outcome.output_parameters["Output"] in paths.warm.zygote_pids()
        assert in_zygote == (kind == "warm")


def test_retries_of_a_task_share_one_zygote(paths: _Paths, tmp_path: Path) -> None:
    parents = set()
    for attempt in range(3):
        spec = _spec(
            tmp_path / str(attempt),
            parent_pid,
            outputs={"Output": "NUMBER_INTEGER"},
            env={"KFP_RETRY_INDEX": str(attempt)},
        )
        outcome = run_to_end(paths.warm, spec)
        parents.add(outcome.output_parameters["Output"])
    assert len(parents) == 1 and parents <= set(paths.warm.zygote_pids())


def test_other_commands_run_as_plain_processes(paths: _Paths, tmp_path: Path) -> None:
    forks = paths.warm.forks
    outcomes = []
    for kind in ("local", "warm"):
        spec = make_spec(tmp_path / kind, ["sh", "-c", "echo hi; echo err >&2; exit 3"])
        outcomes.append((run_to_end(getattr(paths, kind), spec), spec.log_path.read_text()))
    assert outcomes[0] == outcomes[1]
    assert outcomes[1][0].exit_code == 3 and outcomes[1][1] == "hi\nerr\n"
    assert paths.warm.forks == forks


def test_a_task_the_zygote_cannot_fork_fails_as_it_would_locally(
    paths: _Paths, tmp_path: Path
) -> None:
    env = {"TMPDIR": str(tmp_path / "missing")}
    forks = paths.warm.forks
    ran = [
        _run(paths, getattr(paths, kind), _spec(tmp_path / kind, parent_pid, env=env))
        for kind in ("local", "warm")
    ]
    assert paths.warm.forks == forks
    assert ran[0].outcome.exit_code == ran[1].outcome.exit_code == 1
    assert "mktemp" in ran[1].log
    assert _normalise(ran[1].log, tmp_path / "warm") == _normalise(ran[0].log, tmp_path / "local")


@pytest.fixture
def warm(tmp_path: Path) -> Iterator[WarmExecutor]:
    """A pool of its own, for tests that kill its zygote."""
    executor = WarmExecutor(envs=PythonEnvCache(tmp_path / "envs"), grace_seconds=GRACE)
    yield executor
    executor.shutdown()


def _parent(executor: WarmExecutor, tmp_path: Path) -> int:
    outcome = run_to_end(
        executor, _spec(tmp_path, parent_pid, outputs={"Output": "NUMBER_INTEGER"})
    )
    assert outcome.succeeded, outcome.error
    parent: int = outcome.output_parameters["Output"]
    return parent


def test_a_dead_zygote_is_replaced_on_the_next_attempt(warm: WarmExecutor, tmp_path: Path) -> None:
    first = _parent(warm, tmp_path / "1")
    os.kill(first, signal.SIGKILL)
    wait_for(lambda: first not in warm.zygote_pids())
    second = _parent(warm, tmp_path / "2")
    assert second != first and warm.zygote_pids() == [second]
    assert warm.forks == 2


def test_a_zygote_dying_under_a_task_kills_the_task(warm: WarmExecutor, tmp_path: Path) -> None:
    spec = _spec(tmp_path, spawn_and_sleep)
    recorder = Recorder()
    warm.start(spec, recorder)
    pids = spec.workdir / "pids"
    wait_for(lambda: pids.exists(), timeout=30)
    task, grandchild = (int(p) for p in pids.read_text().split())
    [zygote] = warm.zygote_pids()
    os.kill(zygote, signal.SIGKILL)
    outcome = recorder.wait(10)
    assert outcome.exit_code == -signal.SIGKILL and not outcome.succeeded
    assert "warm zygote of this task exited" in spec.log_path.read_text()
    wait_for(lambda: not running(task) and not running(grandchild))


def test_a_zygote_outliving_its_executor_ends_its_tasks_and_itself(tmp_path: Path) -> None:
    spec = _spec(tmp_path, spawn_and_sleep)
    (tmp_path / "spec.pickle").write_bytes(pickle.dumps(spec))
    script = f"""
import os, pickle, time
from pathlib import Path
from headrace.executors import PythonEnvCache, WarmExecutor
spec = pickle.loads(Path({str(tmp_path / "spec.pickle")!r}).read_bytes())
executor = WarmExecutor(envs=PythonEnvCache(Path({str(tmp_path / "envs")!r})))
executor.start(spec, lambda outcome: None)
while not (spec.workdir / "pids").exists():
    time.sleep(0.02)
print(executor.zygote_pids()[0], flush=True)
os.kill(os.getpid(), 9)
"""
    died = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert died.returncode == -signal.SIGKILL, died.stderr
    zygote = int(died.stdout)
    task, grandchild = (int(p) for p in (spec.workdir / "pids").read_text().split())
    wait_for(lambda: not running(zygote) and not running(task) and not running(grandchild))


def test_shutdown_stops_the_zygotes(warm: WarmExecutor, tmp_path: Path) -> None:
    zygote = _parent(warm, tmp_path)
    warm.shutdown()
    assert warm.zygote_pids() == []
    wait_for(lambda: not running(zygote))


def test_max_workers_bounds_running_forks(tmp_path: Path) -> None:
    executor = WarmExecutor(
        envs=PythonEnvCache(tmp_path / "envs"), grace_seconds=GRACE, max_workers=1
    )
    try:
        first = _spec(tmp_path / "1", spawn_and_sleep)
        handle = executor.start(first, Recorder())
        wait_for(lambda: (first.workdir / "pids").exists(), timeout=30)
        second = Recorder()
        executor.start(_spec(tmp_path / "2", parent_pid), second)
        assert not second.event.wait(1)
        handle.cancel()
        assert second.wait(30).succeeded
        assert executor.forks == 2
    finally:
        executor.shutdown()


def test_an_idle_zygote_makes_way_for_another_environment_and_a_busy_one_does_not(
    paths: _Paths, tmp_path: Path
) -> None:
    paths.warm.envs.python_for(["six==1.17.0"])
    executor = WarmExecutor(envs=paths.warm.envs, grace_seconds=GRACE, max_environments=1)
    try:
        base = _parent(executor, tmp_path / "base")
        spec = _spec(tmp_path / "six", six_location, outputs={"Output": "STRING"})
        assert run_to_end(executor, spec).succeeded
        assert executor.forks == 2 and base not in executor.zygote_pids()
        wait_for(lambda: not running(base))

        sleeping = _spec(tmp_path / "sleeping", spawn_and_sleep)
        handle = executor.start(sleeping, Recorder())
        wait_for(lambda: (sleeping.workdir / "pids").exists(), timeout=30)
        busy = executor.zygote_pids()
        spec = _spec(tmp_path / "six-again", six_location, outputs={"Output": "STRING"})
        assert run_to_end(executor, spec).succeeded
        # The busy zygote stayed; the task ran as a plain process.
        assert executor.forks == 3 and executor.zygote_pids() == busy
        handle.cancel()
    finally:
        executor.shutdown()
