"""Trigger times of a recurring run: cron (6 fields with seconds first, or 5) or every N seconds.

All times are UTC. Like Kubeflow's ScheduledWorkflow controller, a schedule never fires at or
before its start (its `start_time`, else its creation), fires at its `end_time` but not after,
and a periodic schedule fires at start + k * interval for k = 1, 2, ...
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import NamedTuple, Protocol

from croniter import CroniterBadDateError, CroniterError, croniter

from headrace.errors import InvalidArgumentError

_CRON_HINT = (
    "give 6 fields with seconds first as Kubeflow does (second minute hour day-of-month month "
    "day-of-week; '0 */5 * * * *': every 5 minutes), 5 crontab fields ('*/5 * * * *'), "
    "or a descriptor such as '@hourly' or '@every 90s'"
)
# robfig/cron's descriptors, which Kubeflow takes; case matters there too.
_DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]


class _Field(NamedTuple):
    name: str
    low: int
    high: int
    names: list[str]  # stand for low, low + 1, ...
    # `?` (no specific value) is only for the day fields, as in Quartz and the Kubeflow UI.
    any_mark: bool = False


_FIELDS = [
    _Field("second", 0, 59, []),
    _Field("minute", 0, 59, []),
    _Field("hour", 0, 23, []),
    _Field("day of month", 1, 31, [], any_mark=True),
    _Field("month", 1, 12, _MONTHS),
    _Field("day of week", 0, 7, _DAYS, any_mark=True),
]
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


class _Cron(NamedTuple):
    expression: str
    seconds_first: bool


class _Every(NamedTuple):
    seconds: int


def validate_cron(expr: str, where: str = "cron schedule") -> None:
    """Raise InvalidArgumentError naming `where`, the expression and the fault unless it fires."""
    _parse_cron(expr, where)


def validate_interval(seconds: int, where: str = "interval") -> None:
    """Raise InvalidArgumentError naming `where` unless `seconds` is positive."""
    if seconds < 1:
        raise InvalidArgumentError(f"{where} is {seconds}", "give a positive number of seconds")


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
        validate_interval(
            record.interval_seconds, f"the interval of recurring run {record.display_name!r}"
        )
        return _Every(record.interval_seconds)
    if record.cron_schedule is None:
        raise InvalidArgumentError(
            f"recurring run {record.display_name!r} has neither a cron schedule nor an interval"
        )
    return _parse_cron(record.cron_schedule, "cron schedule")


def _iterator(cron: _Cron, start: datetime) -> croniter:
    return croniter(cron.expression, start, second_at_beginning=cron.seconds_first)


def _parse_cron(expr: str, where: str) -> _Cron | _Every:
    text = expr.strip()
    if not text:
        raise InvalidArgumentError(f"{where} is empty", _CRON_HINT)
    fields = text.split()
    if fields[0] == "@every":
        return _Every(_parse_every(expr, text[len("@every") :].strip(), where))
    if text.startswith("@"):
        if text not in _DESCRIPTORS:
            raise InvalidArgumentError(f"{where} {expr!r} is not valid", _CRON_HINT)
    elif len(fields) not in (5, 6):
        raise InvalidArgumentError(
            f"{where} {expr!r} has {len(fields)} fields, not 5 or 6", _CRON_HINT
        )
    else:
        _check_fields(expr, fields, where)
    cron = _Cron(" ".join(fields), seconds_first=len(fields) == 6)
    try:
        _iterator(cron, _REFERENCE).get_next(datetime)
    except CroniterBadDateError as exc:
        raise InvalidArgumentError(
            f"{where} {expr!r} never fires", "check the day of month against the month"
        ) from exc
    except (CroniterError, ValueError, KeyError) as exc:
        raise InvalidArgumentError(f"{where} {expr!r} is not valid: {exc}", _CRON_HINT) from exc
    return cron


def _check_fields(expr: str, fields: list[str], where: str) -> None:
    """Name the first bad field: croniter alone would take forms robfig/cron refuses (L, W, #)."""
    kinds = _FIELDS if len(fields) == 6 else _FIELDS[1:]
    for part, kind in zip(fields, kinds, strict=True):
        if not all(_valid_item(item.upper(), kind) for item in part.split(",")):
            names = f" or {kind.names[0]}-{kind.names[-1]}" if kind.names else ""
            raise InvalidArgumentError(
                f"{where} {expr!r} is not valid in its {kind.name} field {part!r}",
                f"use *, values {kind.low}-{kind.high}{names}, ranges a-b and steps */n or a-b/n"
                + (", or ? for any day" if kind.any_mark else ""),
            )


def _valid_item(item: str, kind: _Field) -> bool:
    base, _, step = item.partition("/")
    if step and (not step.isdigit() or int(step) == 0):
        return False
    if base in ("*", "?"):
        return base == "*" or kind.any_mark
    start, dash, end = base.partition("-")
    first = _number(start, kind)
    if first is None:
        return False
    if not dash:
        return True
    last = _number(end, kind)
    return last is not None and first <= last


def _number(text: str, kind: _Field) -> int | None:
    if text in kind.names:
        return kind.low + kind.names.index(text)
    value = int(text) if text.isdigit() else None
    if value is None or not kind.low <= value <= kind.high:
        return None
    return value


def _parse_every(expr: str, duration: str, where: str) -> int:
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
            f"{where} {expr!r} has no valid duration after @every",
            "write it as Go does, e.g. '@every 1h30m' or '@every 90s'",
        )
    seconds = round(total)
    if seconds < 1 or abs(total - seconds) > 1e-6:
        raise InvalidArgumentError(
            f"{where} {expr!r} is not a whole number of seconds of at least one",
            "give a duration such as '@every 90s'",
        )
    return seconds
