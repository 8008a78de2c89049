"""Workers claiming runs: exclusive claims, lapsed leases of dead workers, renewals."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from headrace.states import RunState
from headrace.store import Store
from headrace.store.records import NewRun, RunRecord

WORKERS = 8
RUNS = 40


@pytest.fixture
def store(empty_db_url: str) -> Iterator[Store]:
    """A database of this test's own: claims take runs from the whole database."""
    with Store.connect(empty_db_url) as opened:
        yield opened


@pytest.fixture
def new_run(store: Store) -> Callable[[], RunRecord]:
    def make() -> RunRecord:
        return store.create_run(
            NewRun(pipeline_name="p", display_name="r", pipeline_spec={}, pipeline_root="/tmp")
        )

    return make


def test_claim_takes_the_oldest_pending_run_and_records_the_lease(
    store: Store, new_run: Callable[[], RunRecord]
) -> None:
    first, second = new_run(), new_run()
    claimed = store.claim_run("worker-a", 30)
    assert claimed is not None and claimed.id == first.id
    assert claimed.claimed_by == "worker-a"
    assert claimed.lease_expires_at is not None and claimed.lease_expires_at > claimed.created_at
    assert claimed.state is RunState.PENDING
    assert store.get_run(first.id) == claimed
    again = store.claim_run("worker-b", 30)
    assert again is not None and again.id == second.id
    assert store.claim_run("worker-c", 30) is None


def test_concurrent_workers_each_get_distinct_runs(
    store: Store, new_run: Callable[[], RunRecord]
) -> None:
    created = {new_run().id for _ in range(RUNS)}
    claimed: dict[str, list[str]] = {f"w{n}": [] for n in range(WORKERS)}
    errors: list[BaseException] = []
    barrier = threading.Barrier(WORKERS)

    def work(worker: str) -> None:
        try:
            barrier.wait()
            while (run := store.claim_run(worker, 60)) is not None:
                claimed[worker].append(run.id)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(w,)) for w in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    every = [run_id for ids in claimed.values() for run_id in ids]
    assert sorted(every) == sorted(created)  # each run once, none twice
    for worker, ids in claimed.items():
        assert all(store.get_run(i).claimed_by == worker for i in ids)


def test_a_live_lease_is_not_claimed_again(store: Store, new_run: Callable[[], RunRecord]) -> None:
    run = new_run()
    assert store.claim_run("worker-a", 60) is not None
    store.set_run_state(run.id, RunState.RUNNING)
    assert store.claim_run("worker-b", 60) is None
    assert store.claim_run("worker-b", 60, run_id=run.id) is None


def test_a_lapsed_lease_of_a_dead_worker_is_claimed(
    store: Store, new_run: Callable[[], RunRecord]
) -> None:
    running, canceling = new_run(), new_run()
    for run, state in ((running, RunState.RUNNING), (canceling, RunState.CANCELING)):
        assert store.claim_run("dead", 0.001, run_id=run.id) is not None
        store.set_run_state(run.id, state)
    time.sleep(0.01)
    taken = store.claim_run("alive", 60)
    assert taken is not None and taken.id == running.id and taken.claimed_by == "alive"
    assert taken.state is RunState.RUNNING
    second = store.claim_run("alive", 60)
    assert second is not None and second.id == canceling.id
    assert store.renew_lease(running.id, "dead", 60) is False
    assert store.renew_lease(running.id, "alive", 60) is True


def test_a_run_without_a_lease_that_runs_elsewhere_is_never_claimed(
    store: Store, new_run: Callable[[], RunRecord]
) -> None:
    run = new_run()
    store.set_run_state(run.id, RunState.RUNNING)  # `headrace run` in a terminal
    assert store.claim_run("worker", 60) is None


def test_final_runs_are_never_claimed(store: Store, new_run: Callable[[], RunRecord]) -> None:
    for state in (RunState.SUCCEEDED, RunState.FAILED, RunState.CANCELED):
        store.set_run_state(new_run().id, state)
    assert store.claim_run("worker", 60) is None


def test_renewing_extends_the_lease(store: Store, new_run: Callable[[], RunRecord]) -> None:
    run = new_run()
    claimed = store.claim_run("worker-a", 1)
    assert claimed is not None and claimed.lease_expires_at is not None
    assert store.renew_lease(run.id, "worker-a", 120) is True
    renewed = store.get_run(run.id).lease_expires_at
    assert renewed is not None and renewed > claimed.lease_expires_at
    assert store.renew_lease(run.id, "worker-b", 120) is False
    assert store.renew_lease("no-such-run", "worker-a", 120) is False


def test_a_released_run_can_be_claimed_at_once(
    store: Store, new_run: Callable[[], RunRecord]
) -> None:
    run = new_run()
    assert store.claim_run("worker-a", 60) is not None
    store.set_run_state(run.id, RunState.RUNNING)
    store.release_run(run.id, "worker-b")  # not its run: no effect
    assert store.claim_run("worker-c", 60) is None
    store.release_run(run.id, "worker-a")
    assert store.get_run(run.id).claimed_by is None
    taken = store.claim_run("worker-c", 60)
    assert taken is not None and taken.id == run.id


def test_a_specific_run_can_be_claimed(store: Store, new_run: Callable[[], RunRecord]) -> None:
    new_run()
    second = new_run()
    taken = store.claim_run("cli", 60, run_id=second.id)
    assert taken is not None and taken.id == second.id
    assert store.claim_run("other", 60, run_id=second.id) is None
