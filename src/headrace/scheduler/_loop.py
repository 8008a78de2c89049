"""The scheduler's heartbeat: a daemon thread that ticks every `interval` seconds."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime

from headrace.scheduler._scheduler import Scheduler

log = logging.getLogger("headrace.scheduler")


def _utc_now() -> datetime:
    return datetime.now(UTC)


class SchedulerLoop:
    """Calls `scheduler.tick(now)` until stopped; a failing tick is logged, never fatal."""

    def __init__(
        self,
        scheduler: Scheduler,
        interval: float = 1.0,
        *,
        clock: Callable[[], datetime] = _utc_now,
    ) -> None:
        self.scheduler = scheduler
        self.interval = interval
        self._clock = clock
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start ticking in a daemon thread (the first tick is immediate)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="headrace-scheduler", daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = None) -> None:
        """Stop ticking and wait for a tick in progress to finish."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        while not self._stopping.is_set():
            try:
                self.scheduler.tick(self._clock())
            except Exception:
                log.exception("scheduler tick failed; trying again in %.1fs", self.interval)
            self._stopping.wait(self.interval)
