"""Run a task attempt as a local process: the image is recorded, the command runs here."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import selectors
import shutil
import signal
import subprocess
import threading
from collections import deque
from pathlib import Path
from typing import IO, Any

from headrace.errors import HeadraceError
from headrace.executors.base import (
    AttemptHandle,
    AttemptOutcome,
    AttemptSpec,
    DoneCallback,
    LogSink,
)
from headrace.executors.outputs import collect_outputs
from headrace.executors.python_env import PythonEnvCache, parse_lightweight

logger = logging.getLogger(__name__)

_NOT_FOUND = re.compile(r"([^\s:]+): (?:command )?not found\s*$")
_READ_SIZE = 65536


def accelerator_available() -> bool:
    """Whether this machine has an NVIDIA GPU a task could use."""
    return shutil.which("nvidia-smi") is not None or Path("/dev/nvidia0").exists()


class LocalExecutor:
    """Runs each attempt as a process group on this machine, one background thread per attempt."""

    def __init__(
        self, *, log_sink: LogSink | None = None, envs: PythonEnvCache, grace_seconds: float = 5.0
    ) -> None:
        self.log_sink = log_sink
        self.envs = envs
        self.grace_seconds = grace_seconds
        self._attempts: set[_LocalAttempt] = set()
        self._lock = threading.Lock()

    def start(self, spec: AttemptSpec, done: DoneCallback) -> AttemptHandle:
        """Start the attempt in the background; done is called once, never from inside start."""
        attempt = _LocalAttempt(self, spec, done)
        with self._lock:
            self._attempts.add(attempt)
        attempt.thread.start()
        return attempt

    def shutdown(self) -> None:
        """Cancel every running attempt and wait for them to report."""
        with self._lock:
            attempts = list(self._attempts)
        for attempt in attempts:
            attempt.cancel()
        for attempt in attempts:
            attempt.thread.join(self.grace_seconds + 10)

    def _finished(self, attempt: _LocalAttempt) -> None:
        with self._lock:
            self._attempts.discard(attempt)


class _LocalAttempt:
    def __init__(self, executor: LocalExecutor, spec: AttemptSpec, done: DoneCallback) -> None:
        self.executor = executor
        self.spec = spec
        self.done = done
        self.thread = threading.Thread(
            target=self._main, name=f"attempt-{spec.task_path}-{spec.attempt_number}", daemon=True
        )
        self._lock = threading.Lock()
        self._canceled = False
        self._proc: subprocess.Popen[bytes] | None = None
        self._reaped = False
        self._kill_timer: threading.Timer | None = None

    def cancel(self) -> None:
        with self._lock:
            if self._canceled:
                return
            self._canceled = True
            if self._proc is not None and not self._reaped:
                _signal_group(self._proc.pid, signal.SIGTERM)
                self._kill_timer = threading.Timer(self.executor.grace_seconds, self._kill)
                self._kill_timer.daemon = True
                self._kill_timer.start()

    def _kill(self) -> None:
        with self._lock:
            if self._proc is not None and not self._reaped:
                _signal_group(self._proc.pid, signal.SIGKILL)

    def _main(self) -> None:
        try:
            outcome = self._run()
        except Exception as exc:
            logger.exception("attempt of task %s failed inside Headrace", self.spec.task_path)
            outcome = AttemptOutcome(
                exit_code=None, error=f"Headrace could not run the task: {exc}"
            )
        finally:
            self.executor._finished(self)
        try:
            self.done(outcome)
        except Exception:
            logger.exception("the done callback of task %s raised", self.spec.task_path)

    def _run(self) -> AttemptOutcome:
        spec = self.spec
        log = _TaskLog(spec.log_path, self.executor.log_sink, spec.task_path)
        try:
            return self._run_logged(log)
        finally:
            log.close()

    def _run_logged(self, log: _TaskLog) -> AttemptOutcome:
        spec = self.spec
        wanted = spec.resources.accelerator_count
        if wanted > 0 and not accelerator_available():
            kind = spec.resources.accelerator_type or "accelerator"
            return log.failure(
                f"task {spec.task_path} requests {wanted} {kind} accelerator(s), but this machine "
                "has none (no nvidia-smi on PATH and no /dev/nvidia0); run it on a machine with "
                "a GPU or remove the accelerator request"
            )
        spec.workdir.mkdir(parents=True, exist_ok=True)
        _prepare_output_dirs(spec.executor_input)
        env = {**os.environ, **spec.env}
        env.setdefault("PYTHONUNBUFFERED", "1")
        argv = list(spec.argv)
        lightweight = parse_lightweight(argv)
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

        with self._lock:
            if self._canceled:
                return AttemptOutcome(exit_code=None, canceled=True)
            try:
                proc = subprocess.Popen(
                    argv,
                    cwd=spec.workdir,
                    env=env,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    start_new_session=True,
                )
            except FileNotFoundError:
                return log.failure(self._not_found(argv[0]))
            except PermissionError as exc:
                return log.failure(f"the command `{argv[0]}` cannot be executed: {exc}")
            self._proc = proc
        assert proc.stdout is not None and proc.stderr is not None
        pump = threading.Thread(target=_pump, args=(proc.stdout, proc.stderr, log), daemon=True)
        pump.start()

        # Wait without reaping, so the group id cannot be reused while stragglers are killed:
        # like a container, the task ends when its main process does.
        os.waitid(os.P_PID, proc.pid, os.WEXITED | os.WNOWAIT)
        with self._lock:
            _signal_group(proc.pid, signal.SIGKILL)
            code = proc.wait()
            self._reaped = True
            canceled = self._canceled
            if self._kill_timer is not None:
                self._kill_timer.cancel()
        pump.join(timeout=5)

        if canceled:
            return AttemptOutcome(exit_code=code, canceled=True)
        if code == 0:
            try:
                parameters, artifacts = collect_outputs(
                    spec.executor_input, spec.output_parameter_types
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
                return log.failure(self._not_found(missing.group(1)), exit_code=code)
        if code < 0:
            message = f"was killed by signal {signal.Signals(-code).name}"
        else:
            message = f"exited with code {code}"
        if stderr_tail:
            message += "; last lines of stderr:\n" + "\n".join(stderr_tail[-5:])
        return AttemptOutcome(exit_code=code, error=message)

    def _not_found(self, command: str) -> str:
        return (
            f"the command `{command}` was not found on this machine; Headrace runs container "
            f"components as local processes (image `{self.spec.image}` is recorded, not pulled) "
            f"— install {command} or put it on PATH"
        )


class _TaskLog:
    """One log file with both streams in arrival order, flushed per line, mirrored to a sink."""

    def __init__(self, path: Path, sink: LogSink | None, task_path: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "ab")  # noqa: SIM115 - closed by close()
        self._sink = sink
        self._task_path = task_path
        self._lock = threading.Lock()
        self.stderr_tail: deque[str] = deque(maxlen=20)

    def line(self, stream: str, raw: bytes) -> None:
        text = raw.decode("utf-8", errors="replace").rstrip("\r")
        with self._lock:
            if self._file.closed:
                return
            self._file.write(raw + b"\n")
            self._file.flush()
            if stream == "stderr":
                self.stderr_tail.append(text)
        if self._sink is not None:
            try:
                self._sink(self._task_path, stream, text)
            except Exception:
                logger.exception("the log sink raised for task %s", self._task_path)

    def notice(self, message: str) -> None:
        """A line from Headrace itself, not from the task."""
        text = f"[headrace] {message}"
        with self._lock:
            if self._file.closed:
                return
            self._file.write(text.encode() + b"\n")
            self._file.flush()
        if self._sink is not None:
            try:
                self._sink(self._task_path, "stderr", text)
            except Exception:
                logger.exception("the log sink raised for task %s", self._task_path)

    def failure(self, error: str, exit_code: int | None = None) -> AttemptOutcome:
        self.notice(error)
        return AttemptOutcome(exit_code=exit_code, error=error)

    def close(self) -> None:
        with self._lock:
            self._file.close()


def _pump(stdout: IO[bytes], stderr: IO[bytes], log: _TaskLog) -> None:
    # One selector over both pipes: epoll reports them in the order they became readable.
    selector = selectors.DefaultSelector()
    buffers: dict[str, bytes] = {"stdout": b"", "stderr": b""}
    selector.register(stdout, selectors.EVENT_READ, "stdout")
    selector.register(stderr, selectors.EVENT_READ, "stderr")
    try:
        while selector.get_map():
            for key, _ in selector.select():
                stream: str = key.data
                chunk = os.read(key.fd, _READ_SIZE)
                if not chunk:
                    selector.unregister(key.fileobj)
                    if buffers[stream]:
                        log.line(stream, buffers[stream])
                    continue
                *lines, buffers[stream] = (buffers[stream] + chunk).split(b"\n")
                for raw in lines:
                    log.line(stream, raw)
    finally:
        selector.close()
        stdout.close()
        stderr.close()


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def _prepare_output_dirs(executor_input: dict[str, Any]) -> None:
    # The KFP launcher creates these before the program starts; container components rely on it.
    outputs: dict[str, Any] = executor_input.get("outputs") or {}
    paths = [outputs.get("outputFile")]
    paths += [(p or {}).get("outputFile") for p in (outputs.get("parameters") or {}).values()]
    for entry in (outputs.get("artifacts") or {}).values():
        for artifact in (entry or {}).get("artifacts") or []:
            uri = str((artifact or {}).get("uri") or "")
            paths.append(uri.removeprefix("file://") if uri.startswith(("/", "file://")) else None)
    for path in paths:
        if path:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
