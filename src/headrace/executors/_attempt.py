"""The life of one attempt run as a process group, shared by the local and the warm executors."""

from __future__ import annotations

import itertools
import logging
import os
import queue
import re
import shutil
import signal
import subprocess
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from headrace.errors import HeadraceError, StorageError
from headrace.executors._janitor import Janitor, make_scratch_dir
from headrace.executors._process import (
    PopenProcess,
    TaskLog,
    TaskProcess,
    process_identity,
    pump_output,
)
from headrace.executors._staging import (
    archive_log,
    live_log_uploads,
    stage_inputs,
    upload_outputs,
)
from headrace.executors.base import (
    AttemptHandle,
    AttemptOutcome,
    AttemptSpec,
    DoneCallback,
    LogSink,
    StartedCallback,
)
from headrace.executors.outputs import collect_outputs
from headrace.executors.python_env import LightweightCommand, PythonEnvCache, parse_lightweight

logger = logging.getLogger(__name__)

_NOT_FOUND = re.compile(r"([^\s:]+): (?:command )?not found\s*$")
_IDLE_WORKER_SECONDS = 10.0
"""How long a worker thread waits for another job before it ends."""


def accelerator_available() -> bool:
    """Whether this machine has an NVIDIA GPU a task could use."""
    return shutil.which("nvidia-smi") is not None or Path("/dev/nvidia0").exists()


@dataclass(frozen=True)
class Launch:
    """What an attempt runs once its environment is ready."""

    spec: AttemptSpec
    argv: list[str]
    env: dict[str, str]
    lightweight: LightweightCommand | None
    python: str | None
    """The interpreter of a lightweight component's environment."""
    canceled: Callable[[], bool]


class Workers:
    """Threads that run attempts and their log pumps, kept a while for the next ones.

    Starting a thread makes its starter wait until the new thread runs: on a busy machine that
    wait was the largest cost of `start()` on the engine's thread. A job goes to an idle worker,
    or to a new one when none is idle, so jobs never wait for each other.
    """

    def __init__(self, name: str) -> None:
        self._name = name
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        """Workers waiting for a job that no submitted job has been promised to."""
        self._numbers = itertools.count(1)

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            spawn = self._idle == 0
            if not spawn:
                self._idle -= 1
        self._jobs.put(job)
        if spawn:
            name = f"{self._name}-{next(self._numbers)}"
            threading.Thread(target=self._work, name=name, daemon=True).start()

    def _work(self) -> None:
        while True:
            try:
                job = self._jobs.get(timeout=_IDLE_WORKER_SECONDS)
            except queue.Empty:
                with self._lock:
                    if self._idle > 0:  # else a job is promised to the waiting workers: stay
                        self._idle -= 1
                        return
                continue
            try:
                job()
            except Exception:
                logger.exception("a job of %s raised", self._name)
            del job
            with self._lock:
                self._idle += 1


class ProcessExecutor:
    """Runs each attempt as a process group on this machine, on reused background threads."""

    def __init__(
        self, *, log_sink: LogSink | None = None, envs: PythonEnvCache, grace_seconds: float = 5.0
    ) -> None:
        self.log_sink = log_sink
        self.envs = envs
        self.grace_seconds = grace_seconds
        self._attempts: set[_Attempt] = set()
        self._attempts_lock = threading.Lock()
        self.workers = Workers(f"{type(self).__name__}-worker")
        self._janitor = Janitor()

    def start(
        self, spec: AttemptSpec, done: DoneCallback, started: StartedCallback | None = None
    ) -> AttemptHandle:
        """Start the attempt in the background; done is called once, never from inside start.

        `started` hears of the task's process as soon as it exists, before done.
        """
        attempt = _Attempt(self, spec, done, started)
        with self._attempts_lock:
            self._attempts.add(attempt)
        self.workers.submit(attempt.main)
        return attempt

    def shutdown(self) -> None:
        """Cancel every running attempt and wait for them to report."""
        with self._attempts_lock:
            attempts = list(self._attempts)
        for attempt in attempts:
            attempt.cancel()
        for attempt in attempts:
            attempt.ended.wait(self.grace_seconds + 10)
        self._janitor.close()

    def remove_scratch(self, path: Path) -> None:
        """Remove a succeeded attempt's directory soon; shutdown waits until it is gone."""
        self._janitor.remove(path)

    def launch(self, launch: Launch, log: TaskLog) -> TaskProcess | AttemptOutcome:
        """Start the program; an outcome instead when it cannot start."""
        return popen_task(launch, log)

    def _finished(self, attempt: _Attempt) -> None:
        with self._attempts_lock:
            self._attempts.discard(attempt)


def popen_task(launch: Launch, log: TaskLog) -> TaskProcess | AttemptOutcome:
    """Start the program as a child of this process, in its own session."""
    try:
        proc = subprocess.Popen(
            launch.argv,
            cwd=launch.spec.workdir,
            env=launch.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        return log.failure(_not_found(launch.spec, launch.argv[0]))
    except PermissionError as exc:
        return log.failure(f"the command `{launch.argv[0]}` cannot be executed: {exc}")
    return PopenProcess(proc)


class _Attempt:
    def __init__(
        self,
        executor: ProcessExecutor,
        spec: AttemptSpec,
        done: DoneCallback,
        started: StartedCallback | None,
    ) -> None:
        self.executor = executor
        self.spec = spec
        self.done = done
        self.started = started
        self.ended = threading.Event()
        """Set once the done callback has returned."""
        self._lock = threading.Lock()
        self._canceled = False
        self._process: TaskProcess | None = None
        self._kill_timer: threading.Timer | None = None

    def cancel(self) -> None:
        with self._lock:
            if self._canceled:
                return
            self._canceled = True
            if self._process is not None:
                self._terminate()

    def canceled(self) -> bool:
        with self._lock:
            return self._canceled

    def _terminate(self) -> None:
        assert self._process is not None
        self._process.signal(signal.SIGTERM)
        self._kill_timer = threading.Timer(
            self.executor.grace_seconds, self._process.signal, args=(signal.SIGKILL,)
        )
        self._kill_timer.daemon = True
        self._kill_timer.start()

    def main(self) -> None:
        try:
            self._main()
        finally:
            self.executor._finished(self)
            self.ended.set()

    def _main(self) -> None:
        try:
            outcome = self._run()
        except Exception as exc:
            logger.exception("attempt of task %s failed inside Headrace", self.spec.task_path)
            outcome = AttemptOutcome(
                exit_code=None, error=f"Headrace could not run the task: {exc}"
            )
        try:
            outcome = archive_log(self.spec, outcome)
        except Exception:
            logger.exception("the log of task %s was not archived", self.spec.task_path)
        try:
            self.done(outcome)
        except Exception:
            logger.exception("the done callback of task %s raised", self.spec.task_path)
        if outcome.succeeded and self.spec.scratch is not None:
            # Its outputs are read: a 10,000-iteration loop leaves no 10,000 directories.
            self.executor.remove_scratch(self.spec.scratch)

    def _run(self) -> AttemptOutcome:
        spec = self.spec
        log = TaskLog(spec.log_path, self.executor.log_sink, spec.task_path)
        try:
            # Started once the log file exists, so the uploads hold it open from the first line.
            with live_log_uploads(spec):
                return self._run_logged(log)
        finally:
            log.close()

    def _run_logged(self, log: TaskLog) -> AttemptOutcome:
        prepared = self._prepare(log)
        if isinstance(prepared, AttemptOutcome):
            return prepared
        if self.canceled():
            return AttemptOutcome(exit_code=None, canceled=True)
        started = self.executor.launch(prepared, log)
        if isinstance(started, AttemptOutcome):
            return started
        with self._lock:
            self._process = started
            if self._canceled:
                self._terminate()
        self._report_started(started.pid)
        pumped = threading.Event()

        def pump() -> None:
            try:
                pump_output(started.stdout, started.stderr, log)
            finally:
                pumped.set()

        self.executor.workers.submit(pump)
        ended = started.wait()
        with self._lock:
            canceled = self._canceled
            if self._kill_timer is not None:
                self._kill_timer.cancel()
        pumped.wait(timeout=5)
        if ended.stderr_line is not None:
            log.line("stderr", ended.stderr_line.encode())
        if ended.notice is not None:
            log.notice(ended.notice)
        return self._outcome(ended.code, canceled, log)

    def _report_started(self, pid: int) -> None:
        if self.started is None:
            return
        identity = process_identity(pid)
        if identity is None:
            return  # already ended and reaped: nothing could outlive Headrace
        try:
            self.started(identity)
        except Exception:
            logger.exception("the started callback of task %s raised", self.spec.task_path)

    def _prepare(self, log: TaskLog) -> Launch | AttemptOutcome:
        spec = self.spec
        wanted = spec.resources.accelerator_count
        if wanted > 0 and not accelerator_available():
            kind = spec.resources.accelerator_type or "accelerator"
            return log.failure(
                f"task {spec.task_path} requests {wanted} {kind} accelerator(s), but this machine "
                "has none (no nvidia-smi on PATH and no /dev/nvidia0); run it on a machine with "
                "a GPU or remove the accelerator request"
            )
        make_scratch_dir(spec.workdir)
        _prepare_output_dirs(spec.executor_input)
        try:
            stage_inputs(spec, log)
        except StorageError as exc:
            return log.failure(f"task {spec.task_path}: input artifacts not staged: {exc}")
        env = {**os.environ, **spec.env}
        env.setdefault("PYTHONUNBUFFERED", "1")
        argv = list(spec.argv)
        lightweight = parse_lightweight(argv)
        python = None
        if lightweight is not None:
            try:
                envs = self.executor.envs
                python = envs.python_for(
                    lightweight.packages, lightweight.index_urls, on_build=log.notice
                )
                bin_dir = envs.bin_dir_for(python)
            except HeadraceError as exc:
                return log.failure(str(exc))
            env["PATH"] = os.pathsep.join([str(bin_dir), env.get("PATH", os.defpath)])
            argv = lightweight.argv
        if not argv:
            return log.failure(f"task {spec.task_path} has an empty command")
        return Launch(spec, argv, env, lightweight, python, self.canceled)

    def _outcome(self, code: int, canceled: bool, log: TaskLog) -> AttemptOutcome:
        spec = self.spec
        if canceled:
            return AttemptOutcome(exit_code=code, canceled=True)
        if code == 0:
            try:
                parameters, artifacts = collect_outputs(
                    spec.executor_input, spec.output_parameter_types
                )
                artifacts = upload_outputs(spec, artifacts)
            except StorageError as exc:
                return log.failure(
                    f"task {spec.task_path}: output artifacts not uploaded: {exc}", exit_code=0
                )
            except HeadraceError as exc:
                return log.failure(str(exc), exit_code=0)
            return AttemptOutcome(
                exit_code=0, output_parameters=parameters, output_artifacts=artifacts
            )
        stderr_tail = list(log.stderr_tail)
        if code == 127 and stderr_tail:
            missing = _NOT_FOUND.search(stderr_tail[-1])
            if missing:
                return log.failure(_not_found(spec, missing.group(1)), exit_code=code)
        if code < 0:
            message = f"was killed by signal {signal.Signals(-code).name}"
        else:
            message = f"exited with code {code}"
        if stderr_tail:
            message += "; last lines of stderr:\n" + "\n".join(stderr_tail[-5:])
        return AttemptOutcome(exit_code=code, error=message)


def _not_found(spec: AttemptSpec, command: str) -> str:
    return (
        f"the command `{command}` was not found on this machine; Headrace runs container "
        f"components as local processes (image `{spec.image}` is recorded, not pulled) "
        f"— install {command} or put it on PATH"
    )


def _prepare_output_dirs(executor_input: dict[str, Any]) -> None:
    # The KFP launcher creates these before the program starts; container components rely on it.
    outputs: dict[str, Any] = executor_input.get("outputs") or {}
    paths = [outputs.get("outputFile")]
    paths += [(p or {}).get("outputFile") for p in (outputs.get("parameters") or {}).values()]
    for entry in (outputs.get("artifacts") or {}).values():
        for artifact in (entry or {}).get("artifacts") or []:
            uri = str((artifact or {}).get("uri") or "")
            paths.append(uri.removeprefix("file://") if uri.startswith(("/", "file://")) else None)
    # Outputs usually share a directory: one mkdir per distinct parent.
    for parent in dict.fromkeys(os.path.dirname(path) or "." for path in paths if path):
        Path(parent).mkdir(parents=True, exist_ok=True)
