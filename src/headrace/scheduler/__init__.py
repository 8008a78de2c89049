"""Recurring runs: the loop that creates their runs at the trigger times service/ computes."""

from __future__ import annotations

from headrace.scheduler._loop import SchedulerLoop
from headrace.scheduler._scheduler import Scheduler

__all__ = ["Scheduler", "SchedulerLoop"]
