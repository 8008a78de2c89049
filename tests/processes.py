"""Task processes as the tests see them: whether one still runs, the pids tasks wrote."""

from __future__ import annotations

import time
from pathlib import Path


def running(pid: int) -> bool:
    """Whether a process runs: one that is gone, or a zombie left unreaped, has ended.

    The process may end between opening its stat file and reading it (ESRCH), so any OS error
    reads as ended.
    """
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    # The command name is in parentheses and may hold spaces and parentheses itself.
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def pids_written(directory: Path, count: int, seconds: float = 60) -> dict[str, int]:
    """name -> pid of the first `count` tasks that wrote `<name>.pid` in directory (bounded)."""
    deadline = time.monotonic() + seconds
    while len(found := sorted(directory.glob("*.pid"))) < count:
        assert time.monotonic() < deadline, f"only {len(found)} of {count} tasks started"
        time.sleep(0.05)
    return {path.stem: int(path.read_text()) for path in found}
