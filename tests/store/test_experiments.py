from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest

from headrace.errors import ConflictError, NotFoundError
from headrace.store import Store
from headrace.store.records import ListQuery, NewRecurringRun, RunRecord, StorageState

RunFactory = Callable[..., RunRecord]


def _schedule(store: Store, namespace: str, experiment_id: str) -> str:
    new = NewRecurringRun(
        display_name="every minute",
        namespace=namespace,
        experiment_id=experiment_id,
        pipeline_spec={"pipelineInfo": {"name": "p"}},
        interval_seconds=60,
    )
    return store.create_recurring_run(new).id


def test_experiment_round_trips(store: Store, namespace: str) -> None:
    created = store.create_experiment(namespace, "nightly ✓", "what we run at night")
    assert store.get_experiment(created.id) == created
    assert store.find_experiment(namespace, "nightly ✓") == created
    assert created.storage_state is StorageState.AVAILABLE
    assert created.last_run_created_at is None


def test_experiment_name_is_unique_per_namespace(store: Store, namespace: str) -> None:
    store.create_experiment(namespace, "e")
    with pytest.raises(ConflictError, match="'e' already exists"):
        store.create_experiment(namespace, "e")
    store.create_experiment(f"{namespace}-b", "e")


def test_unknown_experiment_is_not_found(store: Store) -> None:
    missing = str(uuid.uuid4())
    for call in (
        store.get_experiment,
        store.archive_experiment,
        store.unarchive_experiment,
        store.delete_experiment,
    ):
        with pytest.raises(NotFoundError, match=missing):
            call(missing)


def test_default_experiment_is_created_once_and_shared_with_ensure(
    store: Store, namespace: str
) -> None:
    default = store.default_experiment(namespace)
    assert default.display_name == "Default"
    assert store.default_experiment(namespace) == default
    assert store.ensure_experiment(namespace, "Default") == default.id
    assert store.default_experiment(f"{namespace}-b").id != default.id


def test_archiving_an_experiment_archives_its_runs_and_disables_its_schedules(
    store: Store, namespace: str, make_run: RunFactory
) -> None:
    experiment = store.create_experiment(namespace, "e")
    inside = make_run(experiment_id=experiment.id)
    outside = make_run()
    schedule = _schedule(store, namespace, experiment.id)
    store.archive_experiment(experiment.id)
    assert store.get_experiment(experiment.id).storage_state is StorageState.ARCHIVED
    assert store.get_run(inside.id).storage_state is StorageState.ARCHIVED
    assert store.get_run(outside.id).storage_state is StorageState.AVAILABLE
    assert store.get_recurring_run(schedule).enabled is False


def test_unarchiving_an_experiment_leaves_its_runs_archived(
    store: Store, namespace: str, make_run: RunFactory
) -> None:
    experiment = store.create_experiment(namespace, "e")
    run = make_run(experiment_id=experiment.id)
    store.archive_experiment(experiment.id)
    with pytest.raises(ConflictError, match="unarchive the experiment first"):
        store.unarchive_run(run.id)
    store.unarchive_experiment(experiment.id)
    assert store.get_experiment(experiment.id).storage_state is StorageState.AVAILABLE
    assert store.get_run(run.id).storage_state is StorageState.ARCHIVED
    store.unarchive_run(run.id)
    assert store.get_run(run.id).storage_state is StorageState.AVAILABLE


def test_deleting_an_experiment_keeps_its_runs_archived_and_unlinked(
    store: Store, namespace: str, make_run: RunFactory
) -> None:
    experiment = store.create_experiment(namespace, "e")
    run = make_run(experiment_id=experiment.id)
    schedule = _schedule(store, namespace, experiment.id)
    store.delete_experiment(experiment.id)
    with pytest.raises(NotFoundError):
        store.get_experiment(experiment.id)
    kept = store.get_run(run.id)
    assert (kept.experiment_id, kept.storage_state) == (None, StorageState.ARCHIVED)
    recurring = store.get_recurring_run(schedule)
    assert (recurring.experiment_id, recurring.enabled) == (None, False)
    assert store.find_experiment(namespace, "e") is None


def test_experiments_sort_by_last_run_created_at_with_never_run_ones_first(
    store: Store, namespace: str, make_run: RunFactory
) -> None:
    never = store.create_experiment(namespace, "never")
    old = store.create_experiment(namespace, "old")
    recent = store.create_experiment(namespace, "recent")
    make_run(experiment_id=old.id)
    make_run(experiment_id=recent.id)
    ascending = store.list_experiments(
        ListQuery(namespace=namespace, sort_by="last_run_created_at")
    )
    assert [e.display_name for e in ascending.items] == ["never", "old", "recent"]
    descending = store.list_experiments(
        ListQuery(namespace=namespace, sort_by="last_run_created_at desc")
    )
    assert [e.id for e in descending.items] == [recent.id, old.id, never.id]


def test_experiments_sorted_by_last_run_page_through_nulls(
    store: Store, namespace: str, make_run: RunFactory
) -> None:
    experiments = [store.create_experiment(namespace, f"e{i}") for i in range(6)]
    for experiment in experiments[::2]:
        make_run(experiment_id=experiment.id)
    for sort_by in ("last_run_created_at", "last_run_created_at desc"):
        expected = [
            e.id
            for e in store.list_experiments(ListQuery(namespace=namespace, sort_by=sort_by)).items
        ]
        seen: list[str] = []
        token = None
        while True:
            page = store.list_experiments(
                ListQuery(namespace=namespace, sort_by=sort_by, page_size=1, page_token=token)
            )
            seen += [e.id for e in page.items]
            token = page.next_page_token
            if token is None:
                break
        assert seen == expected
        assert len(seen) == 6
