"""Experiments: named groups of runs and recurring runs in a namespace."""

from __future__ import annotations

from sqlalchemy import delete, select, true, update
from sqlalchemy.orm import Session

from headrace.errors import ConflictError, NotFoundError
from headrace.store import _common, _convert
from headrace.store._common import (
    StoreBase,
    ensure_namespace,
    insert_if_absent,
    insert_unique,
    update_one,
)
from headrace.store._listing import Field, Listing, fetch_page
from headrace.store._schema import ExperimentRow, RecurringRunRow, RunRow
from headrace.store.records import (
    DEFAULT_EXPERIMENT,
    ExperimentRecord,
    ListQuery,
    Page,
    StorageState,
)

_ID = Field(ExperimentRow.id)
_NAME = Field(ExperimentRow.display_name, sortable=True)
EXPERIMENT_LISTING = Listing(
    resource="experiments",
    entity=ExperimentRow,
    namespace_column=ExperimentRow.namespace,
    fields={
        "id": _ID,
        "experiment_id": _ID,
        "display_name": _NAME,
        "name": _NAME,
        "description": Field(ExperimentRow.description),
        "created_at": Field(ExperimentRow.created_at, "timestamp", sortable=True),
        "last_run_created_at": Field(
            ExperimentRow.last_run_created_at, "timestamp", sortable=True, nullable=True
        ),
        "storage_state": Field(ExperimentRow.storage_state),
    },
)


class ExperimentsMixin(StoreBase):
    def ensure_experiment(self, namespace: str, display_name: str) -> str:
        """The id of the experiment with this name in the namespace, created if missing."""
        stmt = select(ExperimentRow.id).where(
            ExperimentRow.namespace == namespace, ExperimentRow.display_name == display_name
        )
        with self._read.begin() as s:
            existing = s.scalar(stmt)
        if existing is not None:  # the common case needs no write lock
            return existing
        with self._writing() as s:
            found = s.scalar(stmt)
            if found is not None:
                return found
            row = _new_row(s, namespace, display_name, "")
            if insert_if_absent(s, row):
                return row.id
            return s.scalars(stmt).one()

    def default_experiment(self, namespace: str) -> ExperimentRecord:
        """The namespace's "Default" experiment, created if missing (as Kubeflow does)."""
        return self.get_experiment(self.ensure_experiment(namespace, DEFAULT_EXPERIMENT))

    def create_experiment(
        self, namespace: str, display_name: str, description: str = ""
    ) -> ExperimentRecord:
        """A new experiment; its name must be new in the namespace."""
        with self._writing() as s:
            row = _new_row(s, namespace, display_name, description)
            conflict = ConflictError(
                f"an experiment named {display_name!r} already exists in namespace {namespace!r}",
                "choose another name",
            )
            insert_unique(s, row, conflict)
        return _convert.experiment_record(row)

    def get_experiment(self, experiment_id: str) -> ExperimentRecord:
        with self._read.begin() as s:
            return _convert.experiment_record(_experiment(s, experiment_id))

    def find_experiment(self, namespace: str, display_name: str) -> ExperimentRecord | None:
        """The experiment with this name in the namespace, if there is one."""
        stmt = select(ExperimentRow).where(
            ExperimentRow.namespace == namespace, ExperimentRow.display_name == display_name
        )
        with self._read.begin() as s:
            row = s.scalars(stmt).one_or_none()
            return None if row is None else _convert.experiment_record(row)

    def list_experiments(self, query: ListQuery) -> Page[ExperimentRecord]:
        """One page of experiments; sortable by last_run_created_at too (Kubeflow #10884)."""
        with self._read.begin() as s:
            rows, token, total = fetch_page(s, EXPERIMENT_LISTING, query)
            return Page([_convert.experiment_record(r) for r in rows], token, total)

    def archive_experiment(self, experiment_id: str) -> None:
        """Archive an experiment and all its runs, and disable its recurring runs (as Kubeflow)."""
        archived = StorageState.ARCHIVED.value
        with self._writing() as s:
            stmt = update(ExperimentRow).where(ExperimentRow.id == experiment_id)
            update_one(s, stmt.values(storage_state=archived), "experiment", experiment_id)
            runs = update(RunRow).where(RunRow.experiment_id == experiment_id)
            s.execute(runs.values(storage_state=archived))
            _disable_recurring_runs(s, experiment_id)

    def unarchive_experiment(self, experiment_id: str) -> None:
        """Make the experiment AVAILABLE; its runs stay archived until unarchived one by one."""
        stmt = update(ExperimentRow).where(ExperimentRow.id == experiment_id)
        with self._writing() as s:
            available = StorageState.AVAILABLE.value
            update_one(s, stmt.values(storage_state=available), "experiment", experiment_id)

    def delete_experiment(self, experiment_id: str) -> None:
        """Delete an experiment, keeping its runs and recurring runs, as Kubeflow does.

        Its runs stay readable, archived and without an experiment; its recurring runs are
        disabled and left without an experiment.
        """
        with self._writing() as s:
            _experiment(s, experiment_id)
            runs = update(RunRow).where(RunRow.experiment_id == experiment_id)
            s.execute(runs.values(storage_state=StorageState.ARCHIVED.value, experiment_id=None))
            _disable_recurring_runs(s, experiment_id)
            recurring = update(RecurringRunRow).where(
                RecurringRunRow.experiment_id == experiment_id
            )
            s.execute(recurring.values(experiment_id=None))
            s.execute(delete(ExperimentRow).where(ExperimentRow.id == experiment_id))


def _experiment(s: Session, experiment_id: str) -> ExperimentRow:
    row = s.get(ExperimentRow, experiment_id)
    if row is None:
        raise NotFoundError(f"experiment {experiment_id!r} not found")
    return row


def _new_row(s: Session, namespace: str, display_name: str, description: str) -> ExperimentRow:
    ensure_namespace(s, namespace)
    return ExperimentRow(
        id=_common.new_id(),
        namespace=namespace,
        display_name=display_name,
        description=description,
        created_at=_common.now(),
        storage_state=StorageState.AVAILABLE.value,
        last_run_created_at=None,
    )


def _disable_recurring_runs(s: Session, experiment_id: str) -> None:
    stmt = update(RecurringRunRow).where(
        RecurringRunRow.experiment_id == experiment_id, RecurringRunRow.enabled == true()
    )
    s.execute(stmt.values(enabled=False, updated_at=_common.now()))
