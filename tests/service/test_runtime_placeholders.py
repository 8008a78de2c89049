from __future__ import annotations

from datetime import UTC, datetime

import pytest

from headrace.service.runtime_placeholders import expand, expand_parameters, format_go

SCHEDULED = datetime(2024, 3, 5, 14, 7, 9, tzinfo=UTC)
NOW = datetime(2024, 3, 5, 14, 7, 11, 250000, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[[ScheduledTime]]", "20240305140709"),
        ("[[CurrentTime]]", "20240305140711"),
        ("run-[[Index]]", "run-7"),
        ("[[ScheduledTime.2006-01-02]]/[[Index]]", "2024-03-05/7"),
        ("[[CurrentTime.15:04:05.000]]", "14:07:11.250"),
        ("[[RunUUID]]", "[[RunUUID]]"),  # filled where the run gets its id
        ("[[Unknown]] and [[ScheduledTimes]]", "[[Unknown]] and [[ScheduledTimes]]"),
        ("no macros", "no macros"),
    ],
)
def test_macros_expand_as_kubeflow_formats_them(text: str, expected: str) -> None:
    assert expand(text, scheduled=SCHEDULED, now=NOW, index=7) == expected


@pytest.mark.parametrize(
    ("layout", "expected"),
    [
        ("2006-01-02T15:04:05Z07:00", "2024-03-05T14:07:09Z"),
        ("Mon Jan _2 15:04:05 MST 2006", "Tue Mar  5 14:07:09 UTC 2024"),
        ("02 Jan 06 03:04 PM -0700", "05 Mar 24 02:07 PM +0000"),
        ("Monday, January 2, 2006 (day 002)", "Tuesday, March 5, 2024 (day 065)"),
        ("2006.01.02", "2024.03.05"),
    ],
)
def test_go_layouts_format_utc_times(layout: str, expected: str) -> None:
    assert format_go(SCHEDULED, layout) == expected


def test_only_string_parameters_are_expanded() -> None:
    parameters = {"tag": "at-[[ScheduledTime]]", "n": 3, "items": ["[[Index]]"]}
    expanded = expand_parameters(parameters, scheduled=SCHEDULED, now=NOW, index=1)
    assert expanded == {"tag": "at-20240305140709", "n": 3, "items": ["[[Index]]"]}
    assert parameters["tag"] == "at-[[ScheduledTime]]"


def test_index_and_run_uuid_stay_until_they_are_known() -> None:
    text = "[[RunUUID]]-[[Index]]"
    assert expand(text, scheduled=SCHEDULED, now=NOW, index=None) == text
    assert expand(text, scheduled=SCHEDULED, now=NOW, index=2, run_id="r1") == "r1-2"
