"""Two scheduler processes sharing one database record each trigger exactly once."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from headrace.scheduler import Scheduler
from headrace.store import Store
from tests.scheduler.conftest import START, make_schedule, runs_of

TICKS = 12
STEP = timedelta(seconds=25)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/h.db"
    else:
        yield request.getfixturevalue("postgres_url")


def test_two_schedulers_ticking_together_create_each_run_once(
    db_url: str, tmp_path: Path, spec_v1: dict[str, Any]
) -> None:
    with Store.connect(db_url) as setup:
        namespace = f"two-{tmp_path.name[-12:]}"
        make = make_schedule(setup, spec_v1)
        schedules = [
            make(namespace=namespace, display_name="periodic", interval_seconds=30),
            make(
                namespace=namespace,
                display_name="cron",
                interval_seconds=None,
                cron_schedule="*/20 * * * * *",
            ),
            make(namespace=namespace, display_name="latest-only", no_catchup=True),
        ]
    barrier = threading.Barrier(2)
    created: list[list[str]] = [[], []]
    errors: list[BaseException] = []

    def run(slot: int) -> None:
        try:
            with Store.connect(db_url) as store:
                scheduler = Scheduler(store, home=tmp_path, pipeline_root=str(tmp_path / "root"))
                for tick in range(TICKS):
                    barrier.wait(timeout=60)
                    # A late start: the first tick of each catches up on a backlog together.
                    created[slot].extend(scheduler.tick(START + STEP * (tick + 6)))
        except BaseException as exc:
            errors.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=run, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []

    end = START + STEP * (TICKS + 5)
    with Store.connect(db_url) as store:
        periodic, cron, latest_only = (runs_of(store, s.id) for s in schedules)
        every_30s = [START + timedelta(seconds=30 * k) for k in range(1, 16)]
        assert [r.scheduled_at for r in periodic] == [t for t in every_30s if t <= end]
        every_20s = [START + timedelta(seconds=20 * k) for k in range(1, 30)]
        assert [r.scheduled_at for r in cron] == [t for t in every_20s if t <= end]
        times = [r.scheduled_at for r in latest_only]
        assert len(times) == len(set(times))
        everything = periodic + cron + latest_only
    ids = created[0] + created[1]
    assert sorted(ids) == sorted(r.id for r in everything)
    assert len(ids) == len(set(ids))
