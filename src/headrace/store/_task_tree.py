"""A run's task tree read one level at a time, for views of runs with thousands of tasks."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import cast

from sqlalchemy import Table, func, select

from headrace.store import _convert
from headrace.store._common import StoreBase
from headrace.store._schema import TaskRow
from headrace.store.records import TaskRecord


class TaskTreeMixin(StoreBase):
    def list_child_tasks(
        self,
        run_id: str,
        parent_id: str | None,
        *,
        states: Sequence[str] = (),
        offset: int = 0,
        limit: int = 100,
    ) -> tuple[list[TaskRecord], int]:
        """One page of the children of `parent_id` (None: the root), with how many match."""
        table = cast(Table, TaskRow.__table__)
        where = [table.c.run_id == run_id]
        where.append(
            table.c.parent_id.is_(None) if parent_id is None else table.c.parent_id == parent_id
        )
        if states:
            where.append(table.c.state.in_(list(states)))
        # Iterations in index order; other children in creation order.
        stmt = (
            select(table)
            .where(*where)
            .order_by(table.c.iteration_index, table.c.seq)
            .offset(offset)
            .limit(limit)
        )
        count = select(func.count()).select_from(table).where(*where)
        with self._read.begin() as s:
            rows = [_convert.task_record(row) for row in s.execute(stmt)]
            total = int(s.execute(count).scalar_one())
        return rows, total

    def child_state_counts(
        self, run_id: str, parent_ids: Sequence[str]
    ) -> dict[str, dict[str, int]]:
        """How many direct children of each parent are in each state."""
        if not parent_ids:
            return {}
        table = cast(Table, TaskRow.__table__)
        stmt = (
            select(table.c.parent_id, table.c.state, func.count())
            .where(table.c.run_id == run_id, table.c.parent_id.in_(list(parent_ids)))
            .group_by(table.c.parent_id, table.c.state)
        )
        counts: dict[str, dict[str, int]] = defaultdict(dict)
        with self._read.begin() as s:
            for parent, state, n in s.execute(stmt):
                counts[parent][state] = int(n)
        return dict(counts)

    def run_task_counts(self, run_id: str) -> dict[str, int]:
        """How many leaf tasks (containers and importers) of a run are in each state."""
        table = cast(Table, TaskRow.__table__)
        stmt = (
            select(table.c.state, func.count())
            .where(table.c.run_id == run_id, table.c.kind.in_(["CONTAINER", "IMPORTER"]))
            .group_by(table.c.state)
        )
        with self._read.begin() as s:
            return {state: int(n) for state, n in s.execute(stmt)}
