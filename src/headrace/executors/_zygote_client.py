"""One warm zygote seen from Headrace: start it, ask it to fork, signal and hear about exits."""

from __future__ import annotations

import contextlib
import itertools
import logging
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from headrace.errors import HeadraceError
from headrace.executors import _zygote
from headrace.executors._process import signal_group

logger = logging.getLogger(__name__)

_PROGRAM = str(Path(_zygote.__file__).resolve())
_FORK_ANSWER_SECONDS = 120.0
"""How long a fork request may wait for its answer, the zygote's start and imports included."""


class ZygoteError(HeadraceError):
    """A zygote could not run a task; the task runs as a plain local process instead."""


class Child:
    """One forked task as the zygote reported it."""

    def __init__(self, request_id: int) -> None:
        self.request_id = request_id
        self.pid = 0
        self.error: str | None = None
        self.status: int | None = None
        """The wait status; None if the zygote died before reporting it."""
        self.started = threading.Event()
        self.exited = threading.Event()


class Zygote:
    """A `python _zygote.py` process for one interpreter and one startup environment."""

    def __init__(self, python: str, env: dict[str, str]) -> None:
        self.python = python
        self.last_used = time.monotonic()
        self._lock = threading.Lock()
        self._send_lock = threading.Lock()
        self._children: dict[int, Child] = {}
        self._ids = itertools.count(1)
        self._uses = 0
        self._dead = False
        self._closing = False
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            self._process = subprocess.Popen(
                [python, _PROGRAM, str(theirs.fileno())],
                pass_fds=(theirs.fileno(),),
                env=env,
                cwd="/",
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            ours.close()
            raise ZygoteError(f"could not start a zygote with {python}: {exc}") from exc
        finally:
            theirs.close()
        self._sock = ours
        self.pid = self._process.pid
        self._reader = threading.Thread(target=self._read, name=f"zygote-{self.pid}", daemon=True)
        self._reader.start()

    @property
    def alive(self) -> bool:
        with self._lock:
            return not self._dead

    @property
    def idle(self) -> bool:
        with self._lock:
            return self._uses == 0

    def reserve(self) -> None:
        """Count a use that is about to fork, so the zygote is not stopped under it."""
        with self._lock:
            self._uses += 1
            self.last_used = time.monotonic()

    def release(self) -> None:
        with self._lock:
            self._uses -= 1

    def fork(self, request: dict[str, Any], pipes: Sequence[int]) -> Child:
        """Fork a child that runs the request with pipes as its stdout and stderr."""
        child = Child(next(self._ids))
        with self._lock:
            if self._dead:
                raise ZygoteError(f"the zygote for {self.python} has exited")
            self._children[child.request_id] = child
        try:
            with self._send_lock:
                _zygote.send_message(
                    self._sock, {"op": "fork", "id": child.request_id, **request}, pipes
                )
        except OSError as exc:
            self._forget(child)
            raise ZygoteError(f"could not reach the zygote for {self.python}: {exc}") from exc
        if not child.started.wait(_FORK_ANSWER_SECONDS):
            self._forget(child)
            self._process.kill()
            raise ZygoteError(
                f"the zygote for {self.python} did not answer in {_FORK_ANSWER_SECONDS:.0f} s"
            )
        if child.error is not None:
            self._forget(child)
            raise ZygoteError(f"the zygote for {self.python} could not fork: {child.error}")
        return child

    def signal(self, child: Child, sig: signal.Signals) -> None:
        """Signal the child's process group, if the zygote has not reaped the child yet."""
        if child.exited.is_set() or not self.alive:
            return
        with contextlib.suppress(OSError), self._send_lock:
            _zygote.send_message(self._sock, {"op": "signal", "pid": child.pid, "signal": int(sig)})

    def wait(self, child: Child) -> int | None:
        """Wait until the zygote reaped the child; its wait status, None if the zygote died."""
        child.exited.wait()
        self.release()
        return child.status

    def close(self) -> None:
        """Hang up: the zygote kills any child it still has, and exits."""
        with self._lock:
            self._closing = True
        with contextlib.suppress(OSError):
            self._sock.shutdown(socket.SHUT_RDWR)
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(10)
        self._sock.close()

    def _forget(self, child: Child) -> None:
        with self._lock:
            self._children.pop(child.request_id, None)

    def _read(self) -> None:
        try:
            while (received := _zygote.receive_message(self._sock)) is not None:
                self._dispatch(received[0])
        except (OSError, ValueError) as exc:
            logger.warning("lost the zygote for %s: %s", self.python, exc)
        finally:
            self._died()

    def _dispatch(self, message: dict[str, Any]) -> None:
        with self._lock:
            child = self._children.get(message.get("id", 0))
            if child is not None and "status" in message:
                del self._children[child.request_id]
        if child is None:
            return
        if "pid" in message:
            child.pid = message["pid"]
            child.started.set()
        elif "error" in message:
            child.error = message["error"]
            child.started.set()
        elif "status" in message:
            child.status = message["status"]
            child.exited.set()

    def _died(self) -> None:
        with self._lock:
            self._dead = True
            closing = self._closing
            children = list(self._children.values())
            self._children.clear()
        try:
            code = self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            code = self._process.wait()
        if children:
            logger.warning(
                "the zygote for %s exited with %s under running tasks", self.python, code
            )
        for child in children:
            if child.started.is_set():
                if not closing:
                    # Orphaned when the zygote died: nobody else will end it. (A zygote told to
                    # close has killed and reaped its children itself.)
                    signal_group(child.pid, signal.SIGKILL)
                child.exited.set()
            else:
                child.error = f"the zygote exited with status {code}"
                child.started.set()
