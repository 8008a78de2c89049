"""Worker leases on runs: which worker executes a run, and until when it must renew.

A run is claimable when it is PENDING and unclaimed (or its claim lapsed), or RUNNING/CANCELING
with a lapsed lease (its worker died). A run RUNNING without a lease (`headrace run` in the CLI)
is never taken. Claims are exclusive: `SELECT ... FOR UPDATE SKIP LOCKED` on PostgreSQL and
MariaDB/MySQL, a `BEGIN IMMEDIATE` write transaction on SQLite. Lease times come from each
worker's clock, so workers on several machines need synchronized clocks (NTP) and leases much
longer than their skew.
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
        # Orphaned runs first (they were started earlier), then the queue; each query is a
        # range of the (state, created_at, id) index however many finished runs there are.
        if run_id is None:
            candidates = [_orphaned(now), _waiting(now)]
        else:
            candidates = [and_(RunRow.id == run_id, or_(_orphaned(now), _waiting(now)))]
        with self._writing() as s:
            found = None
            for condition in candidates:
                stmt = select(RunRow.id).where(condition).order_by(RunRow.created_at, RunRow.id)
                found = s.scalar(stmt.limit(1).with_for_update(skip_locked=True))
                if found is not None:
                    break
            if found is None:
                return None
            lease = now + timedelta(seconds=lease_seconds)
            claim = update(RunRow).where(RunRow.id == found)
            s.execute(claim.values(claimed_by=worker_id, lease_expires_at=lease))
            row = s.get(RunRow, found)
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
