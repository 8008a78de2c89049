"""Read and act on stored runs for the API: details with tasks and lineage, terminate, retry,
delete."""

from __future__ import annotations

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from headrace.errors import HeadraceError, InvalidArgumentError, NotFoundError
from headrace.states import RunState, TaskKind
from headrace.storage.layout import run_scratch_dir
from headrace.store import Store
from headrace.store.records import LineageRecord, RunRecord, TaskRecord

# Tasks whose artifacts are recorded (DAG-like tasks only pass them through).
_LEAVES = (TaskKind.CONTAINER, TaskKind.IMPORTER)


@dataclass(frozen=True)
class RunDetails:
    """A run with its task tree and each leaf task's lineage events."""

    run: RunRecord
    pipeline_id: str | None
    tasks: list[TaskRecord]
    events: dict[str, list[LineageRecord]]


def get_run(store: Store, run_id: str) -> RunRecord:
    """The run with exactly this id (the store also accepts id prefixes; the API does not)."""
    try:
        record = store.get_run(run_id)
    except HeadraceError:  # not found, or an ambiguous prefix: neither is this exact id
        record = None
    if record is None or record.id != run_id:
        raise NotFoundError(f"run {run_id!r} not found")
    return record


def run_details(store: Store, run_id: str) -> RunDetails:
    run = get_run(store, run_id)
    tasks = store.list_tasks(run.id)
    # One query per leaf task: the store has no per-run lineage read yet.
    events = {t.id: store.task_events(t.id) for t in tasks if t.kind in _LEAVES}
    pipeline_id = pipeline_ids(store, [run.pipeline_version_id]).get(run.pipeline_version_id or "")
    return RunDetails(run, pipeline_id, tasks, events)


def pipeline_ids(store: Store, version_ids: Iterable[str | None]) -> dict[str, str]:
    """The pipeline of each pipeline version that still exists, by version id."""
    found: dict[str, str] = {}
    for version_id in {v for v in version_ids if v}:
        try:
            found[version_id] = store.get_pipeline_version(version_id).pipeline_id
        except NotFoundError:
            continue
    return found


def terminate_run(store: Store, run_id: str) -> RunRecord:
    """Ask the run's worker to stop it (CANCELING), or cancel it at once if none has it yet."""
    get_run(store, run_id)
    return store.request_cancel(run_id)


def delete_run(store: Store, home: Path, run: RunRecord) -> None:
    """Delete a stored run, and the scratch its failed attempts left on this machine.

    A run that has not ended keeps its scratch: an engine may still be running its tasks there.
    A worker's engine stops them once the run is gone and the worker then removes the scratch;
    another engine (`headrace run`) stops them when its next write fails.
    """
    store.delete_run(run.id)
    if run.state.is_final:
        remove_run_scratch(home, run.id)


def remove_run_scratch(home: Path, run_id: str) -> None:
    """Remove what a run's attempts left in their scratch on this machine, once none runs."""
    shutil.rmtree(run_scratch_dir(home, run_id), ignore_errors=True)


def retry_run(store: Store, run_id: str) -> None:
    """Make a FAILED or CANCELED run PENDING again, keeping the tasks that succeeded.

    A worker then resumes it: tasks that SUCCEEDED or were CACHED are not executed again.
    """
    run = get_run(store, run_id)
    if run.state not in (RunState.FAILED, RunState.CANCELED):
        raise InvalidArgumentError(
            f"run {run_id!r} is {run.state.value}; only FAILED or CANCELED runs can be retried",
            "wait for the run to end, or terminate it first",
        )
    store.reset_for_retry(run_id)
