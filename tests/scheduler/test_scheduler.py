from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from headrace.config import Settings
from headrace.scheduler import Scheduler
from headrace.service.namespaces import NamespaceSettings
from headrace.states import RunState
from headrace.store import Store
from tests.scheduler.conftest import START, Schedule, runs_of


def _at(minutes: float = 0, seconds: float = 0) -> datetime:
    return START + timedelta(minutes=minutes, seconds=seconds)


def _whole_second_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def test_first_tick_plans_the_first_trigger_without_creating_a_run(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    recurring = schedule()
    assert scheduler.tick(_at(0, 30)) == []
    planned = store.get_recurring_run(recurring.id)
    assert (planned.last_fire_at, planned.next_fire_at) == (None, _at(1))
    assert store.due_recurring_runs(_at(0, 59)) == []


def test_triggered_run_records_its_schedule(
    store: Store, tmp_path: Path, scheduler: Scheduler, schedule: Schedule
) -> None:
    experiment = store.ensure_experiment("team-a", "nightly")
    recurring = schedule(namespace="team-a", experiment_id=experiment, parameters={"n": 2})
    [run_id] = scheduler.tick(_at(1, 5))
    run = store.get_run(run_id)
    assert (run.recurring_run_id, run.scheduled_at) == (recurring.id, _at(1))
    assert run.display_name == "every-minute-20300101000100"
    assert (run.namespace, run.experiment_id, run.pipeline_version_id) == (
        "team-a",
        experiment,
        None,
    )
    assert run.state is RunState.PENDING
    assert run.parameters["n"] == 2
    assert run.pipeline_root == str(tmp_path / "root")


def test_triggered_run_writes_to_its_namespaces_root_unless_it_names_one(
    store: Store, tmp_path: Path, scheduler: Scheduler, schedule: Schedule
) -> None:
    team = store.ensure_experiment("team-a", "nightly")
    plain = schedule(namespace="team-a", experiment_id=team)
    pinned = schedule(
        namespace="team-a", experiment_id=team, pipeline_root=str(tmp_path / "pinned")
    )
    elsewhere = schedule()
    # Set after the recurring runs exist: the root is decided when each run is created.
    NamespaceSettings(store, Settings(home=tmp_path)).set_override(
        "team-a", {"pipeline_root": str(tmp_path / "team-a")}
    )
    scheduler.tick(_at(1, 5))
    roots = {
        r.id: store.get_run(runs_of(store, r.id)[0].id).pipeline_root
        for r in (plain, pinned, elsewhere)
    }
    assert roots == {
        plain.id: str(tmp_path / "team-a"),
        pinned.id: str(tmp_path / "pinned"),
        elsewhere.id: str(tmp_path / "root"),
    }


def test_recurring_run_pipeline_root_wins_over_the_schedulers(
    store: Store, tmp_path: Path, scheduler: Scheduler, schedule: Schedule
) -> None:
    schedule(pipeline_root=str(tmp_path / "own"))
    [run_id] = scheduler.tick(_at(1))
    assert store.get_run(run_id).pipeline_root == str(tmp_path / "own")


def test_catchup_creates_one_run_per_missed_interval_after_downtime(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    recurring = schedule()
    assert len(scheduler.tick(_at(1))) == 1
    # The scheduler was down for five minutes.
    created = scheduler.tick(_at(6, 10))
    assert [store.get_run(r).scheduled_at for r in created] == [_at(m) for m in range(2, 7)]
    assert scheduler.tick(_at(6, 20)) == []
    after = store.get_recurring_run(recurring.id)
    assert (after.last_fire_at, after.next_fire_at) == (_at(6), _at(7))


def test_catchup_fires_at_most_max_runs_per_tick_oldest_first(
    store: Store, tmp_path: Path, schedule: Schedule
) -> None:
    scheduler = Scheduler(store, home=tmp_path, pipeline_root=str(tmp_path), max_runs_per_tick=3)
    recurring = schedule()
    first = scheduler.tick(_at(10))
    assert [store.get_run(r).scheduled_at for r in first] == [_at(1), _at(2), _at(3)]
    assert len(scheduler.tick(_at(10))) == 3
    assert len(scheduler.tick(_at(10))) == 3
    assert len(scheduler.tick(_at(10))) == 1
    assert scheduler.tick(_at(10)) == []
    assert [r.scheduled_at for r in runs_of(store, recurring.id)] == [_at(m) for m in range(1, 11)]


def test_no_catchup_creates_only_the_latest_missed_trigger(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    recurring = schedule(no_catchup=True)
    assert len(scheduler.tick(_at(1))) == 1
    [run_id] = scheduler.tick(_at(6, 10))
    assert store.get_run(run_id).scheduled_at == _at(6)
    after = store.get_recurring_run(recurring.id)
    assert (after.last_fire_at, after.next_fire_at) == (_at(6), _at(7))


def test_no_catchup_with_cron_creates_only_the_latest(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    schedule(interval_seconds=None, cron_schedule="0 */5 * * * *", no_catchup=True)
    [run_id] = scheduler.tick(_at(23))
    assert store.get_run(run_id).scheduled_at == _at(20)


def test_max_concurrency_holds_triggers_until_a_run_finishes(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    recurring = schedule(max_concurrency=1)
    [first] = scheduler.tick(_at(2, 10))
    assert store.get_run(first).scheduled_at == _at(1)
    assert scheduler.tick(_at(3, 10)) == []
    assert scheduler.tick(_at(3, 20)) == []
    store.set_run_state(first, RunState.SUCCEEDED)
    # Kubeflow waits rather than skips: the held trigger fires next, then the one after.
    [second] = scheduler.tick(_at(3, 30))
    assert store.get_run(second).scheduled_at == _at(2)
    store.set_run_state(second, RunState.FAILED)
    [third] = scheduler.tick(_at(3, 40))
    assert store.get_run(third).scheduled_at == _at(3)
    assert len(runs_of(store, recurring.id)) == 3


def test_max_concurrency_counts_running_and_canceling_runs(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    schedule(max_concurrency=2)
    first, second = scheduler.tick(_at(5))
    store.set_run_state(first, RunState.RUNNING)
    store.set_run_state(second, RunState.CANCELING)
    assert scheduler.tick(_at(5)) == []
    store.set_run_state(second, RunState.CANCELED)
    assert len(scheduler.tick(_at(5))) == 1


def test_no_catchup_after_held_trigger_fires_the_latest(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    schedule(max_concurrency=1, no_catchup=True)
    [first] = scheduler.tick(_at(1))
    assert scheduler.tick(_at(4, 30)) == []
    store.set_run_state(first, RunState.SUCCEEDED)
    [latest] = scheduler.tick(_at(4, 40))
    assert store.get_run(latest).scheduled_at == _at(4)


def test_pipeline_id_alone_runs_the_latest_version_at_each_trigger(
    store: Store, scheduler: Scheduler, schedule: Schedule, spec_v1: Any, spec_v2: Any
) -> None:
    pipeline, v1 = store.create_pipeline_with_version("default", "stamped", "", spec_v1)
    latest = schedule(pipeline_id=pipeline.id)
    pinned = schedule(display_name="pinned", pipeline_version_id=v1.id)
    scheduler.tick(_at(1))
    v2 = store.create_pipeline_version(pipeline.id, "v2", "", spec_v2)
    scheduler.tick(_at(2))
    on_latest = [store.get_run(r.id) for r in runs_of(store, latest.id)]
    assert [r.pipeline_version_id for r in on_latest] == [v1.id, v2.id]
    assert [r.pipeline_spec for r in on_latest] == [spec_v1, spec_v2]
    on_pinned = [store.get_run(r.id) for r in runs_of(store, pinned.id)]
    assert [r.pipeline_version_id for r in on_pinned] == [v1.id, v1.id]
    assert [r.pipeline_spec for r in on_pinned] == [spec_v1, spec_v1]


def test_parameter_macros_are_expanded_per_trigger(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    tag = "[[ScheduledTime]]|[[ScheduledTime.2006-01-02 15:04]]|#[[Index]]|[[CurrentTime]]"
    recurring = schedule(parameters={"tag": tag, "n": 1})
    scheduler.tick(_at(2, 30))
    tags = [store.get_run(r.id).parameters["tag"] for r in runs_of(store, recurring.id)]
    assert tags == [
        "20300101000100|2030-01-01 00:01|#1|20300101000230",
        "20300101000200|2030-01-01 00:02|#2|20300101000230",
    ]
    scheduler.tick(_at(3))
    assert (
        store.get_run(runs_of(store, recurring.id)[-1].id)
        .parameters["tag"]
        .endswith("#3|20300101000300")
    )


def test_run_uuid_is_the_triggered_runs_own_id(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    schedule(parameters={"tag": "run-[[RunUUID]]"})
    [run_id] = scheduler.tick(_at(1))
    assert store.get_run(run_id).parameters["tag"] == f"run-{run_id}"


def test_without_an_experiment_runs_join_the_namespaces_default_one(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    schedule(namespace="team-b")
    [run_id] = scheduler.tick(_at(1))
    assert store.get_run(run_id).experiment_id == store.default_experiment("team-b").id


def test_disabled_recurring_runs_never_fire(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    off = schedule(enabled=False)
    later_off = schedule(display_name="later-off")
    store.disable_recurring_run(later_off.id)
    assert scheduler.tick(_at(30)) == []
    assert runs_of(store, off.id) == runs_of(store, later_off.id) == []


def test_enabling_again_does_not_fire_the_triggers_missed_while_disabled(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    start = _whole_second_now() - timedelta(minutes=10)
    recurring = schedule(start_time=start, enabled=False)
    store.enable_recurring_run(recurring.id)
    enabled_at = store.get_recurring_run(recurring.id).updated_at
    assert scheduler.tick(enabled_at + timedelta(seconds=1)) == []
    [run_id] = scheduler.tick(enabled_at + timedelta(seconds=61))
    assert store.get_run(run_id).scheduled_at > enabled_at


def test_start_time_in_the_past_backfills_every_interval_since(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    start = _whole_second_now() - timedelta(minutes=10)
    schedule(start_time=start)
    created = scheduler.tick(start + timedelta(minutes=10, seconds=1))
    assert [store.get_run(r).scheduled_at for r in created] == [
        start + timedelta(minutes=m) for m in range(1, 11)
    ]


def test_nothing_fires_after_end_time(
    store: Store, scheduler: Scheduler, schedule: Schedule
) -> None:
    recurring = schedule(end_time=_at(3))
    assert len(scheduler.tick(_at(10))) == 3
    assert store.get_recurring_run(recurring.id).next_fire_at is None
    assert scheduler.tick(_at(20)) == []


def test_lost_bookkeeping_neither_duplicates_nor_loses_a_trigger(
    store: Store, tmp_path: Path, scheduler: Scheduler, schedule: Schedule
) -> None:
    recurring = schedule()
    assert len(scheduler.tick(_at(3))) == 3
    # As if the process died after creating the runs but before recording its fire times.
    store.set_recurring_fire_times(recurring.id, None, START)
    restarted = Scheduler(store, home=tmp_path, pipeline_root=str(tmp_path / "root"))
    assert [store.get_run(r).scheduled_at for r in restarted.tick(_at(4))] == [_at(4)]
    assert [r.scheduled_at for r in runs_of(store, recurring.id)] == [_at(m) for m in range(1, 5)]
    assert store.get_recurring_run(recurring.id).last_fire_at == _at(4)


def test_a_failing_schedule_retries_later_and_does_not_block_others(
    store: Store, scheduler: Scheduler, schedule: Schedule, caplog: pytest.LogCaptureFixture
) -> None:
    broken = schedule(display_name="broken", parameters={"n": "not a number"})
    healthy = schedule()
    with caplog.at_level(logging.WARNING, logger="headrace.scheduler"):
        created = scheduler.tick(_at(1))
    assert [store.get_run(r).recurring_run_id for r in created] == [healthy.id]
    after = store.get_recurring_run(broken.id)
    assert (after.last_fire_at, after.next_fire_at) == (None, _at(2))
    assert "'broken'" in caplog.text and "trying again" in caplog.text
    assert runs_of(store, broken.id) == []
    assert after.error is not None
    assert after.error.startswith("could not create its run scheduled at 2030-01-01T00:01:00")
    assert "'n'" in after.error and "trying again at 2030-01-01T00:02:00" in after.error
    assert store.get_recurring_run(healthy.id).error is None


def test_a_schedule_with_a_bad_cron_goes_idle(
    store: Store, scheduler: Scheduler, schedule: Schedule, caplog: pytest.LogCaptureFixture
) -> None:
    bad = schedule(interval_seconds=None, cron_schedule="61 * * * *")
    with caplog.at_level(logging.ERROR, logger="headrace.scheduler"):
        assert scheduler.tick(_at(5)) == []
    idle = store.get_recurring_run(bad.id)
    assert idle.next_fire_at is None
    assert "'61 * * * *' is not valid" in caplog.text
    assert idle.error is not None and idle.error.startswith("cannot fire: ")
    assert "'61 * * * *' is not valid" in idle.error and "until enabled again" in idle.error
