"""Recurring runs: schedules that the scheduler turns into runs, and its bookkeeping."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import func, select, true, update
from sqlalchemy.orm import Session

from headrace.errors import InvalidArgumentError, NotFoundError
from headrace.states import RunState
from headrace.store import _common, _convert
from headrace.store._common import StoreBase, ensure_namespace, require, update_one
from headrace.store._listing import Field, Listing, fetch_page
from headrace.store._schema import (
    ExperimentRow,
    PipelineRow,
    PipelineVersionRow,
    RecurringRunRow,
    RunRow,
)
from headrace.store.records import ListQuery, NewRecurringRun, Page, RecurringRunRecord

ACTIVE_STATES = (RunState.PENDING.value, RunState.RUNNING.value, RunState.CANCELING.value)

_ID = Field(RecurringRunRow.id)
_NAME = Field(RecurringRunRow.display_name, sortable=True)
RECURRING_LISTING = Listing(
    resource="recurring runs",
    entity=RecurringRunRow,
    namespace_column=RecurringRunRow.namespace,
    fields={
        "id": _ID,
        "recurring_run_id": _ID,
        "display_name": _NAME,
        "name": _NAME,
        "description": Field(RecurringRunRow.description),
        "created_at": Field(RecurringRunRow.created_at, "timestamp", sortable=True),
        "updated_at": Field(RecurringRunRow.updated_at, "timestamp"),
        "experiment_id": Field(RecurringRunRow.experiment_id),
        "pipeline_id": Field(RecurringRunRow.pipeline_id),
        "pipeline_version_id": Field(RecurringRunRow.pipeline_version_id),
        "enabled": Field(RecurringRunRow.enabled, "bool"),
    },
)


class RecurringMixin(StoreBase):
    def create_recurring_run(self, new: NewRecurringRun) -> RecurringRunRecord:
        """Record a schedule; the scheduler first looks at it at `new.next_fire_at` (or now).

        `next_fire_at` is when the scheduler should next consider the schedule (None: never); it
        computes real trigger times from the cron or interval and stores them with
        `set_recurring_fire_times`.
        """
        _validate(new)
        now = _common.now()
        with self._writing() as s:
            ensure_namespace(s, new.namespace)
            if new.experiment_id is not None:
                require(s, ExperimentRow.id, new.experiment_id, "experiment")
            pipeline_id = _pipeline_of(s, new)
            row = RecurringRunRow(
                id=_common.new_id(),
                namespace=new.namespace,
                display_name=new.display_name,
                description=new.description,
                experiment_id=new.experiment_id,
                pipeline_id=pipeline_id,
                pipeline_version_id=new.pipeline_version_id,
                pipeline_spec=new.pipeline_spec,
                platform_spec=new.platform_spec,
                parameters=new.parameters,
                pipeline_root=new.pipeline_root,
                cron_schedule=new.cron_schedule,
                interval_seconds=new.interval_seconds,
                start_time=new.start_time,
                end_time=new.end_time,
                max_concurrency=new.max_concurrency,
                no_catchup=new.no_catchup,
                enabled=new.enabled,
                created_at=now,
                updated_at=now,
                next_fire_at=new.next_fire_at or now,
                last_fire_at=None,
            )
            s.add(row)
        return _convert.recurring_run_record(row)

    def get_recurring_run(self, recurring_run_id: str) -> RecurringRunRecord:
        with self._read.begin() as s:
            row = s.get(RecurringRunRow, recurring_run_id)
            if row is None:
                raise NotFoundError(f"recurring run {recurring_run_id!r} not found")
            return _convert.recurring_run_record(row)

    def list_recurring_runs(
        self, query: ListQuery, experiment_id: str | None = None
    ) -> Page[RecurringRunRecord]:
        conditions = (
            [] if experiment_id is None else [RecurringRunRow.experiment_id == experiment_id]
        )
        with self._read.begin() as s:
            rows, token, total = fetch_page(
                s, RECURRING_LISTING, query, conditions, {"experiment_id": experiment_id}
            )
            return Page([_convert.recurring_run_record(r) for r in rows], token, total)

    def enable_recurring_run(self, recurring_run_id: str) -> None:
        """Enable a schedule and make it due now, so the scheduler plans its next trigger."""
        now = _common.now()
        values = {"enabled": True, "updated_at": now, "next_fire_at": now}
        self._update_recurring(recurring_run_id, values)

    def disable_recurring_run(self, recurring_run_id: str) -> None:
        self._update_recurring(recurring_run_id, {"enabled": False, "updated_at": _common.now()})

    def delete_recurring_run(self, recurring_run_id: str) -> None:
        """Delete a schedule; the runs it triggered stay, no longer linked to it."""
        with self._writing() as s:
            require(s, RecurringRunRow.id, recurring_run_id, "recurring run")
            runs = update(RunRow).where(RunRow.recurring_run_id == recurring_run_id)
            s.execute(runs.values(recurring_run_id=None))
            row = s.get(RecurringRunRow, recurring_run_id)
            s.delete(row)

    def due_recurring_runs(self, now: datetime) -> list[RecurringRunRecord]:
        """Enabled schedules whose `next_fire_at` has come, the longest-waiting first."""
        stmt = (
            select(RecurringRunRow)
            .where(RecurringRunRow.enabled == true(), RecurringRunRow.next_fire_at <= now)
            .order_by(RecurringRunRow.next_fire_at, RecurringRunRow.id)
        )
        with self._read.begin() as s:
            return [_convert.recurring_run_record(r) for r in s.scalars(stmt)]

    def set_recurring_fire_times(
        self, recurring_run_id: str, last_fire_at: datetime | None, next_fire_at: datetime | None
    ) -> None:
        """Record the scheduler's last trigger and when to look again (None: never)."""
        values = {"last_fire_at": last_fire_at, "next_fire_at": next_fire_at}
        self._update_recurring(recurring_run_id, values)

    def set_recurring_error(self, recurring_run_id: str, error: str | None) -> None:
        """Record why the last trigger could not start its run; None clears it."""
        self._update_recurring(recurring_run_id, {"error": error})

    def count_active_runs(self, recurring_run_id: str) -> int:
        """How many of the schedule's runs are PENDING, RUNNING or CANCELING."""
        stmt = select(func.count()).where(
            RunRow.recurring_run_id == recurring_run_id, RunRow.state.in_(ACTIVE_STATES)
        )
        with self._read.begin() as s:
            return s.scalar(stmt) or 0

    def _update_recurring(self, recurring_run_id: str, values: Mapping[str, object]) -> None:
        stmt = update(RecurringRunRow).where(RecurringRunRow.id == recurring_run_id)
        with self._writing() as s:
            update_one(s, stmt.values(**values), "recurring run", recurring_run_id)


def _validate(new: NewRecurringRun) -> None:
    if (new.cron_schedule is None) == (new.interval_seconds is None):
        raise InvalidArgumentError(
            f"recurring run {new.display_name!r} needs exactly one trigger",
            "give a cron schedule or an interval in seconds",
        )
    if new.cron_schedule is not None and not new.cron_schedule.strip():
        raise InvalidArgumentError(f"recurring run {new.display_name!r} has an empty cron")
    if new.interval_seconds is not None and new.interval_seconds <= 0:
        raise InvalidArgumentError(
            f"recurring run {new.display_name!r} has interval {new.interval_seconds}s",
            "give a positive number of seconds",
        )
    if new.max_concurrency < 1:
        raise InvalidArgumentError(
            f"recurring run {new.display_name!r} has max_concurrency {new.max_concurrency}",
            "give 1 or more",
        )
    if new.start_time and new.end_time and new.end_time < new.start_time:
        raise InvalidArgumentError(
            f"recurring run {new.display_name!r} ends ({new.end_time}) before it starts "
            f"({new.start_time})"
        )
    by_reference = new.pipeline_id is not None or new.pipeline_version_id is not None
    if (new.pipeline_spec is not None) == by_reference:
        raise InvalidArgumentError(
            f"recurring run {new.display_name!r} needs exactly one pipeline source",
            "give a pipeline spec, or a pipeline id with an optional version id",
        )


def _pipeline_of(s: Session, new: NewRecurringRun) -> str | None:
    """The pipeline id, checked against the version when both are given."""
    if new.pipeline_version_id is not None:
        version = s.get(PipelineVersionRow, new.pipeline_version_id)
        if version is None:
            raise NotFoundError(f"pipeline version {new.pipeline_version_id!r} not found")
        if new.pipeline_id is not None and new.pipeline_id != version.pipeline_id:
            raise InvalidArgumentError(
                f"pipeline version {new.pipeline_version_id!r} is not a version of pipeline "
                f"{new.pipeline_id!r}"
            )
        return version.pipeline_id
    if new.pipeline_id is not None:
        require(s, PipelineRow.id, new.pipeline_id, "pipeline")
    return new.pipeline_id
