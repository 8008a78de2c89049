"""Runs: create, read, list, state changes, archive, cancel and delete."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from headrace.errors import ConflictError, HeadraceError, NotFoundError
from headrace.states import RunState
from headrace.store import _common, _convert
from headrace.store._common import StoreBase, ensure_namespace, require, update_one
from headrace.store._listing import Field, Listing, fetch_page
from headrace.store._schema import (
    ArtifactEventRow,
    ArtifactRow,
    AttemptRow,
    ExperimentRow,
    PipelineVersionRow,
    RecurringRunRow,
    RunRow,
    TaskRow,
)
from headrace.store.records import ListQuery, NewRun, Page, RunRecord, RunSummary, StorageState

MIN_PREFIX = 4
_ID_CHARS = re.compile(r"^[0-9a-f-]+$")

_ID = Field(RunRow.id)
_NAME = Field(RunRow.display_name, sortable=True)
RUN_LISTING = Listing(
    resource="runs",
    entity=RunRow,
    namespace_column=RunRow.namespace,
    fields={
        "id": _ID,
        "run_id": _ID,
        "display_name": _NAME,
        "name": _NAME,
        "created_at": Field(RunRow.created_at, "timestamp", sortable=True),
        "finished_at": Field(RunRow.finished_at, "timestamp", sortable=True, nullable=True),
        "scheduled_at": Field(RunRow.scheduled_at, "timestamp", nullable=True),
        "state": Field(RunRow.state, sortable=True),
        "storage_state": Field(RunRow.storage_state),
        "experiment_id": Field(RunRow.experiment_id),
        "pipeline_version_id": Field(RunRow.pipeline_version_id),
        "recurring_run_id": Field(RunRow.recurring_run_id),
    },
)


class RunsMixin(StoreBase):
    def create_run(self, new: NewRun) -> RunRecord:
        """Record a new PENDING run.

        A second run of one recurring run at one `scheduled_at` is a ConflictError, so two
        schedulers racing on a trigger record it once.
        """
        now = _common.now()
        row = RunRow(
            id=new.id or _common.new_id(),
            namespace=new.namespace,
            experiment_id=new.experiment_id,
            pipeline_version_id=new.pipeline_version_id,
            display_name=new.display_name,
            pipeline_name=new.pipeline_name,
            pipeline_spec=new.pipeline_spec,
            platform_spec=new.platform_spec,
            parameters=new.parameters,
            pipeline_root=new.pipeline_root,
            cache_enabled=new.cache_enabled,
            state=RunState.PENDING.value,
            error=None,
            created_at=now,
            started_at=None,
            finished_at=None,
            storage_state=StorageState.AVAILABLE.value,
            recurring_run_id=new.recurring_run_id,
            scheduled_at=new.scheduled_at,
        )
        with self._writing() as s:
            ensure_namespace(s, new.namespace)
            if new.pipeline_version_id is not None:
                require(s, PipelineVersionRow.id, new.pipeline_version_id, "pipeline version")
            if new.recurring_run_id is not None:
                require(s, RecurringRunRow.id, new.recurring_run_id, "recurring run")
            if new.experiment_id is not None:
                stmt = update(ExperimentRow).where(ExperimentRow.id == new.experiment_id)
                update_one(s, stmt.values(last_run_created_at=now), "experiment", new.experiment_id)
            try:
                with s.begin_nested():
                    s.add(row)
            except IntegrityError as exc:
                raise ConflictError(
                    f"recurring run {new.recurring_run_id!r} already has a run scheduled at "
                    f"{new.scheduled_at}",
                    "this trigger was recorded by another scheduler",
                ) from exc
        return _convert.run_record(row)

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id, or with the one id that starts with it (at least 4 characters)."""
        with self._read.begin() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                row = s.get(RunRow, _resolve_prefix(s, run_id))
            assert row is not None
            return _convert.run_record(row)

    def run_exists(self, run_id: str) -> bool:
        """Whether a run with exactly this id is stored (one deleted while it ran is not)."""
        with self._read.begin() as s:
            return s.scalar(select(RunRow.id).where(RunRow.id == run_id)) is not None

    def list_runs(
        self, namespace: str | None = None, limit: int = 50, offset: int = 0
    ) -> list[RunRecord]:
        """Runs, newest first."""
        stmt = select(RunRow).order_by(RunRow.created_at.desc(), RunRow.id.desc())
        if namespace is not None:
            stmt = stmt.where(RunRow.namespace == namespace)
        with self._read.begin() as s:
            rows = s.scalars(stmt.limit(limit).offset(offset))
            return [_convert.run_record(row) for row in rows]

    def list_runs_page(
        self, query: ListQuery, experiment_id: str | None = None
    ) -> Page[RunSummary]:
        """One page of runs (without their specs), oldest first unless `query.sort_by` says."""
        conditions = [] if experiment_id is None else [RunRow.experiment_id == experiment_id]
        options = [defer(RunRow.pipeline_spec), defer(RunRow.platform_spec)]
        with self._read.begin() as s:
            rows, token, total = fetch_page(
                s, RUN_LISTING, query, conditions, {"experiment_id": experiment_id}, options
            )
            return Page([_convert.run_summary(r) for r in rows], token, total)

    def set_run_state(
        self,
        run_id: str,
        state: RunState,
        *,
        error: str | None = None,
        started_at: datetime | None = None,
        finished_at: datetime | None = None,
    ) -> None:
        """Change a run's state; the other fields only when given."""
        given = {"error": error, "started_at": started_at, "finished_at": finished_at}
        values: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
        stmt = update(RunRow).where(RunRow.id == run_id).values(state=state.value, **values)
        with self._writing() as s:
            update_one(s, stmt, "run", run_id)

    def request_cancel(self, run_id: str) -> RunRecord:
        """Ask for a run to stop: CANCELING, or CANCELED at once if no worker has it yet.

        A final run is left as it is. The worker running it sees CANCELING through `get_run`.
        """
        with self._writing() as s:
            row = s.get(RunRow, run_id, with_for_update=True)
            if row is None:
                raise NotFoundError(f"run {run_id!r} not found")
            state = RunState(row.state)
            if state is RunState.PENDING and row.claimed_by is None:
                row.state = RunState.CANCELED.value
                row.finished_at = _common.now()
            elif not state.is_final:
                row.state = RunState.CANCELING.value
            return _convert.run_record(row)

    def archive_run(self, run_id: str) -> None:
        """Hide a run from default lists (storage_state ARCHIVED); it keeps running if it runs."""
        stmt = update(RunRow).where(RunRow.id == run_id)
        with self._writing() as s:
            update_one(s, stmt.values(storage_state=StorageState.ARCHIVED.value), "run", run_id)

    def unarchive_run(self, run_id: str) -> None:
        """Make an archived run AVAILABLE again; refused while its experiment is archived."""
        with self._writing() as s:
            found = s.execute(
                select(RunRow.id, ExperimentRow.display_name, ExperimentRow.storage_state)
                .outerjoin(ExperimentRow, ExperimentRow.id == RunRow.experiment_id)
                .where(RunRow.id == run_id)
            ).one_or_none()
            if found is None:
                raise NotFoundError(f"run {run_id!r} not found")
            if found.storage_state == StorageState.ARCHIVED.value:
                raise ConflictError(
                    f"run {run_id!r} is in the archived experiment {found.display_name!r}",
                    "unarchive the experiment first",
                )
            stmt = update(RunRow).where(RunRow.id == run_id)
            s.execute(stmt.values(storage_state=StorageState.AVAILABLE.value))

    def delete_run(self, run_id: str) -> None:
        """Delete a run with its tasks, attempts, lineage events and artifacts.

        Artifacts that tasks of other runs also use (cache hits, importers) are kept, detached
        from the run (run_id None), so the other runs' lineage stays whole.
        """
        tasks = select(TaskRow.id).where(TaskRow.run_id == run_id)
        shared = (
            select(ArtifactEventRow.artifact_id)
            .join(TaskRow, TaskRow.id == ArtifactEventRow.task_id)
            .where(TaskRow.run_id != run_id)
        )
        own = ArtifactRow.run_id == run_id
        with self._writing() as s:
            require(s, RunRow.id, run_id, "run")
            s.execute(delete(ArtifactEventRow).where(ArtifactEventRow.task_id.in_(tasks)))
            keep = list(s.scalars(select(ArtifactRow.id).where(own, ArtifactRow.id.in_(shared))))
            if keep:
                detach = update(ArtifactRow).where(ArtifactRow.id.in_(keep))
                s.execute(detach.values(run_id=None, producer_task_id=None))
            s.execute(delete(ArtifactRow).where(own))
            s.execute(delete(AttemptRow).where(AttemptRow.run_id == run_id))
            s.execute(delete(TaskRow).where(TaskRow.run_id == run_id))
            s.execute(delete(RunRow).where(RunRow.id == run_id))


def _resolve_prefix(s: Session, prefix: str) -> str:
    """The one run id starting with `prefix`."""
    if len(prefix) < MIN_PREFIX or not _ID_CHARS.match(prefix):
        raise NotFoundError(
            f"run {prefix!r} not found", f"give the full id or at least {MIN_PREFIX} characters"
        )
    ids = list(s.scalars(select(RunRow.id).where(RunRow.id.startswith(prefix)).limit(100)))
    if not ids:
        raise NotFoundError(f"run {prefix!r} not found", "list runs with `headrace runs list`")
    if len(ids) > 1:
        raise HeadraceError(
            f"run id prefix {prefix!r} is ambiguous: matches {len(ids)} runs",
            "give more characters of the id",
        )
    return ids[0]
