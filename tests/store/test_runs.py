from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import create_engine, select

from headrace.errors import HeadraceError, NotFoundError
from headrace.states import RunState
from headrace.store import Store
from headrace.store import _common as store_module
from headrace.store._schema import ExperimentRow
from headrace.store.records import RunRecord

RunFactory = Callable[..., RunRecord]


def _big_spec(megabytes: int) -> dict[str, object]:
    chunk = "x" * 1000
    count = megabytes * 1000
    return {"deploymentSpec": {"executors": {f"exec-{i}": chunk for i in range(count)}}}


def test_run_round_trips_every_field(store: Store, make_run: RunFactory) -> None:
    experiment_id = store.ensure_experiment(make_run().namespace, "experiment ✓")
    created = make_run(
        display_name="Grüße 🚀 run",
        pipeline_spec={"pipelineInfo": {"name": "p"}, "list": [1, 2.5, None, True, "ünï"]},
        platform_spec={"platforms": {"kubernetes": {"deploymentSpec": {}}}},
        parameters={"rows": 5, "name": "数据", "nested": {"a": [1, {"b": None}]}},
        experiment_id=experiment_id,
        cache_enabled=False,
    )
    loaded = store.get_run(created.id)
    assert loaded == created
    assert loaded.state is RunState.PENDING
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert len(loaded.id) == 36


def test_run_without_platform_spec_reads_back_none(store: Store, make_run: RunFactory) -> None:
    assert store.get_run(make_run(platform_spec=None).id).platform_spec is None


def test_five_megabyte_pipeline_spec_fits(store: Store, make_run: RunFactory) -> None:
    spec = _big_spec(5)
    run = make_run(pipeline_spec=spec)
    assert store.get_run(run.id).pipeline_spec == spec


def test_run_is_found_by_a_unique_prefix(store: Store, make_run: RunFactory) -> None:
    run = make_run()
    assert store.get_run(run.id[:8]).id == run.id
    assert store.get_run(run.id[:4]).id == run.id


def test_prefix_matching_two_runs_is_ambiguous(
    store: Store, make_run: RunFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = uuid.uuid4().hex[:8]
    ids = iter(f"{shared}{str(uuid.uuid4())[8:]}" for _ in range(2))
    monkeypatch.setattr(store_module, "new_id", lambda: next(ids))
    first, second = make_run(), make_run()
    with pytest.raises(HeadraceError, match="ambiguous: matches 2 runs"):
        store.get_run(shared)
    assert store.get_run(first.id).id == first.id
    assert store.get_run(second.id).id == second.id


def test_unknown_run_is_not_found_and_named(store: Store) -> None:
    missing = str(uuid.uuid4())
    with pytest.raises(NotFoundError, match=missing):
        store.get_run(missing)


def test_too_short_or_non_hex_prefix_is_not_found(store: Store, make_run: RunFactory) -> None:
    run = make_run()
    with pytest.raises(NotFoundError, match="at least 4"):
        store.get_run(run.id[:3])
    with pytest.raises(NotFoundError):
        store.get_run("zz%_")


def test_runs_are_listed_newest_first_and_paged(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    runs = [make_run(display_name=f"run {i}") for i in range(5)]
    newest_first = [run.id for run in reversed(runs)]
    assert [r.id for r in store.list_runs(namespace)] == newest_first
    assert [r.id for r in store.list_runs(namespace, limit=2)] == newest_first[:2]
    assert [r.id for r in store.list_runs(namespace, limit=2, offset=2)] == newest_first[2:4]
    assert [r.id for r in store.list_runs(namespace, limit=2, offset=4)] == newest_first[4:]


def test_listing_by_namespace_leaves_out_other_namespaces(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    mine = make_run()
    other = make_run(namespace=f"{namespace}-other")
    assert [r.id for r in store.list_runs(namespace)] == [mine.id]
    all_ids = {r.id for r in store.list_runs(limit=10_000)}
    assert {mine.id, other.id} <= all_ids


def test_set_run_state_changes_only_what_is_given(store: Store, make_run: RunFactory) -> None:
    run = make_run()
    started = datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    store.set_run_state(run.id, RunState.RUNNING, started_at=started)
    store.set_run_state(run.id, RunState.FAILED, error="task 'train' failed")
    loaded = store.get_run(run.id)
    assert loaded.state is RunState.FAILED
    assert loaded.started_at == started
    assert loaded.error == "task 'train' failed"
    assert loaded.finished_at is None


def test_datetimes_in_other_zones_come_back_as_the_same_instant_in_utc(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    finished = datetime(2024, 5, 1, 14, 30, tzinfo=timezone(timedelta(hours=2)))
    store.set_run_state(run.id, RunState.SUCCEEDED, finished_at=finished)
    loaded = store.get_run(run.id).finished_at
    assert loaded == finished
    assert loaded is not None and loaded.tzinfo == UTC


def test_naive_datetimes_are_refused(store: Store, make_run: RunFactory) -> None:
    run = make_run()
    with pytest.raises(Exception, match="naive datetime"):
        store.set_run_state(run.id, RunState.RUNNING, started_at=datetime(2024, 1, 1))


def test_set_state_of_unknown_run_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="run 'nope' not found"):
        store.set_run_state("nope", RunState.RUNNING)


def test_run_in_experiment_updates_last_run_created_at(
    db_url: str, store: Store, make_run: RunFactory, namespace: str
) -> None:
    experiment_id = store.ensure_experiment(namespace, "nightly")
    run = make_run(experiment_id=experiment_id)
    assert store.get_run(run.id).experiment_id == experiment_id
    engine = create_engine(db_url)
    try:
        with engine.connect() as conn:
            column = ExperimentRow.last_run_created_at
            last = conn.scalar(select(column).where(ExperimentRow.id == experiment_id))
    finally:
        engine.dispose()
    assert last == run.created_at


def test_run_in_unknown_experiment_is_not_found(make_run: RunFactory) -> None:
    with pytest.raises(NotFoundError, match="experiment 'missing' not found"):
        make_run(experiment_id="missing")


def test_ensure_experiment_gets_or_creates_per_namespace(store: Store, namespace: str) -> None:
    first = store.ensure_experiment(namespace, "Default")
    assert store.ensure_experiment(namespace, "Default") == first
    assert store.ensure_experiment(namespace, "default") != first
    assert store.ensure_experiment(f"{namespace}-b", "Default") != first
