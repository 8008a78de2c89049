"""The garbage collector's setting for a process that runs engines (`headrace` and its workers)."""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000
"""Allocations between two collections of the youngest generation (Python's default is 700).

An engine allocates a few thousand short-lived objects per task (SQL rows, executor inputs,
attempt records); at the default the collector ran about every third of a task and took 0.25-0.35
ms of each no-op task's CPU in the 100-way fan-out benchmark (W2), at this one 0.05-0.09 ms. The
older generations keep their thresholds, so cycles that live long are collected as often as
before, relative to the young collections.
"""


def tune_for_engines() -> None:
    """Collect the youngest generation less often; never lowers a larger threshold."""
    young, *older = gc.get_threshold()
    if young < YOUNG_THRESHOLD:
        gc.set_threshold(YOUNG_THRESHOLD, *older)
