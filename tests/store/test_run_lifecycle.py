"""Archive, cancel and delete runs; runs triggered by recurring runs."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from headrace.errors import ConflictError, NotFoundError
from headrace.states import RunState, TaskKind
from headrace.store import Store
from headrace.store.records import (
    NewArtifact,
    NewRecurringRun,
    NewRun,
    NewTask,
    RunRecord,
    StorageState,
)

RunFactory = Callable[..., RunRecord]


def _task(store: Store, run_id: str, name: str) -> str:
    new = NewTask(run_id, None, name, f"root/{name}", TaskKind.CONTAINER)
    return store.create_task(new).id


def _schedule(store: Store, namespace: str) -> str:
    new = NewRecurringRun(
        display_name="hourly",
        namespace=namespace,
        pipeline_spec={"pipelineInfo": {"name": "p"}},
        cron_schedule="0 0 * * * *",
    )
    return store.create_recurring_run(new).id


def test_new_run_is_available_and_unclaimed(make_run: RunFactory) -> None:
    run = make_run()
    assert run.storage_state is StorageState.AVAILABLE
    assert (run.recurring_run_id, run.scheduled_at, run.claimed_by) == (None, None, None)


def test_archived_run_reads_back_archived_then_available(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    store.archive_run(run.id)
    assert store.get_run(run.id).storage_state is StorageState.ARCHIVED
    store.unarchive_run(run.id)
    assert store.get_run(run.id).storage_state is StorageState.AVAILABLE


def test_archive_unarchive_delete_and_cancel_of_unknown_run_are_not_found(store: Store) -> None:
    missing = str(uuid.uuid4())
    for call in (store.archive_run, store.unarchive_run, store.delete_run, store.request_cancel):
        with pytest.raises(NotFoundError, match=missing):
            call(missing)


def test_run_of_a_recurring_run_records_its_trigger(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    schedule = _schedule(store, namespace)
    at = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    run = make_run(recurring_run_id=schedule, scheduled_at=at)
    loaded = store.get_run(run.id)
    assert (loaded.recurring_run_id, loaded.scheduled_at) == (schedule, at)


def test_one_trigger_of_a_recurring_run_makes_one_run(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    schedule = _schedule(store, namespace)
    at = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
    make_run(recurring_run_id=schedule, scheduled_at=at)
    with pytest.raises(ConflictError, match="already has a run scheduled at"):
        make_run(recurring_run_id=schedule, scheduled_at=at)
    make_run(recurring_run_id=schedule, scheduled_at=at.replace(hour=13))
    assert store.count_active_runs(schedule) == 2
    make_run(), make_run()  # runs of no schedule never clash


def test_run_of_unknown_recurring_run_is_not_found(make_run: RunFactory) -> None:
    with pytest.raises(NotFoundError, match="recurring run 'gone' not found"):
        make_run(recurring_run_id="gone", scheduled_at=datetime.now(UTC))


def test_cancelling_an_unclaimed_pending_run_cancels_it_at_once(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    cancelled = store.request_cancel(run.id)
    assert cancelled.state is RunState.CANCELED and cancelled.finished_at is not None
    assert store.get_run(run.id) == cancelled


def test_cancelling_a_running_or_claimed_run_asks_its_worker(
    store: Store, make_run: RunFactory
) -> None:
    running = make_run()
    store.set_run_state(running.id, RunState.RUNNING)
    assert store.request_cancel(running.id).state is RunState.CANCELING
    assert store.get_run(running.id).state is RunState.CANCELING
    assert store.request_cancel(running.id).state is RunState.CANCELING
    claimed = make_run()
    assert store.claim_run("worker-a", 60, run_id=claimed.id) is not None
    assert store.request_cancel(claimed.id).state is RunState.CANCELING


def test_cancelling_a_finished_run_changes_nothing(store: Store, make_run: RunFactory) -> None:
    run = make_run()
    store.set_run_state(run.id, RunState.SUCCEEDED, finished_at=datetime.now(UTC))
    before = store.get_run(run.id)
    assert store.request_cancel(run.id) == before


def test_deleting_a_run_deletes_its_tasks_attempts_events_and_artifacts(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    task = _task(store, run.id, "train")
    store.create_attempt(task, run.id, 1, "/logs/1")
    model = store.create_artifact(NewArtifact(run.id, "model", "file:///m", "system.Model"))
    store.record_event(task, model.id, "OUTPUT", "model", 0)
    keep = make_run()
    kept_task = _task(store, keep.id, "train")
    assert store.run_exists(run.id)
    store.delete_run(run.id)
    assert not store.run_exists(run.id) and store.run_exists(keep.id)
    assert not store.run_exists(keep.id[:8])  # a prefix names no run here
    with pytest.raises(NotFoundError):
        store.get_run(run.id)
    with pytest.raises(NotFoundError):
        store.get_task(task)
    assert store.list_attempts(task_id=task) == []
    assert store.list_artifacts(run.id) == []
    assert store.artifact_events(model.id) == []
    assert store.get_task(kept_task).run_id == keep.id


def test_deleting_a_run_keeps_artifacts_that_other_runs_use(
    store: Store, make_run: RunFactory
) -> None:
    first, second = make_run(), make_run()
    producer = _task(store, first.id, "train")
    model = store.create_artifact(
        NewArtifact(first.id, "model", "file:///m", "system.Model", producer_task_id=producer)
    )
    store.record_event(producer, model.id, "OUTPUT", "model", 0)
    cached = _task(store, second.id, "train")
    store.record_event(cached, model.id, "OUTPUT", "model", 0)
    store.delete_run(first.id)
    (event,) = store.task_events(cached)
    assert event.artifact.id == model.id
    assert (event.artifact.run_id, event.artifact.producer_task_id) == (None, None)
    assert store.find_artifact_by_uri("file:///m", "system.Model") == event.artifact


def test_a_run_can_be_created_with_the_id_its_caller_chose(
    store: Store, make_run: RunFactory
) -> None:
    chosen = str(uuid.uuid4())
    template = make_run()
    run = store.create_run(
        NewRun(
            pipeline_name=template.pipeline_name,
            display_name="chosen",
            pipeline_spec=template.pipeline_spec,
            pipeline_root=template.pipeline_root,
            namespace=template.namespace,
            parameters={"me": chosen},
            id=chosen,
        )
    )
    assert run.id == chosen
    assert store.get_run(chosen).parameters == {"me": chosen}
