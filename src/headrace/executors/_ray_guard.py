"""Ends a task's process group when the Ray worker that started it dies without saying so.

Run as `python _ray_guard.py PGID GRACE_SECONDS` with a pipe on stdin (by path, importing
nothing from Headrace, so that it starts fast). The worker writes `done` when the task ended
normally; end-of-file without it means the worker was killed (ray.cancel(force=True), a node
going away), so the group gets SIGTERM, then SIGKILL after the grace period.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import time


def signal_group(pgid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def main(argv: list[str]) -> int:
    pgid, grace = int(argv[1]), float(argv[2])
    # Leave the worker's process tree: Ray kills a dead worker's children, and this must outlive it.
    if os.fork() > 0:
        os._exit(0)
    said = sys.stdin.buffer.read()
    if said.startswith(b"done"):
        return 0
    signal_group(pgid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while _group_alive(pgid) and time.monotonic() < deadline:
        time.sleep(0.1)
    signal_group(pgid, signal.SIGKILL)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
