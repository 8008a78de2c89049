"""Attempts' scratch directories: made, and removed in a helper process off the engine's GIL."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

# The helper reads NUL-terminated paths (a path may hold a newline) and removes each one. A
# removed directory's parent (its run's directory) goes too once empty, but only after a second
# with nothing to remove, or at the end: a chain of tasks then does not remove and make its run's
# directory again for every task, and a new directory costs more for a while after many were
# deleted (ext4 without a journal skips recently freed inodes). -I -S: it cannot import Headrace.
_PROGRAM = """
import os, select, shutil, sys

def remove_empty(parents):
    for parent in parents:
        try:
            os.rmdir(parent)
        except OSError:
            pass
    parents.clear()

fd = sys.stdin.fileno()
pending = b""
parents = set()
while True:
    if parents and not select.select([fd], [], [], 1.0)[0]:
        remove_empty(parents)
        continue
    chunk = os.read(fd, 65536)
    if not chunk:
        break
    *paths, pending = (pending + chunk).split(b"\\0")
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)
        parents.add(os.path.dirname(path))
remove_empty(parents)
"""

_CLOSE_SECONDS = 30.0
"""How long closing waits for the helper to remove what it was given."""
_MAKE_TRIES = 5
"""How often making a directory in a scratch tries again when its run's went meanwhile."""


def remove_scratch_dir(path: Path) -> None:
    """Remove an attempt's scratch directory, and its run's once that holds nothing else.

    A run whose attempts all succeeded leaves no empty directory behind. The run's directory
    can go while another of its attempts is about to make its own there: make_scratch_dir
    makes it again then.
    """
    shutil.rmtree(path, ignore_errors=True)
    with contextlib.suppress(OSError):  # not empty: another attempt's, or a kept failed one
        path.parent.rmdir()


def make_scratch_dir(path: Path) -> None:
    """Make a directory inside an attempt's scratch, with its parents.

    Its run's directory may be removed (by the helper once it is empty and idle, or by
    remove_scratch_dir) between the moment it is made and the moment the next level is: make
    them again then.
    """
    for tried in range(1, _MAKE_TRIES + 1):
        try:
            path.mkdir(parents=True, exist_ok=True)
            return
        except FileNotFoundError:
            if tried == _MAKE_TRIES:
                raise


class Janitor:
    """Removes directories in one helper process, started on first use.

    An rmtree in the engine's process costs a dozen syscalls, each of which gives the GIL
    away and must win it back from the busy engine thread: measured, 0.3-0.4 ms of the
    engine process's CPU per task. Handing the path over is one pipe write.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._helper: subprocess.Popen[bytes] | None = None

    def remove(self, path: Path) -> None:
        with self._lock:
            helper = self._helper
            if helper is None or helper.poll() is not None:
                helper = self._helper = self._start()
            if helper is not None and helper.stdin is not None:
                try:
                    helper.stdin.write(os.fsencode(path) + b"\0")
                    helper.stdin.flush()
                    return
                except OSError:
                    logger.warning("the scratch janitor died; removing %s here", path)
        remove_scratch_dir(path)

    def close(self) -> None:
        """Wait until the helper has removed everything it was given."""
        with self._lock:
            helper, self._helper = self._helper, None
        if helper is None:
            return
        try:
            if helper.stdin is not None:
                helper.stdin.close()
            helper.wait(timeout=_CLOSE_SECONDS)
        except (OSError, subprocess.TimeoutExpired):
            helper.kill()
            helper.wait()

    @staticmethod
    def _start() -> subprocess.Popen[bytes] | None:
        try:
            return subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", _PROGRAM],
                stdin=subprocess.PIPE,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # a Ctrl-C in the terminal is the engine's to handle
            )
        except OSError:
            logger.warning("the scratch janitor did not start; removing in this process")
            return None
