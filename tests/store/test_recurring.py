from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from headrace.errors import InvalidArgumentError, NotFoundError
from headrace.states import RunState
from headrace.store import Store
from headrace.store.records import ListQuery, NewRecurringRun, RunRecord

RunFactory = Callable[..., RunRecord]
SPEC = {"pipelineInfo": {"name": "p"}}
FAR_FUTURE = datetime(2999, 1, 1, tzinfo=UTC)


def _new(namespace: str, **fields: object) -> NewRecurringRun:
    values: dict[str, object] = {
        "display_name": "every minute",
        "namespace": namespace,
        "pipeline_spec": SPEC,
        "interval_seconds": 60,
        **fields,
    }
    return NewRecurringRun(**values)  # type: ignore[arg-type]


def test_recurring_run_round_trips_every_field(store: Store, namespace: str) -> None:
    experiment = store.ensure_experiment(namespace, "e")
    start = datetime(2024, 1, 1, tzinfo=UTC)
    created = store.create_recurring_run(
        NewRecurringRun(
            display_name="nightly ✓",
            namespace=namespace,
            description="trains at night",
            experiment_id=experiment,
            pipeline_spec=SPEC,
            platform_spec={"platforms": {}},
            parameters={"lr": 0.1, "name": "数据"},
            pipeline_root="s3://bucket/root",
            cron_schedule="0 0 2 * * *",
            start_time=start,
            end_time=start + timedelta(days=30),
            max_concurrency=3,
            no_catchup=True,
            enabled=False,
            next_fire_at=start,
        )
    )
    assert store.get_recurring_run(created.id) == created
    assert created.created_at == created.updated_at
    assert (created.next_fire_at, created.last_fire_at) == (start, None)
    assert (created.cron_schedule, created.interval_seconds) == ("0 0 2 * * *", None)
    assert created.parameters == {"lr": 0.1, "name": "数据"}


def test_recurring_run_on_latest_or_pinned_version(store: Store, namespace: str) -> None:
    pipeline, version = store.create_pipeline_with_version(namespace, "p", "", SPEC)
    latest = store.create_recurring_run(
        _new(namespace, pipeline_spec=None, pipeline_id=pipeline.id)
    )
    assert (latest.pipeline_id, latest.pipeline_version_id) == (pipeline.id, None)
    pinned = store.create_recurring_run(
        _new(namespace, pipeline_spec=None, pipeline_version_id=version.id)
    )
    assert (pinned.pipeline_id, pinned.pipeline_version_id) == (pipeline.id, version.id)
    other = store.create_pipeline(namespace, "other", "")
    with pytest.raises(InvalidArgumentError, match="is not a version of pipeline"):
        store.create_recurring_run(
            _new(
                namespace, pipeline_spec=None, pipeline_id=other.id, pipeline_version_id=version.id
            )
        )


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"interval_seconds": None}, "exactly one trigger"),
        ({"cron_schedule": "* * * * *"}, "exactly one trigger"),
        ({"interval_seconds": None, "cron_schedule": " "}, "empty cron"),
        ({"interval_seconds": 0}, "interval 0s"),
        ({"max_concurrency": 0}, "max_concurrency 0"),
        ({"pipeline_spec": None}, "exactly one pipeline source"),
        ({"pipeline_id": "p"}, "exactly one pipeline source"),
        (
            {
                "start_time": datetime(2024, 2, 1, tzinfo=UTC),
                "end_time": datetime(2024, 1, 1, tzinfo=UTC),
            },
            "before it starts",
        ),
    ],
)
def test_invalid_schedules_are_refused(
    store: Store, namespace: str, fields: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        store.create_recurring_run(_new(namespace, **fields))


def test_references_to_unknown_things_are_not_found(store: Store, namespace: str) -> None:
    for fields in (
        {"experiment_id": "nope"},
        {"pipeline_spec": None, "pipeline_id": "nope"},
        {"pipeline_spec": None, "pipeline_version_id": "nope"},
    ):
        with pytest.raises(NotFoundError, match="'nope' not found"):
            store.create_recurring_run(_new(namespace, **fields))
    missing = str(uuid.uuid4())
    for call in (
        store.get_recurring_run,
        store.enable_recurring_run,
        store.disable_recurring_run,
        store.delete_recurring_run,
    ):
        with pytest.raises(NotFoundError, match=missing):
            call(missing)
    with pytest.raises(NotFoundError, match=missing):
        store.set_recurring_fire_times(missing, None, None)


def test_new_schedule_is_due_at_once_unless_told(store: Store, namespace: str) -> None:
    now = datetime.now(UTC) + timedelta(seconds=1)
    fresh = store.create_recurring_run(_new(namespace))
    later = store.create_recurring_run(_new(namespace, next_fire_at=FAR_FUTURE))
    due = {r.id for r in store.due_recurring_runs(now)}
    assert fresh.id in due and later.id not in due


def test_only_enabled_schedules_whose_time_came_are_due(store: Store, namespace: str) -> None:
    now = datetime.now(UTC)
    past, future = now - timedelta(minutes=1), now + timedelta(minutes=1)
    due = store.create_recurring_run(_new(namespace, next_fire_at=past))
    store.create_recurring_run(_new(namespace, next_fire_at=future))
    store.create_recurring_run(_new(namespace, next_fire_at=past, enabled=False))
    never = store.create_recurring_run(_new(namespace, next_fire_at=past))
    store.set_recurring_fire_times(never.id, past, None)
    mine = [r for r in store.due_recurring_runs(now) if r.namespace == namespace]
    assert [r.id for r in mine] == [due.id]


def test_fire_times_are_recorded(store: Store, namespace: str) -> None:
    schedule = store.create_recurring_run(_new(namespace))
    fired, following = datetime(2024, 1, 1, tzinfo=UTC), datetime(2024, 1, 1, 0, 1, tzinfo=UTC)
    store.set_recurring_fire_times(schedule.id, fired, following)
    loaded = store.get_recurring_run(schedule.id)
    assert (loaded.last_fire_at, loaded.next_fire_at) == (fired, following)


def test_disable_then_enable_makes_the_schedule_due_again(store: Store, namespace: str) -> None:
    schedule = store.create_recurring_run(_new(namespace, next_fire_at=FAR_FUTURE))
    store.disable_recurring_run(schedule.id)
    disabled = store.get_recurring_run(schedule.id)
    assert disabled.enabled is False and disabled.updated_at >= schedule.updated_at
    store.enable_recurring_run(schedule.id)
    enabled = store.get_recurring_run(schedule.id)
    assert enabled.enabled is True
    assert enabled.next_fire_at is not None and enabled.next_fire_at < FAR_FUTURE
    assert schedule.id in {r.id for r in store.due_recurring_runs(datetime.now(UTC))}


def test_active_runs_are_counted_per_schedule(
    store: Store, namespace: str, make_run: RunFactory
) -> None:
    schedule = store.create_recurring_run(_new(namespace))
    other = store.create_recurring_run(_new(namespace))
    base = datetime(2024, 1, 1, tzinfo=UTC)
    runs = [
        make_run(recurring_run_id=schedule.id, scheduled_at=base + timedelta(minutes=i))
        for i in range(5)
    ]
    make_run(recurring_run_id=other.id, scheduled_at=base)
    store.set_run_state(runs[0].id, RunState.RUNNING)
    store.set_run_state(runs[1].id, RunState.CANCELING)
    store.set_run_state(runs[2].id, RunState.SUCCEEDED)
    store.set_run_state(runs[3].id, RunState.FAILED)
    assert store.count_active_runs(schedule.id) == 3
    assert store.count_active_runs("none") == 0


def test_deleting_a_schedule_keeps_its_runs_unlinked(
    store: Store, namespace: str, make_run: RunFactory
) -> None:
    schedule = store.create_recurring_run(_new(namespace))
    run = make_run(recurring_run_id=schedule.id, scheduled_at=datetime(2024, 1, 1, tzinfo=UTC))
    store.delete_recurring_run(schedule.id)
    with pytest.raises(NotFoundError):
        store.get_recurring_run(schedule.id)
    assert store.get_run(run.id).recurring_run_id is None


def test_recurring_runs_are_listed_filtered_and_scoped_to_an_experiment(
    store: Store, namespace: str
) -> None:
    experiment = store.ensure_experiment(namespace, "e")
    base = _new(namespace)
    inside = [
        store.create_recurring_run(replace(base, display_name=n, experiment_id=experiment))
        for n in ("b", "a")
    ]
    store.create_recurring_run(replace(base, display_name="c", enabled=False))
    page = store.list_recurring_runs(ListQuery(namespace=namespace, sort_by="name"))
    assert [r.display_name for r in page.items] == ["a", "b", "c"]
    scoped = store.list_recurring_runs(ListQuery(), experiment_id=experiment)
    assert [r.id for r in scoped.items] == [r.id for r in inside]
    disabled = '{"predicates": [{"key": "enabled", "operation": 1, "bool_value": false}]}'
    page = store.list_recurring_runs(ListQuery(namespace=namespace, filter=disabled))
    assert [r.display_name for r in page.items] == ["c"]


def test_a_schedules_error_is_recorded_and_cleared(store: Store, namespace: str) -> None:
    schedule = store.create_recurring_run(_new(namespace))
    assert schedule.error is None
    store.set_recurring_error(schedule.id, "could not create its run: bad parameter 'n'")
    assert store.get_recurring_run(schedule.id).error == (
        "could not create its run: bad parameter 'n'"
    )
    store.set_recurring_error(schedule.id, None)
    assert store.get_recurring_run(schedule.id).error is None
    with pytest.raises(NotFoundError):
        store.set_recurring_error("no-such-schedule", "x")
