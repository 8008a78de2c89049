"""Removing attempts' scratch directories in a helper process, off the engine's GIL."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

logger = logging.getLogger(__name__)

# The helper reads NUL-terminated paths (a path may hold a newline) and removes each one.
_PROGRAM = """
import shutil, sys
pending = b""
while chunk := sys.stdin.buffer.read1(65536):
    *paths, pending = (pending + chunk).split(b"\\0")
    for path in paths:
        shutil.rmtree(path, ignore_errors=True)
"""

_CLOSE_SECONDS = 30.0
"""How long closing waits for the helper to remove what it was given."""


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
        shutil.rmtree(path, ignore_errors=True)

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
