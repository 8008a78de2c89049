"""The one interface every executor backend (local, warm, ray) implements."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from headrace.spec.placement import Placement
from headrace.spec.resources import Resources
from headrace.storage.settings import StorageSettings


@dataclass(frozen=True)
class Transfer:
    """An object-store artifact and the local path where the attempt sees it."""

    uri: str
    local: Path


@dataclass(frozen=True)
class AttemptSpec:
    """Everything needed to run one attempt of one task, placeholders already resolved."""

    run_id: str
    task_id: str
    task_path: str
    attempt_number: int
    image: str
    argv: list[str]
    env: dict[str, str]
    workdir: Path
    log_path: Path
    executor_input: dict[str, Any]
    output_parameter_types: dict[str, str] = field(default_factory=dict)
    resources: Resources = field(default_factory=Resources)
    storage: StorageSettings | None = None
    """How to reach the object stores of `downloads`, `uploads` and `log_archive_uri`."""
    downloads: tuple[Transfer, ...] = ()
    """Input artifacts staged before the program starts."""
    uploads: tuple[Transfer, ...] = ()
    """Output artifacts uploaded when the attempt succeeds (directories recursively)."""
    log_archive_uri: str | None = None
    """Where the log is copied when the attempt ends, however it ends."""
    placement: Placement = field(default_factory=Placement)
    """Node constraints from the kfp-kubernetes platform spec (used by cluster executors)."""
    scratch: Path | None = None
    """The attempt's own directory (holding `workdir` and its output files), removed where the
    attempt ran once it succeeded and its outputs were read, with its parent (the run's) once
    that is empty; a failed or canceled attempt's is kept for inspection."""


@dataclass(frozen=True)
class OutputArtifact:
    """One output artifact as the program left it (URI possibly changed, metadata set)."""

    name: str
    uri: str
    metadata: dict[str, Any]


@dataclass(frozen=True)
class AttemptOutcome:
    """How an attempt ended and what it produced."""

    exit_code: int | None
    error: str | None = None
    canceled: bool = False
    output_parameters: dict[str, Any] = field(default_factory=dict)
    output_artifacts: dict[str, list[OutputArtifact]] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and self.error is None and not self.canceled


@dataclass(frozen=True)
class ProcessIdentity:
    """One process on one machine, as a resumed run finds it again after a crash.

    `start` is the start time in clock ticks after boot (/proc/<pid>/stat field 22): with the
    pid it names one process, so a pid the kernel gave to another process never matches.
    """

    host: str
    pid: int
    group: int
    start: int


LogSink = Callable[[str, str, str], None]
"""Called with (task_path, stream name 'stdout'|'stderr', line) for each line a task prints."""

DoneCallback = Callable[[AttemptOutcome], None]

StartedCallback = Callable[[ProcessIdentity], None]
"""Called once with the task's process when an attempt's program starts on this machine."""


class AttemptHandle(Protocol):
    def cancel(self) -> None:
        """Stop the attempt (SIGTERM, then SIGKILL after a grace period); done is still called."""


class Executor(Protocol):
    def start(
        self, spec: AttemptSpec, done: DoneCallback, started: StartedCallback | None = None
    ) -> AttemptHandle:
        """Start the attempt in the background; call done exactly once when it ends.

        Executors that run the program as a process on this machine call `started` with it
        first (from any thread), so that the process can be stopped should Headrace die.
        """

    def shutdown(self) -> None:
        """Release pools and environments; running attempts are canceled."""
