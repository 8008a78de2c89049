"""Run a task attempt as a local process: the image is recorded, the command runs here."""

from __future__ import annotations

from headrace.executors._attempt import ProcessExecutor, accelerator_available

__all__ = ["LocalExecutor", "accelerator_available"]


class LocalExecutor(ProcessExecutor):
    """Runs each attempt as a process group on this machine, on reused background threads."""
