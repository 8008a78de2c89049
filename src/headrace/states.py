"""The states of runs and tasks, in the words of the Kubeflow API."""

from __future__ import annotations

from enum import StrEnum


class RunState(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    SKIPPED = "SKIPPED"
    FAILED = "FAILED"
    CANCELING = "CANCELING"
    CANCELED = "CANCELED"

    @property
    def is_final(self) -> bool:
        return self in (RunState.SUCCEEDED, RunState.SKIPPED, RunState.FAILED, RunState.CANCELED)


class TaskState(StrEnum):
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    CACHED = "CACHED"
    FAILED = "FAILED"
    SKIPPED = "SKIPPED"
    CANCELED = "CANCELED"

    @property
    def is_final(self) -> bool:
        return self not in (TaskState.PENDING, TaskState.RUNNING)

    @property
    def is_success(self) -> bool:
        return self in (TaskState.SUCCEEDED, TaskState.CACHED)


class TaskKind(StrEnum):
    """What a task node is: a DAG instance, a loop, one iteration, or a leaf."""

    ROOT = "ROOT"
    DAG = "DAG"
    LOOP = "LOOP"
    ITERATION = "ITERATION"
    CONTAINER = "CONTAINER"
    IMPORTER = "IMPORTER"


class AttemptState(StrEnum):
    RUNNING = "RUNNING"
    SUCCEEDED = "SUCCEEDED"
    FAILED = "FAILED"
    CANCELED = "CANCELED"
