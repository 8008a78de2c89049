"""Worker leases on runs: which worker executes a run, and until when it must renew.

A run is claimable when it is PENDING and unclaimed (or its claim lapsed), or RUNNING/CANCELING
with a lapsed lease (its worker died). A run RUNNING without a lease (`headrace run` in the CLI)
is never taken. A claim is a conditional UPDATE (`WHERE id = ? AND <still claimable>`) of a
candidate read just before: the database re-checks the condition on the row's latest committed
version, so two workers never both take a run, and a worker that loses a race tries the next
candidate. (`SELECT ... FOR UPDATE SKIP LOCKED` was not enough: on MariaDB a scan holds locks on
rows it read but did not return, so a concurrent claimer skipped claimable runs and wrongly
reported none.) Lease times come from each worker's clock, so workers on several machines need
synchronized clocks (NTP) and leases much longer than their skew.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_, or_, select, update

from headrace.states import RunState
from headrace.store import _common, _convert
from headrace.store._common import StoreBase, rowcount
from headrace.store._schema import RunRow
from headrace.store.records import RunRecord

_LIVE = (RunState.RUNNING.value, RunState.CANCELING.value)
_CANDIDATES = 8  # runs read per pass: enough that concurrent workers rarely race for one


def _orphaned(now: datetime) -> ColumnElement[bool]:
    """Runs whose worker stopped renewing its lease."""
    return and_(RunRow.state.in_(_LIVE), RunRow.lease_expires_at <= now)


def _waiting(now: datetime) -> ColumnElement[bool]:
    """PENDING runs that no worker holds."""
    free = or_(RunRow.lease_expires_at.is_(None), RunRow.lease_expires_at <= now)
    return and_(RunRow.state == RunState.PENDING.value, free)


class LeasesMixin(StoreBase):
    def claim_run(
        self, worker_id: str, lease_seconds: float, *, run_id: str | None = None
    ) -> RunRecord | None:
        """Take a claimable run (or the run `run_id` if claimable) for `worker_id`.

        Runs of dead workers come first, then the oldest PENDING run. Two workers never get the
        same run. None when nothing is claimable.
        """
        now = _common.now()
        lease = now + timedelta(seconds=lease_seconds)
        # Orphaned runs first (they were started earlier), then the queue; each query is a
        # range of the (state, created_at, id) index however many finished runs there are.
        if run_id is None:
            candidates = [_orphaned(now), _waiting(now)]
        else:
            candidates = [and_(RunRow.id == run_id, or_(_orphaned(now), _waiting(now)))]
        for condition in candidates:
            # Each pass either claims a run or finds every candidate taken by another worker
            # since the read, so the claimable set shrinks until a claim or an empty read.
            while ids := self._claimable(condition):
                for found in ids:
                    claimed = self._take(found, condition, worker_id, lease)
                    if claimed is not None:
                        return claimed
        return None

    def _claimable(self, condition: ColumnElement[bool]) -> list[str]:
        stmt = select(RunRow.id).where(condition).order_by(RunRow.created_at, RunRow.id)
        with self._read.begin() as s:
            return list(s.scalars(stmt.limit(_CANDIDATES)))

    def _take(
        self, run_id: str, condition: ColumnElement[bool], worker_id: str, lease: datetime
    ) -> RunRecord | None:
        """Claim `run_id` if it still meets `condition`; None if another worker got there first."""
        claim = update(RunRow).where(RunRow.id == run_id, condition)
        with self._writing() as s:
            if rowcount(s, claim.values(claimed_by=worker_id, lease_expires_at=lease)) != 1:
                return None
            row = s.get(RunRow, run_id, populate_existing=True)
            assert row is not None
            return _convert.run_record(row)

    def renew_lease(self, run_id: str, worker_id: str, lease_seconds: float) -> bool:
        """Extend the worker's lease; False if the run is gone or another worker has it."""
        lease = _common.now() + timedelta(seconds=lease_seconds)
        stmt = (
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.claimed_by == worker_id)
            .values(lease_expires_at=lease)
        )
        with self._writing() as s:
            return rowcount(s, stmt) == 1

    def release_run(self, run_id: str, worker_id: str) -> None:
        """Give a run up: if it is not final, another worker may claim it at once."""
        stmt = (
            update(RunRow)
            .where(RunRow.id == run_id, RunRow.claimed_by == worker_id)
            .values(claimed_by=None, lease_expires_at=_common.now())
        )
        with self._writing() as s:
            s.execute(stmt)
