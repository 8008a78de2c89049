from __future__ import annotations

import logging
import threading
import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from headrace.scheduler import Scheduler, SchedulerLoop
from headrace.store import Store
from tests.scheduler.conftest import START, Schedule, runs_of


def _wait_for(condition: threading.Event, seconds: float = 10) -> None:
    assert condition.wait(seconds), "the loop did not get there in time"


def test_loop_ticks_until_stopped(store: Store, scheduler: Scheduler, schedule: Schedule) -> None:
    recurring = schedule()
    loop = SchedulerLoop(scheduler, interval=0.01, clock=lambda: START + timedelta(minutes=3))
    loop.start()
    deadline = time.monotonic() + 10
    while len(runs_of(store, recurring.id)) < 3 and time.monotonic() < deadline:
        time.sleep(0.02)
    loop.stop()
    assert [r.scheduled_at for r in runs_of(store, recurring.id)] == [
        START + timedelta(minutes=m) for m in (1, 2, 3)
    ]


class _Flaky(Scheduler):
    """Fails its first tick, then counts the ticks that follow."""

    def __init__(self, store: Store, tmp_path: Path) -> None:
        super().__init__(store, home=tmp_path, pipeline_root=str(tmp_path))
        self.ticks = 0
        self.recovered = threading.Event()

    def tick(self, now: datetime) -> list[str]:
        self.ticks += 1
        if self.ticks == 1:
            raise RuntimeError("database went away")
        self.recovered.set()
        return []


def test_a_failing_tick_is_logged_and_the_loop_goes_on(
    store: Store, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    flaky = _Flaky(store, tmp_path)
    loop = SchedulerLoop(flaky, interval=0.01)
    with caplog.at_level(logging.ERROR, logger="headrace.scheduler"):
        loop.start()
        _wait_for(flaky.recovered)
        loop.stop()
    assert "database went away" in caplog.text
    ticks = flaky.ticks
    time.sleep(0.05)
    assert flaky.ticks == ticks, "the loop kept ticking after stop()"


def test_stop_waits_for_the_tick_in_progress(store: Store, tmp_path: Path) -> None:
    entered, release, finished = threading.Event(), threading.Event(), threading.Event()

    class Slow(Scheduler):
        def tick(self, now: datetime) -> list[str]:
            entered.set()
            release.wait(5)
            finished.set()
            return []

    loop = SchedulerLoop(Slow(store, home=tmp_path, pipeline_root=str(tmp_path)), interval=60)
    loop.start()
    _wait_for(entered)
    stopper = threading.Thread(target=loop.stop)
    stopper.start()
    time.sleep(0.05)
    assert stopper.is_alive()
    release.set()
    stopper.join(5)
    assert finished.is_set() and not stopper.is_alive()
