"""The processes attempts run in, so a resumed run can stop what a dead Headrace left running."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table, select, update

from headrace.states import AttemptState
from headrace.store._common import StoreBase
from headrace.store._convert import attempt_process
from headrace.store._schema import AttemptRow
from headrace.store.records import AttemptProcess

_ATTEMPTS = cast(Table, AttemptRow.__table__)


class ProcessesMixin(StoreBase):
    def record_attempt_process(self, attempt_id: str, process: AttemptProcess) -> None:
        """Record the process a RUNNING attempt runs in; nothing once the attempt has ended."""
        stmt = (
            update(_ATTEMPTS)
            .where(_ATTEMPTS.c.id == attempt_id, _ATTEMPTS.c.state == AttemptState.RUNNING.value)
            .values(
                process_host=process.host,
                process_id=process.pid,
                process_group=process.group,
                process_start=process.start,
            )
        )
        with self._writing() as s:
            s.connection().execute(stmt)

    def running_attempt_processes(self, run_id: str) -> dict[str, AttemptProcess]:
        """The recorded processes of a run's attempts still RUNNING in the store, by attempt id."""
        stmt = select(_ATTEMPTS).where(
            _ATTEMPTS.c.run_id == run_id,
            _ATTEMPTS.c.state == AttemptState.RUNNING.value,
            _ATTEMPTS.c.process_id.is_not(None),
        )
        with self._read.begin() as s:
            rows = s.execute(stmt)
            return {row.id: process for row in rows if (process := attempt_process(row))}
