"""Recurring runs: trigger times from cron or intervals, and the loop that creates their runs."""

from __future__ import annotations

from headrace.scheduler._loop import SchedulerLoop
from headrace.scheduler._scheduler import Scheduler
from headrace.scheduler._triggers import next_fire_time, validate_cron

__all__ = ["Scheduler", "SchedulerLoop", "next_fire_time", "validate_cron"]
