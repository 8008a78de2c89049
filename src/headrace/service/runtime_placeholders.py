"""Kubeflow's runtime placeholders in string parameters: [[ScheduledTime]], [[Index]] and kin.

As Kubeflow's ParameterFormatter does: `[[ScheduledTime]]` and `[[CurrentTime]]` become UTC
times as `20060102150405`, `[[ScheduledTime.<layout>]]` and `[[CurrentTime.<layout>]]` use a
Go time layout, `[[Index]]` is a recurring run's 1-based trigger number and `[[RunUUID]]` the
run's id. `[[Index]]` without an index, `[[RunUUID]]` without a run id, and any other macro are
left as they are. A run that no schedule started is scheduled at its creation, as in Kubeflow.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from headrace.service.triggers import as_utc

_MACRO = re.compile(r"\[\[(.*?)\]\]")
_DEFAULT_LAYOUT = "20060102150405"
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Go layout elements, longest first where one is a prefix of another (time/format.go).
_LAYOUT = re.compile(
    r"January|Jan|Monday|Mon|MST|2006|_2006|__2|_2|002|01|02|03|04|05|06|15|PM|pm"
    r"|Z07:00:00|Z070000|Z07:00|Z0700|Z07|-07:00:00|-070000|-07:00|-0700|-07"
    r"|[.,](?:0+|9+)(?!\d)|1|2|3|4|5"
)


def expand_parameters(
    parameters: dict[str, Any],
    *,
    scheduled: datetime,
    now: datetime,
    index: int | None,
    run_id: str | None = None,
) -> dict[str, Any]:
    """The parameters with the placeholders in their string values replaced."""
    return {
        name: expand(value, scheduled=scheduled, now=now, index=index, run_id=run_id)
        if isinstance(value, str)
        else value
        for name, value in parameters.items()
    }


def expand(
    text: str, *, scheduled: datetime, now: datetime, index: int | None, run_id: str | None = None
) -> str:
    """One string with its runtime placeholders replaced."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        for prefix, moment in (("ScheduledTime", scheduled), ("CurrentTime", now)):
            if name == prefix:
                return format_go(as_utc(moment), _DEFAULT_LAYOUT)
            if name.startswith(prefix + "."):
                return format_go(as_utc(moment), name[len(prefix) + 1 :])
        if name == "Index" and index is not None:
            return str(index)
        if name == "RunUUID" and run_id is not None:
            return run_id
        return match.group(0)

    return _MACRO.sub(substitute, text)


def format_go(moment: datetime, layout: str) -> str:
    """Format a UTC time with a Go layout such as `2006-01-02T15:04:05Z07:00`."""
    return _LAYOUT.sub(lambda m: _element(moment, m.group(0)), layout)


def _element(t: datetime, element: str) -> str:
    if element[0] in ".," and len(element) > 1:
        digits = f"{t.microsecond:06d}{'0' * 3}"[: len(element) - 1]
        if element[1] == "9":
            digits = digits.rstrip("0")
            return f"{element[0]}{digits}" if digits else ""
        return f"{element[0]}{digits}"
    if element.startswith(("Z07", "-07")):
        # The time is UTC: Go writes Z for the Z forms and a zero offset for the others.
        if element[0] == "Z":
            return "Z"
        return "+" + element[1:].replace("07", "00", 1)
    hour12 = t.hour % 12 or 12
    values = {
        "January": _MONTHS[t.month - 1],
        "Jan": _MONTHS[t.month - 1][:3],
        "Monday": _DAYS[t.weekday()],
        "Mon": _DAYS[t.weekday()][:3],
        "MST": "UTC",
        "2006": f"{t.year:04d}",
        "_2006": f"_{t.year:04d}",
        "06": f"{t.year % 100:02d}",
        "01": f"{t.month:02d}",
        "1": str(t.month),
        "02": f"{t.day:02d}",
        "2": str(t.day),
        "_2": f"{t.day:>2}",
        "002": f"{t.timetuple().tm_yday:03d}",
        "__2": f"{t.timetuple().tm_yday:>3}",
        "15": f"{t.hour:02d}",
        "03": f"{hour12:02d}",
        "3": str(hour12),
        "04": f"{t.minute:02d}",
        "4": str(t.minute),
        "05": f"{t.second:02d}",
        "5": str(t.second),
        "PM": "PM" if t.hour >= 12 else "AM",
        "pm": "pm" if t.hour >= 12 else "am",
    }
    return values[element]
