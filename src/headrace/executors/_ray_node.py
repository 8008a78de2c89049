"""The node side of a Ray attempt: the local executor's attempt, its log lines yielded in batches.

`run_attempt` is the body of the Ray task. It runs the attempt exactly as the local executor
does (stage inputs, cached Python environment, process group, outputs, uploads) and yields what
the driver needs: first where it runs, then batches of log lines as they come, last the outcome.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from headrace.executors._attempt import Launch, ProcessExecutor, popen_task
from headrace.executors._janitor import remove_scratch_dir
from headrace.executors._process import PopenProcess, ProcessExit, TaskLog, TaskProcess
from headrace.executors.base import AttemptOutcome, AttemptSpec
from headrace.executors.python_env import PythonEnvCache

_GUARD = Path(__file__).with_name("_ray_guard.py")
_BATCH_LINES = 1000
_BATCH_WAIT_SECONDS = 0.1


@dataclass(frozen=True)
class NodeInfo:
    """Where the attempt runs, sent before anything else."""

    node_id: str
    ip: str


@dataclass(frozen=True)
class LogBatch:
    """Log lines as (stream, text), in the order the task printed them."""

    lines: list[tuple[str, str]]


Chunk = NodeInfo | LogBatch | AttemptOutcome


def run_attempt(spec: AttemptSpec, envs_root: str, grace_seconds: float) -> Iterator[Chunk]:
    """Run one attempt on this node (the body of a streaming Ray task)."""
    import ray

    context = ray.get_runtime_context()
    yield NodeInfo(context.get_node_id(), ray.util.get_node_ip_address())
    lines: queue.Queue[tuple[str, str] | AttemptOutcome] = queue.Queue()
    scratch = Path(tempfile.mkdtemp(prefix="headrace-ray-"))
    # The driver keeps the real log and archives it; this copy only feeds the local machinery.
    local = dataclasses.replace(spec, log_path=scratch / "task.log", log_archive_uri=None)
    executor = _NodeExecutor(
        log_sink=lambda _task, stream, text: lines.put((stream, text)),
        envs=PythonEnvCache(Path(envs_root)),
        grace_seconds=grace_seconds,
    )
    handle = executor.start(local, lines.put)
    try:
        while True:
            first = lines.get()
            batch: list[tuple[str, str]] = []
            item: tuple[str, str] | AttemptOutcome | None = first
            while isinstance(item, tuple):
                batch.append(item)
                if len(batch) >= _BATCH_LINES:
                    break
                try:
                    item = lines.get(timeout=_BATCH_WAIT_SECONDS if len(batch) == 1 else 0)
                except queue.Empty:
                    item = None
            if batch:
                yield LogBatch(batch)
            if isinstance(item, AttemptOutcome):
                yield item
                return
    finally:
        handle.cancel()  # a no-op once the attempt ended; stops it when the generator is closed
        shutil.rmtree(scratch, ignore_errors=True)


class _NodeExecutor(ProcessExecutor):
    """The local executor with a guard that kills the task's group if this worker dies."""

    def launch(self, launch: Launch, log: TaskLog) -> TaskProcess | AttemptOutcome:
        started = popen_task(launch, log)
        if isinstance(started, PopenProcess):
            return _Guarded(started, self.grace_seconds)
        return started

    def remove_scratch(self, path: Path) -> None:
        # One attempt per executor here, and no engine thread to spare: no helper process.
        remove_scratch_dir(path)


class _Guarded:
    """A task process watched by a guard process that outlives a killed Ray worker."""

    def __init__(self, process: PopenProcess, grace_seconds: float) -> None:
        self._process = process
        self.stdout: IO[bytes] = process.stdout
        self.stderr: IO[bytes] = process.stderr
        self.pid = process.pid
        # ray.cancel(force=True) and a dying node kill the worker with SIGKILL: nothing here
        # runs then, but the guard's stdin reaches end-of-file and it ends the task's group.
        self._guard = subprocess.Popen(
            [sys.executable, "-I", str(_GUARD), str(process.pid), str(grace_seconds)],
            stdin=subprocess.PIPE,
            start_new_session=True,
        )

    def signal(self, sig: signal.Signals) -> None:
        self._process.signal(sig)

    def wait(self) -> ProcessExit:
        ended = self._process.wait()
        stdin = self._guard.stdin
        if stdin is not None:
            with contextlib.suppress(OSError):  # a guard that is gone has nothing to hear
                stdin.write(b"done\n")
                stdin.close()
        self._guard.wait(timeout=10)  # the guard's first process exits at once (it forks)
        return ended
