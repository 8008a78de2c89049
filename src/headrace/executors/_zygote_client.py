"""One warm zygote seen from Headrace: start it, ask it to fork, signal and hear about exits."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import selectors
import signal
import socket
import struct
import subprocess
import threading
import time
import uuid
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
    """One forked task: its pid, its announced exit code, its wait status once reaped."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.code: int | None = None
        """The exit code the task announced as its last act, if it did."""
        self.status: int | None = None
        """The wait status; None if the zygote died before reporting it."""
        self.exited = threading.Event()
        """Set once the zygote reaped the child (or died)."""
        self.ended = threading.Event()
        """Set once the task announced its exit code or exited."""


class Zygote:
    """A `python _zygote.py` process for one interpreter and one startup environment.

    The zygote keeps forked spares ready and passes each one's socket here; a task starts by
    being sent to a spare, with no round trip through the zygote.
    """

    def __init__(self, python: str, env: dict[str, str]) -> None:
        self.python = python
        self.last_used = time.monotonic()
        self._lock = threading.Lock()
        self._spare_arrived = threading.Condition(self._lock)
        self._send_lock = threading.Lock()
        self._children: dict[int, Child] = {}
        """pid -> each child handed a task and not yet reported reaped."""
        self._spares: list[tuple[int, socket.socket]] = []
        self._coming = 1
        """Spares the zygote will send: one at its start, one per child it reaps, one per want."""
        self._fork_errors: list[str] = []
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
        self._announce_address = f"\0headrace-{os.getpid()}-{uuid.uuid4().hex}"
        self._announcements = _announcement_socket(self._announce_address)
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
        """Hand the request to a spare child, with pipes as its stdout and stderr."""
        while True:
            pid, sock = self._take_spare()
            child = Child(pid)
            with self._lock:
                self._children[pid] = child
            try:
                task = {**request, "announce": self._announce_address}
                _zygote.send_message(sock, task, pipes)
            except OSError:
                # The spare died before its task arrived (the zygote reports and reaps it).
                self._forget(child)
                continue
            finally:
                sock.close()
            return child

    def _take_spare(self) -> tuple[int, socket.socket]:
        """A spare's pid and socket: one waiting, else one coming, else one asked for."""
        deadline = time.monotonic() + _FORK_ANSWER_SECONDS
        with self._lock:
            asked = False
            while not self._spares:
                if self._dead:
                    raise ZygoteError(f"the zygote for {self.python} has exited")
                if self._coming == 0:
                    if asked and self._fork_errors:
                        error = self._fork_errors.pop(0)
                        raise ZygoteError(f"the zygote for {self.python} could not fork: {error}")
                    # Asked only when none is coming: a spare more would wait idle for good.
                    asked = True
                    self._coming += 1
                    self._lock.release()
                    try:
                        self._send({"op": "want"})
                    finally:
                        self._lock.acquire()
                    continue
                left = deadline - time.monotonic()
                if left <= 0:
                    self._process.kill()
                    raise ZygoteError(
                        f"the zygote for {self.python} did not answer in "
                        f"{_FORK_ANSWER_SECONDS:.0f} s"
                    )
                self._spare_arrived.wait(left)
            return self._spares.pop(0)

    def _send(self, message: dict[str, Any]) -> None:
        try:
            with self._send_lock:
                _zygote.send_message(self._sock, message)
        except OSError as exc:
            raise ZygoteError(f"could not reach the zygote for {self.python}: {exc}") from exc

    def signal(self, child: Child, sig: signal.Signals) -> None:
        """Signal the child's process group, if the zygote has not reaped the child yet."""
        if child.exited.is_set() or not self.alive:
            return
        with contextlib.suppress(ZygoteError):
            self._send({"op": "signal", "pid": child.pid, "signal": int(sig)})

    def wait(self, child: Child) -> int | None:
        """Wait for the child's end; its wait status, None if the zygote died first.

        A task announces its exit code as its last act, which spares waiting for the process
        to exit and for the zygote to reap it and report (about 1 ms); a task that ends
        otherwise (a signal, a crash) is known from the zygote's report.
        """
        child.ended.wait()
        self.release()
        if child.exited.is_set() or child.code is None:
            return child.status
        return child.code << 8

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
        self._announcements.close()

    def _forget(self, child: Child) -> None:
        with self._lock:
            if self._children.get(child.pid) is child:
                del self._children[child.pid]

    def _read(self) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self._sock, selectors.EVENT_READ)
        selector.register(self._announcements, selectors.EVENT_READ)
        try:
            while True:
                for key, _ in selector.select():
                    if key.fileobj is self._announcements:
                        self._take_announcements()
                        continue
                    received = _zygote.receive_message(self._sock, max_fds=1)
                    if received is None:
                        return
                    self._dispatch(*received)
        except (OSError, ValueError) as exc:
            logger.warning("lost the zygote for %s: %s", self.python, exc)
        finally:
            selector.close()
            self._died()

    def _take_announcements(self) -> None:
        """Note the exit codes tasks announced; the kernel vouches for the sender's pid."""
        while True:
            try:
                data, ancillary, _, _ = self._announcements.recvmsg(256, _CREDENTIALS_SPACE)
            except BlockingIOError:
                return
            pid = _sender_pid(ancillary)
            try:
                code = json.loads(data)["exit"]
            except (ValueError, KeyError, TypeError):
                continue
            with self._lock:
                child = self._children.get(pid) if pid is not None else None
            if child is not None and isinstance(code, int) and not child.ended.is_set():
                child.code = code
                child.ended.set()

    def _dispatch(self, message: dict[str, Any], fds: list[int]) -> None:
        spares = [socket.socket(fileno=fd) for fd in fds]
        with self._lock:
            if "spare" in message and spares and not self._dead:
                self._spares.append((message["spare"], spares.pop()))
                self._coming = max(0, self._coming - 1)
                self._fork_errors.clear()
                # All: a waiter that finds none left now may need to ask for one.
                self._spare_arrived.notify_all()
            elif "fork_error" in message:
                self._coming = max(0, self._coming - 1)
                self._fork_errors.append(message["fork_error"])
                self._spare_arrived.notify_all()
            elif "status" in message:
                pid = message["pid"]
                self._coming += 1  # the zygote forks a spare in place of each child it reaps
                child = self._children.pop(pid, None)
                # A spare that died waiting: drop it (its socket is closed below).
                spares += [sock for p, sock in self._spares if p == pid]
                self._spares = [(p, sock) for p, sock in self._spares if p != pid]
                if child is not None:
                    child.status = message["status"]
                    child.exited.set()
                    child.ended.set()
        for sock in spares:
            sock.close()

    def _died(self) -> None:
        with self._lock:
            self._dead = True
            closing = self._closing
            children = list(self._children.values())
            self._children.clear()
            spares, self._spares = self._spares, []
            self._spare_arrived.notify_all()
        for _, sock in spares:
            sock.close()
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
            if not closing:
                # Orphaned when the zygote died: nobody else will end it. (A zygote told to
                # close has killed and reaped its children itself.)
                signal_group(child.pid, signal.SIGKILL)
            child.exited.set()
            child.ended.set()


_CREDENTIALS = struct.Struct("iII")
"""struct ucred: pid, uid, gid."""
_CREDENTIALS_SPACE = socket.CMSG_SPACE(_CREDENTIALS.size)


def _announcement_socket(address: str) -> socket.socket:
    """A datagram socket at an abstract address that receives its senders' credentials."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    sock.bind(address)
    sock.setblocking(False)
    return sock


def _sender_pid(ancillary: list[tuple[int, int, bytes]]) -> int | None:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid, _, _ = _CREDENTIALS.unpack(data[: _CREDENTIALS.size])
            return int(pid)
    return None
