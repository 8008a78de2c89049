"""Whether a process still runs, read from /proc the way the tests need it."""

from __future__ import annotations

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
