"""Trigger times of a recurring run: cron (6 fields with seconds first, or 5) or every N seconds.

All times are UTC. Like Kubeflow's ScheduledWorkflow controller, a schedule never fires at or
before its start (its `start_time`, else its creation), fires at its `end_time` but not after,
and a periodic schedule fires at start + k * interval for k = 1, 2, ...
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from croniter import CroniterBadDateError, CroniterError, croniter

from headrace.errors import InvalidArgumentError

_CRON_HINT = (
    "give 6 fields with seconds first as Kubeflow does ('0 */5 * * * *': every 5 minutes), "
    "5 crontab fields ('*/5 * * * *'), or a descriptor such as '@hourly' or '@every 90s'"
)
_GO_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_GO_UNITS = {
    "ns": 1e-9,
    "us": 1e-6,
    "µs": 1e-6,
    "ms": 1e-3,
    "s": 1.0,
    "m": 60.0,
    "h": 3600.0,
}
_REFERENCE = datetime(2000, 1, 1, tzinfo=UTC)


class Schedule(Protocol):
    """What trigger times depend on: a RecurringRunRecord, or a NewRecurringRun not yet stored.

    A stored one also has `created_at`, which anchors it when it has no `start_time`.
    """

    @property
    def display_name(self) -> str: ...
    @property
    def cron_schedule(self) -> str | None: ...
    @property
    def interval_seconds(self) -> int | None: ...
    @property
    def start_time(self) -> datetime | None: ...
    @property
    def end_time(self) -> datetime | None: ...


@dataclass(frozen=True)
class _Cron:
    expression: str
    seconds_first: bool


@dataclass(frozen=True)
class _Every:
    seconds: int


def validate_cron(expr: str) -> None:
    """Raise InvalidArgumentError, naming the expression and its fault, unless it can fire."""
    _parse_cron(expr)


def next_fire_time(record: Schedule, after: datetime) -> datetime | None:
    """The schedule's first trigger strictly after `after`; None when it has ended by then."""
    after = as_utc(after)
    floor = _floor(record, after)
    after = max(after, floor)
    trigger = _trigger(record)
    if isinstance(trigger, _Every):
        step = timedelta(seconds=trigger.seconds)
        anchor = floor.replace(microsecond=0)
        result = anchor + ((after - anchor) // step + 1) * step
    else:
        try:
            result = _iterator(trigger, after).get_next(datetime)
        except CroniterBadDateError:
            return None
    end = record.end_time
    if end is not None and result > as_utc(end):
        return None
    return result


def last_fire_time(record: Schedule, at: datetime) -> datetime | None:
    """The schedule's latest trigger at or before `at` (and its end), if it had one by then."""
    limit = as_utc(at)
    floor = _floor(record, limit)
    if record.end_time is not None:
        limit = min(limit, as_utc(record.end_time))
    if limit <= floor:
        return None
    trigger = _trigger(record)
    if isinstance(trigger, _Every):
        step = timedelta(seconds=trigger.seconds)
        anchor = floor.replace(microsecond=0)
        count = (limit - anchor) // step
        return anchor + count * step if count >= 1 else None
    try:
        # croniter's get_prev is strictly before its start; a microsecond more includes `limit`.
        result: datetime = _iterator(trigger, limit + timedelta(microseconds=1)).get_prev(datetime)
    except CroniterBadDateError:
        return None
    return result if result > floor else None


def as_utc(moment: datetime) -> datetime:
    """The same instant as an aware UTC datetime; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _floor(record: Schedule, otherwise: datetime) -> datetime:
    """No trigger at or before this instant: the start, else the creation (else `otherwise`)."""
    created: datetime | None = getattr(record, "created_at", None)
    return as_utc(record.start_time or created or otherwise)


def _trigger(record: Schedule) -> _Cron | _Every:
    if record.interval_seconds is not None:
        if record.interval_seconds < 1:
            raise InvalidArgumentError(
                f"recurring run {record.display_name!r} has interval {record.interval_seconds}s",
                "give a positive number of seconds",
            )
        return _Every(record.interval_seconds)
    if record.cron_schedule is None:
        raise InvalidArgumentError(
            f"recurring run {record.display_name!r} has neither a cron schedule nor an interval"
        )
    return _parse_cron(record.cron_schedule)


def _iterator(cron: _Cron, start: datetime) -> croniter:
    return croniter(cron.expression, start, second_at_beginning=cron.seconds_first)


def _parse_cron(expr: str) -> _Cron | _Every:
    text = expr.strip()
    if not text:
        raise InvalidArgumentError("the cron schedule is empty", _CRON_HINT)
    if text.startswith("@every"):
        return _Every(_parse_every(expr, text[len("@every") :].strip()))
    fields = text.split()
    if not text.startswith("@") and len(fields) not in (5, 6):
        raise InvalidArgumentError(
            f"cron schedule {expr!r} has {len(fields)} fields, not 5 or 6", _CRON_HINT
        )
    cron = _Cron(" ".join(fields), seconds_first=len(fields) == 6)
    try:
        _iterator(cron, _REFERENCE).get_next(datetime)
    except CroniterBadDateError as exc:
        raise InvalidArgumentError(
            f"cron schedule {expr!r} never fires", "check the day of month against the month"
        ) from exc
    except (CroniterError, ValueError, KeyError) as exc:
        raise InvalidArgumentError(
            f"cron schedule {expr!r} is not valid: {exc}", _CRON_HINT
        ) from exc
    return cron


def _parse_every(expr: str, duration: str) -> int:
    """Seconds of a Go duration ('1h30m', '90s'), as robfig/cron's '@every' takes it."""
    total = 0.0
    position = 0
    for match in _GO_DURATION.finditer(duration):
        if match.start() != position:
            break
        total += float(match.group(1)) * _GO_UNITS[match.group(2)]
        position = match.end()
    if not duration or position != len(duration):
        raise InvalidArgumentError(
            f"cron schedule {expr!r} has no valid duration after @every",
            "write it as Go does, e.g. '@every 1h30m' or '@every 90s'",
        )
    seconds = round(total)
    if seconds < 1 or abs(total - seconds) > 1e-6:
        raise InvalidArgumentError(
            f"cron schedule {expr!r} is not a whole number of seconds of at least one",
            "give a duration such as '@every 90s'",
        )
    return seconds
