from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest

from headrace.errors import InvalidArgumentError
from headrace.service.triggers import (
    last_fire_time,
    next_fire_time,
    validate_cron,
    validate_interval,
)
from headrace.store.records import NewRecurringRun, RecurringRunRecord

T0 = datetime(2024, 3, 1, tzinfo=UTC)


def _record(**fields: object) -> RecurringRunRecord:
    base = RecurringRunRecord(
        id="rr",
        namespace="default",
        display_name="sched",
        description="",
        experiment_id=None,
        pipeline_id=None,
        pipeline_version_id=None,
        pipeline_spec={},
        platform_spec=None,
        parameters={},
        pipeline_root=None,
        cron_schedule=None,
        interval_seconds=None,
        start_time=None,
        end_time=None,
        max_concurrency=1,
        no_catchup=False,
        enabled=True,
        created_at=T0,
        updated_at=T0,
        next_fire_at=None,
        last_fire_at=None,
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def _at(minutes: float = 0, seconds: float = 0) -> datetime:
    return T0 + timedelta(minutes=minutes, seconds=seconds)


@pytest.mark.parametrize(
    ("cron", "after", "expected"),
    [
        ("0 */5 * * * *", _at(1), _at(5)),  # Kubeflow's 6 fields: seconds first
        ("0 */5 * * * *", _at(5), _at(10)),  # strictly after
        ("30 * * * * *", _at(1), _at(1, 30)),
        ("*/10 * * * * *", _at(0, 3), _at(0, 10)),
        ("0 0 9 ? * 2-6", _at(0), datetime(2024, 3, 1, 9, tzinfo=UTC)),  # Kubeflow UI style
        ("0 0 9 ? * 0", _at(0), datetime(2024, 3, 3, 9, tzinfo=UTC)),  # Sunday is 0
        ("*/5 * * * *", _at(1), _at(5)),  # crontab's 5 fields: minutes first
        ("0 2 * * *", _at(0), _at(120)),
        ("@hourly", _at(1), _at(60)),
        ("@every 90s", _at(0), _at(1, 30)),  # robfig's @every counts from the start
        ("@every 1h30m", _at(100), _at(180)),
    ],
)
def test_cron_next_fire_time(cron: str, after: datetime, expected: datetime) -> None:
    assert next_fire_time(_record(cron_schedule=cron), after) == expected


def test_cron_times_are_utc_whatever_zone_after_is_given_in() -> None:
    record = _record(cron_schedule="0 0 12 * * *")
    after = datetime(2024, 3, 1, 5, tzinfo=UTC).astimezone(timezone(timedelta(hours=-8)))
    assert next_fire_time(record, after) == datetime(2024, 3, 1, 12, tzinfo=UTC)


def test_periodic_fires_every_interval_from_start_time() -> None:
    record = _record(interval_seconds=60, start_time=_at(10))
    assert next_fire_time(record, _at(10)) == _at(11)
    assert next_fire_time(record, _at(11, 30)) == _at(12)
    assert next_fire_time(record, _at(12)) == _at(13)


def test_periodic_without_start_time_counts_from_creation_in_whole_seconds() -> None:
    record = _record(interval_seconds=30, created_at=_at(0, 0.25))
    assert next_fire_time(record, _at(0, 0.25)) == _at(0, 30)
    assert next_fire_time(record, _at(2)) == _at(2, 30)


def test_nothing_fires_at_or_before_start_time() -> None:
    periodic = _record(interval_seconds=60, start_time=_at(10))
    assert next_fire_time(periodic, _at(0)) == _at(11)
    cron = _record(cron_schedule="0 * * * * *", start_time=_at(2, 30))
    assert next_fire_time(cron, _at(0)) == _at(3)
    on_the_minute = _record(cron_schedule="0 * * * * *", start_time=_at(3))
    assert next_fire_time(on_the_minute, _at(0)) == _at(4)


def test_cron_without_start_time_fires_only_after_creation() -> None:
    record = _record(cron_schedule="0 * * * * *", created_at=_at(5, 10))
    assert next_fire_time(record, _at(0)) == _at(6)


def test_a_schedule_not_yet_stored_counts_from_the_time_asked_about() -> None:
    new = NewRecurringRun(display_name="new", pipeline_spec={}, interval_seconds=60)
    assert next_fire_time(new, _at(0, 0.5)) == _at(1)  # whole seconds, as once stored
    assert last_fire_time(new, _at(5)) is None
    starting = replace(new, start_time=_at(10))
    assert next_fire_time(starting, _at(0)) == _at(11)
    cron = NewRecurringRun(display_name="new", pipeline_spec={}, cron_schedule="0 */5 * * * *")
    assert next_fire_time(cron, _at(1)) == _at(5)


def test_end_time_is_the_last_moment_that_can_fire() -> None:
    record = _record(interval_seconds=60, start_time=_at(0), end_time=_at(3))
    assert next_fire_time(record, _at(2)) == _at(3)
    assert next_fire_time(record, _at(3)) is None
    cron = _record(cron_schedule="0 */5 * * * *", end_time=_at(7))
    assert next_fire_time(cron, _at(5)) is None


def test_last_fire_time_is_the_latest_trigger_at_or_before() -> None:
    periodic = _record(interval_seconds=60, start_time=_at(0))
    assert last_fire_time(periodic, _at(5, 59)) == _at(5)
    assert last_fire_time(periodic, _at(5)) == _at(5)
    assert last_fire_time(periodic, _at(0, 59)) is None
    cron = _record(cron_schedule="0 */5 * * * *", start_time=_at(0))
    assert last_fire_time(cron, _at(12)) == _at(10)
    assert last_fire_time(cron, _at(10)) == _at(10)
    assert last_fire_time(cron, _at(4)) is None
    ended = _record(cron_schedule="0 */5 * * * *", start_time=_at(0), end_time=_at(12))
    assert last_fire_time(ended, _at(60)) == _at(10)


@pytest.mark.parametrize(
    "cron",
    [
        "0 */5 * * * *",
        "0 0 * * * *",
        "*/5 * * * *",
        "0 0 9 ? * 2-6",
        "0 30 9 * * MON-FRI",
        "0 0 0 * * mon",
        "0 0 0 * JAN-MAR 7",
        "@daily",
        "@hourly",
        "@every\t90s",
    ],
)
def test_validate_cron_accepts_kubeflow_and_crontab_forms(cron: str) -> None:
    validate_cron(cron)


@pytest.mark.parametrize(
    ("cron", "message"),
    [
        ("", "is empty"),
        ("* * *", "'\\* \\* \\*' has 3 fields, not 5 or 6"),
        ("* * * *", "'\\* \\* \\* \\*' has 4 fields, not 5 or 6"),
        ("* * * * * * *", "has 7 fields"),
        ("61 * * * *", "'61 \\* \\* \\* \\*' is not valid in its minute field '61'"),
        ("61 * * * * *", "is not valid in its second field '61'"),
        ("0 25 * * *", "is not valid in its hour field '25'"),
        ("0 ? * * *", "hour field '\\?'"),  # ? only stands for a day
        ("*/0 * * * *", "minute field '\\*/0'"),
        ("5-1 * * * *", "minute field '5-1'"),
        ("0 0 0 * FOO *", "month field 'FOO'"),
        ("0 0 0 * * 8", "day of week field '8'"),
        ("0 0 1 * * 5L", "day of week field '5L'"),  # croniter takes L; robfig/cron does not
        ("0 0 0 30 2 *", "'0 0 0 30 2 \\*' never fires"),
        ("@every", "no valid duration"),
        ("@every 5 minutes", "no valid duration"),
        ("@every 0s", "at least one"),
        ("@every 1500ms", "whole number of seconds"),
        ("@every5s", "'@every5s' is not valid"),
        ("@fortnightly", "is not valid"),
        ("@HOURLY", "'@HOURLY' is not valid"),  # croniter takes it; robfig/cron does not
    ],
)
def test_validate_cron_names_the_expression_and_the_fault(cron: str, message: str) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        validate_cron(cron)


def test_validate_cron_names_where_the_expression_came_from() -> None:
    with pytest.raises(InvalidArgumentError) as raised:
        validate_cron("0 25 * * *", "trigger.cron_schedule.cron")
    assert str(raised.value).startswith(
        "trigger.cron_schedule.cron '0 25 * * *' is not valid in its hour field '25'"
    )


def test_validate_interval_takes_only_positive_seconds() -> None:
    validate_interval(1)
    with pytest.raises(InvalidArgumentError, match="interval_second is 0"):
        validate_interval(0, "trigger.periodic_schedule.interval_second")


def test_fire_times_of_a_schedule_with_a_bad_trigger_raise_naming_it() -> None:
    with pytest.raises(InvalidArgumentError, match="interval of recurring run 'sched' is 0"):
        next_fire_time(_record(interval_seconds=0), T0)
    with pytest.raises(InvalidArgumentError, match="neither a cron schedule nor an interval"):
        next_fire_time(_record(), T0)
