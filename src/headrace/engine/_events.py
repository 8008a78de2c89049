"""What the engine is configured with and what it tells its listener."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from headrace.states import TaskKind, TaskState
from headrace.storage.settings import StorageSettings


@dataclass(frozen=True)
class EngineOptions:
    home: Path
    max_parallel: int
    storage_for: Callable[[str], StorageSettings] | None = None
    """A namespace's endpoints, log root and key prefix (the run's own pipeline root replaces
    the default). None: a local setup with default endpoints (callers with settings pass them)."""
    secrets: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Named secrets (`[secrets.NAME]`): what tasks read with use_secret_as_env and kin."""
    orphan_grace_seconds: float = 5.0
    """On resume, how long a task process left by a dead Headrace gets after SIGTERM."""


@dataclass(frozen=True)
class TaskEvent:
    """A task changed state; what a progress display needs to know."""

    path: str
    name: str
    kind: TaskKind
    state: TaskState
    parent_path: str | None
    iteration_count: int | None = None
    error: str | None = None
    retrying_in: float | None = None


class EngineListener(Protocol):
    def task_changed(self, event: TaskEvent) -> None: ...
