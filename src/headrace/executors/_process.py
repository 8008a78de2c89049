"""A task's process seen from Headrace: its log, its output pipes, its exit and its signals."""

from __future__ import annotations

import contextlib
import logging
import os
import selectors
import signal
import socket
import subprocess
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from headrace.executors.base import AttemptOutcome, LogSink, ProcessIdentity

logger = logging.getLogger(__name__)

_READ_SIZE = 65536
_ORPHAN_POLL_SECONDS = 0.05
_ORPHAN_REAP_SECONDS = 5.0
"""How long to wait for a SIGKILLed orphan to go before saying it was stopped anyway."""


@dataclass(frozen=True)
class ProcessExit:
    """How a task's main process ended, as a plain local run would have reported it."""

    code: int
    stderr_line: str | None = None
    """A line the task's shell would have printed after the program (`Killed`), if any."""
    notice: str | None = None
    """A line from Headrace itself about how the process ended, if any."""


class TaskProcess(Protocol):
    """A started task: the read ends of its output pipes, its signals and its end."""

    stdout: IO[bytes]
    stderr: IO[bytes]
    pid: int
    """The task's main process, the leader of its process group."""

    def signal(self, sig: signal.Signals) -> None:
        """Send sig to the task's process group, unless its main process is already reaped."""

    def wait(self) -> ProcessExit:
        """Wait for the main process to end, kill what is left of its group, reap it."""


class PopenProcess:
    """A task started here with subprocess, in its own session."""

    def __init__(self, proc: subprocess.Popen[bytes]) -> None:
        assert proc.stdout is not None and proc.stderr is not None
        self.stdout: IO[bytes] = proc.stdout
        self.stderr: IO[bytes] = proc.stderr
        self.pid = proc.pid
        self._proc = proc
        self._lock = threading.Lock()
        self._reaped = False

    def signal(self, sig: signal.Signals) -> None:
        with self._lock:
            if not self._reaped:
                signal_group(self._proc.pid, sig)

    def wait(self) -> ProcessExit:
        # Wait without reaping, so the group id cannot be reused while stragglers are killed:
        # like a container, the task ends when its main process does.
        os.waitid(os.P_PID, self._proc.pid, os.WEXITED | os.WNOWAIT)
        with self._lock:
            signal_group(self._proc.pid, signal.SIGKILL)
            code = self._proc.wait()
            self._reaped = True
        return ProcessExit(code)


class TaskLog:
    """One log file with both streams in arrival order, flushed per line, mirrored to a sink."""

    def __init__(self, path: Path, sink: LogSink | None, task_path: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file = open(path, "ab")  # noqa: SIM115 - closed by close()
        self._sink = sink
        self._task_path = task_path
        self._lock = threading.Lock()
        self.stderr_tail: deque[str] = deque(maxlen=20)

    def line(self, stream: str, raw: bytes) -> None:
        self.lines(stream, [raw])

    def lines(self, stream: str, raws: Sequence[bytes]) -> None:
        """Lines that arrived together on one stream: written and flushed at once."""
        texts = [raw.decode("utf-8", errors="replace").rstrip("\r") for raw in raws]
        with self._lock:
            if self._file.closed:
                return
            self._file.write(b"".join(raw + b"\n" for raw in raws))
            self._file.flush()
            if stream == "stderr":
                self.stderr_tail.extend(texts)
        for text in texts:
            self._to_sink(stream, text)

    def notice(self, message: str) -> None:
        """A line from Headrace itself, not from the task."""
        text = f"[headrace] {message}"
        with self._lock:
            if self._file.closed:
                return
            self._file.write(text.encode() + b"\n")
            self._file.flush()
        self._to_sink("stderr", text)

    def failure(self, error: str, exit_code: int | None = None) -> AttemptOutcome:
        self.notice(error)
        return AttemptOutcome(exit_code=exit_code, error=error)

    def close(self) -> None:
        with self._lock:
            self._file.close()

    def _to_sink(self, stream: str, text: str) -> None:
        if self._sink is not None:
            try:
                self._sink(self._task_path, stream, text)
            except Exception:
                logger.exception("the log sink raised for task %s", self._task_path)


def pump_output(stdout: IO[bytes], stderr: IO[bytes], log: TaskLog) -> None:
    """Copy both pipes to the log line by line until both are closed, then close them."""
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
                if lines:
                    log.lines(stream, lines)
    finally:
        selector.close()
        stdout.close()
        stderr.close()


def signal_group(pid: int, sig: signal.Signals) -> None:
    """Signal a process group, ignoring one that is already gone."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def process_identity(pid: int) -> ProcessIdentity | None:
    """Who process `pid` is on this machine; None once it has gone."""
    stat = _stat(pid)
    if stat is None:
        return None
    try:
        group = os.getpgid(pid)
    except ProcessLookupError:
        return None
    return ProcessIdentity(socket.gethostname(), pid, group, stat[1])


def stop_orphan(identity: ProcessIdentity, grace_seconds: float) -> bool:
    """Stop a task's process group left running by a dead Headrace process; see stop_orphans."""
    return stop_orphans([identity], grace_seconds)[0]


def stop_orphans(identities: Sequence[ProcessIdentity], grace_seconds: float) -> list[bool]:
    """Stop task process groups that a dead Headrace process left running on this machine.

    A group is signaled only when its leader is still the recorded process (same pid and start
    time) on this host: SIGTERM, up to `grace_seconds` for the leader to end, then SIGKILL for
    what is left of the group. Says for each identity whether it was running and was stopped.
    """
    here = socket.gethostname()
    live: list[ProcessIdentity] = []
    for identity in identities:
        if identity.host != here:
            logger.info(
                "process %d of an interrupted attempt ran on host %s, not on this one (%s): "
                "left alone",
                identity.pid,
                identity.host,
                here,
            )
        elif _running(identity):
            live.append(identity)
    for identity in live:
        logger.warning(
            "stopping process group %d left running by a Headrace process that died",
            identity.group,
        )
        signal_group(identity.group, signal.SIGTERM)
    _wait_gone(live, grace_seconds)
    # Like a task whose main process ends, what is left of the group goes with it.
    for identity in live:
        signal_group(identity.group, signal.SIGKILL)
    _wait_gone(live, _ORPHAN_REAP_SECONDS)
    stopped = {id(identity) for identity in live}
    return [id(identity) in stopped for identity in identities]


def _wait_gone(identities: Sequence[ProcessIdentity], seconds: float) -> None:
    deadline = time.monotonic() + seconds
    pending = [i for i in identities if _running(i)]
    while pending and time.monotonic() < deadline:
        time.sleep(_ORPHAN_POLL_SECONDS)
        pending = [i for i in pending if _running(i)]


def _running(identity: ProcessIdentity) -> bool:
    """Whether the recorded process still runs (a zombie has ended; a reused pid is another)."""
    stat = _stat(identity.pid)
    return stat is not None and stat[1] == identity.start and stat[0] != "Z"


def _stat(pid: int) -> tuple[str, int] | None:
    """A process's state letter and start time (clock ticks after boot) from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold spaces and parentheses itself.
    fields = raw[raw.rindex(b")") + 2 :].split()
    return fields[0].decode(), int(fields[19])
