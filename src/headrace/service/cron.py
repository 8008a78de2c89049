"""Check Kubeflow cron expressions: 6 fields with seconds, 5 fields, or @descriptors."""

from __future__ import annotations

import re

from headrace.errors import InvalidArgumentError

_MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"]
_DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
# (name, lowest, highest, names that stand for numbers)
_FIELDS = [
    ("second", 0, 59, {}),
    ("minute", 0, 59, {}),
    ("hour", 0, 23, {}),
    ("day of month", 1, 31, {}),
    ("month", 1, 12, {m: i + 1 for i, m in enumerate(_MONTHS)}),
    ("day of week", 0, 7, {d: i for i, d in enumerate(_DAYS)}),
]
_DESCRIPTORS = {"@yearly", "@annually", "@monthly", "@weekly", "@daily", "@midnight", "@hourly"}
_EVERY = re.compile(r"^@every\s+(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$")


def check_cron(expression: str, where: str = "cron") -> None:
    """Raise InvalidArgumentError naming `where` and the bad field unless `expression` is valid."""
    text = expression.strip()
    if text in _DESCRIPTORS or _EVERY.match(text):
        return
    parts = text.split()
    if len(parts) not in (5, 6):
        raise InvalidArgumentError(
            f"{where} {expression!r} has {len(parts)} fields",
            "give 6 fields (second minute hour day-of-month month day-of-week), 5 fields "
            "without seconds, or a descriptor such as @hourly or '@every 1h'",
        )
    fields = _FIELDS if len(parts) == 6 else _FIELDS[1:]
    for part, (name, low, high, names) in zip(parts, fields, strict=True):
        for item in part.split(","):
            if not _valid_item(item.upper(), low, high, names, name):
                raise InvalidArgumentError(
                    f"{where} {expression!r}: the {name} field {part!r} is not valid",
                    f"use *, ?, numbers {low}-{high}, ranges a-b and steps */n or a-b/n",
                )


def _valid_item(item: str, low: int, high: int, names: dict[str, int], name: str) -> bool:
    base, _, step = item.partition("/")
    if step and (not step.isdigit() or int(step) == 0):
        return False
    if base in ("*", "?"):
        return base == "*" or name in ("day of month", "day of week")
    start, dash, end = base.partition("-")
    first = _number(start, low, high, names)
    if first is None:
        return False
    if not dash:
        return True
    last = _number(end, low, high, names)
    return last is not None and first <= last


def _number(text: str, low: int, high: int, names: dict[str, int]) -> int | None:
    value = names.get(text)
    if value is None and text.isdigit():
        value = int(text)
    if value is None or not low <= value <= high:
        return None
    return value
