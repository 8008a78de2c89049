"""The Store: every read and write of Headrace's state, one short transaction per call."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, cast

from sqlalchemy import CursorResult, Engine, Select, Update, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from headrace.errors import ConfigError, HeadraceError, NotFoundError
from headrace.states import AttemptState, RunState, TaskState
from headrace.store import _convert
from headrace.store._engine import SQLITE_BEGIN_OPTION, make_engine, parse_url, safe_url
from headrace.store._migrate import upgrade
from headrace.store._schema import (
    ArtifactEventRow,
    ArtifactRow,
    AttemptRow,
    ExperimentRow,
    NamespaceRow,
    PipelineVersionRow,
    RunRow,
    TaskRow,
)
from headrace.store.records import (
    ArtifactRecord,
    AttemptRecord,
    LineageRecord,
    NewArtifact,
    NewRun,
    NewTask,
    RunRecord,
    TaskRecord,
    TaskUpdate,
)

MIN_PREFIX = 4
DIRECTIONS = ("INPUT", "OUTPUT")
_ID_CHARS = re.compile(r"^[0-9a-f-]+$")


def _now() -> datetime:
    return datetime.now(UTC)


def _new_id() -> str:
    return str(uuid.uuid4())


class Store:
    """Typed access to runs, tasks, attempts, artifacts and lineage in one SQL database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._read = sessionmaker(engine, expire_on_commit=False)
        writer = engine
        if engine.dialect.name == "sqlite":
            writer = engine.execution_options(**{SQLITE_BEGIN_OPTION: "IMMEDIATE"})
        self._write = sessionmaker(writer, expire_on_commit=False)

    @classmethod
    def connect(cls, url: str) -> Store:
        """Open the database at `url` and migrate it to the newest schema."""
        parsed = parse_url(url)
        engine = make_engine(parsed)
        try:
            upgrade(engine)
        except OperationalError as exc:
            engine.dispose()
            raise ConfigError(
                f"cannot open the database {safe_url(parsed)!r}: {exc.orig}",
                "check that the server is running and the URL, user and database are right",
            ) from exc
        return cls(engine)

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # runs

    def create_run(self, new: NewRun) -> RunRecord:
        """Record a new PENDING run."""
        now = _now()
        row = RunRow(
            id=_new_id(),
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
            storage_state="AVAILABLE",
        )
        with self._write.begin() as s:
            _ensure_namespace(s, new.namespace)
            if new.pipeline_version_id is not None:
                _require(s, PipelineVersionRow.id, new.pipeline_version_id, "pipeline version")
            if new.experiment_id is not None:
                stmt = update(ExperimentRow).where(ExperimentRow.id == new.experiment_id)
                _update_one(
                    s, stmt.values(last_run_created_at=now), "experiment", new.experiment_id
                )
            s.add(row)
        return _convert.run_record(row)

    def get_run(self, run_id: str) -> RunRecord:
        """The run with this id, or with the one id that starts with it (at least 4 characters)."""
        with self._read.begin() as s:
            row = s.get(RunRow, run_id)
            if row is None:
                row = s.get(RunRow, _resolve_prefix(s, run_id))
            assert row is not None
            return _convert.run_record(row)

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
        with self._write.begin() as s:
            _update_one(s, stmt, "run", run_id)

    # tasks

    def create_task(self, new: NewTask) -> TaskRecord:
        """Record one task."""
        return self.create_tasks([new])[0]

    def create_tasks(self, news: Sequence[NewTask]) -> list[TaskRecord]:
        """Record many tasks in one transaction, in the given order."""
        now = _now()
        values = [_task_values(new, now) for new in news]
        if values:
            with self._write.begin() as s:
                s.execute(insert(TaskRow), values)
        return [_convert.new_task_record(v) for v in values]

    def update_task(self, task_id: str, update_: TaskUpdate) -> None:
        """Change the fields of a task that `update_` gives (not None)."""
        values = {k: v for k, v in _update_values(update_).items() if v is not None}
        with self._write.begin() as s:
            if values:
                stmt = update(TaskRow).where(TaskRow.id == task_id).values(**values)
                _update_one(s, stmt, "task", task_id)
            else:
                _require(s, TaskRow.id, task_id, "task")

    def get_task(self, task_id: str) -> TaskRecord:
        with self._read.begin() as s:
            row = s.scalars(select(TaskRow).where(TaskRow.id == task_id)).one_or_none()
            if row is None:
                raise NotFoundError(f"task {task_id!r} not found")
            return _convert.task_record(row)

    def list_tasks(self, run_id: str) -> list[TaskRecord]:
        """A run's tasks in creation order."""
        # Plain rows, not ORM objects: a run can have tens of thousands of tasks.
        table = TaskRow.__table__
        stmt = select(table).where(table.c.run_id == run_id).order_by(table.c.seq)
        with self._read.begin() as s:
            return [_convert.task_record(row) for row in s.execute(stmt)]

    # attempts

    def create_attempt(
        self, task_id: str, run_id: str, number: int, log_path: str
    ) -> AttemptRecord:
        """Record a RUNNING attempt that starts now."""
        row = AttemptRow(
            id=_new_id(),
            task_id=task_id,
            run_id=run_id,
            number=number,
            state=AttemptState.RUNNING.value,
            exit_code=None,
            log_path=log_path,
            error=None,
            started_at=_now(),
            finished_at=None,
        )
        with self._write.begin() as s:
            s.add(row)
        return _convert.attempt_record(row)

    def finish_attempt(
        self, attempt_id: str, state: AttemptState, exit_code: int | None, error: str | None
    ) -> None:
        """Close an attempt now with its outcome."""
        stmt = (
            update(AttemptRow)
            .where(AttemptRow.id == attempt_id)
            .values(state=state.value, exit_code=exit_code, error=error, finished_at=_now())
        )
        with self._write.begin() as s:
            _update_one(s, stmt, "attempt", attempt_id)

    def list_attempts(
        self, *, run_id: str | None = None, task_id: str | None = None
    ) -> list[AttemptRecord]:
        """Attempts of a run or a task, by task creation order then attempt number."""
        if run_id is None and task_id is None:
            raise ValueError("list_attempts needs run_id or task_id")
        stmt = select(AttemptRow).join(TaskRow, TaskRow.id == AttemptRow.task_id)
        if run_id is not None:
            stmt = stmt.where(AttemptRow.run_id == run_id)
        if task_id is not None:
            stmt = stmt.where(AttemptRow.task_id == task_id)
        with self._read.begin() as s:
            rows = s.scalars(stmt.order_by(TaskRow.seq, AttemptRow.number))
            return [_convert.attempt_record(row) for row in rows]

    # artifacts and lineage

    def create_artifact(self, new: NewArtifact) -> ArtifactRecord:
        row = ArtifactRow(
            id=_new_id(),
            run_id=new.run_id,
            name=new.name,
            uri=new.uri,
            schema_title=new.schema_title,
            schema_version=new.schema_version,
            metadata_=new.metadata,
            producer_task_id=new.producer_task_id,
            created_at=_now(),
        )
        with self._write.begin() as s:
            s.add(row)
        return _convert.artifact_record(row)

    def record_event(
        self, task_id: str, artifact_id: str, direction: str, key: str, position: int
    ) -> None:
        """Record that a task consumed (INPUT) or produced (OUTPUT) an artifact under `key`."""
        if direction not in DIRECTIONS:
            raise ValueError(f"direction must be INPUT or OUTPUT, not {direction!r}")
        row = ArtifactEventRow(
            task_id=task_id,
            artifact_id=artifact_id,
            direction=direction,
            key=key,
            position=position,
        )
        with self._write.begin() as s:
            s.add(row)

    def find_artifact_by_uri(self, uri: str, schema_title: str) -> ArtifactRecord | None:
        """The newest artifact recorded at this URI with this type (importers with reimport off)."""
        stmt = (
            select(ArtifactRow)
            .where(ArtifactRow.uri == uri, ArtifactRow.schema_title == schema_title)
            .order_by(ArtifactRow.seq.desc())
            .limit(1)
        )
        with self._read.begin() as s:
            row = s.scalars(stmt).first()
            return _convert.artifact_record(row) if row is not None else None

    def list_artifacts(self, run_id: str) -> list[ArtifactRecord]:
        """A run's artifacts in creation order."""
        stmt = select(ArtifactRow).where(ArtifactRow.run_id == run_id).order_by(ArtifactRow.seq)
        with self._read.begin() as s:
            return [_convert.artifact_record(row) for row in s.scalars(stmt)]

    def task_events(self, task_id: str, direction: str | None = None) -> list[LineageRecord]:
        """What a task consumed and produced, by key then position."""
        stmt = _events().where(ArtifactEventRow.task_id == task_id)
        if direction is not None:
            stmt = stmt.where(ArtifactEventRow.direction == direction)
        order = (ArtifactEventRow.key, ArtifactEventRow.position, ArtifactEventRow.seq)
        return self._lineage(stmt.order_by(*order))

    def artifact_events(self, artifact_id: str) -> list[LineageRecord]:
        """Who produced an artifact (OUTPUT first) and who consumed it."""
        stmt = _events().where(ArtifactEventRow.artifact_id == artifact_id)
        return self._lineage(stmt.order_by(ArtifactEventRow.direction.desc(), ArtifactEventRow.seq))

    def _lineage(self, stmt: Select[ArtifactEventRow, ArtifactRow]) -> list[LineageRecord]:
        with self._read.begin() as s:
            return [
                LineageRecord(
                    task_id=event.task_id,
                    artifact=_convert.artifact_record(artifact),
                    direction=event.direction,
                    key=event.key,
                    position=event.position,
                )
                for event, artifact in s.execute(stmt)
            ]

    # cache

    def find_cache_hit(
        self, fingerprint: str, pipeline_name: str, namespace: str
    ) -> TaskRecord | None:
        """The newest SUCCEEDED task with this fingerprint in a run of the same pipeline."""
        stmt = (
            select(TaskRow)
            .join(RunRow, RunRow.id == TaskRow.run_id)
            .where(
                TaskRow.cache_fingerprint == fingerprint,
                TaskRow.state == TaskState.SUCCEEDED.value,
                RunRow.pipeline_name == pipeline_name,
                RunRow.namespace == namespace,
            )
            .order_by(TaskRow.seq.desc())
            .limit(1)
        )
        with self._read.begin() as s:
            row = s.scalars(stmt).first()
            return None if row is None else _convert.task_record(row)

    # experiments

    def ensure_experiment(self, namespace: str, display_name: str) -> str:
        """The id of the experiment with this name in the namespace, created if missing."""
        stmt = select(ExperimentRow.id).where(
            ExperimentRow.namespace == namespace, ExperimentRow.display_name == display_name
        )
        with self._write.begin() as s:
            found = s.scalar(stmt)
            if found is not None:
                return found
            _ensure_namespace(s, namespace)
            row = ExperimentRow(
                id=_new_id(),
                namespace=namespace,
                display_name=display_name,
                description="",
                created_at=_now(),
                storage_state="ACTIVE",
            )
            if _insert_if_absent(s, row):
                return row.id
            return s.scalars(stmt).one()


def _task_values(new: NewTask, now: datetime) -> dict[str, Any]:
    return {
        "id": _new_id(),
        "run_id": new.run_id,
        "parent_id": new.parent_id,
        "name": new.name,
        "path": new.path,
        "kind": new.kind.value,
        "component_name": new.component_name,
        "iteration_index": new.iteration_index,
        "iteration_count": None,
        "state": new.state.value,
        "inputs": {},
        "outputs": {},
        "error": None,
        "cache_fingerprint": None,
        "cached_from_task_id": None,
        "image": None,
        "command": None,
        "attempt_count": 0,
        "created_at": now,
        "started_at": None,
        "finished_at": None,
    }


def _update_values(update_: TaskUpdate) -> dict[str, Any]:
    return {
        "state": None if update_.state is None else update_.state.value,
        "inputs": update_.inputs,
        "outputs": update_.outputs,
        "error": update_.error,
        "cache_fingerprint": update_.cache_fingerprint,
        "cached_from_task_id": update_.cached_from_task_id,
        "image": update_.image,
        "command": update_.command,
        "attempt_count": update_.attempt_count,
        "iteration_count": update_.iteration_count,
        "started_at": update_.started_at,
        "finished_at": update_.finished_at,
    }


def _events() -> Select[ArtifactEventRow, ArtifactRow]:
    return select(ArtifactEventRow, ArtifactRow).join(
        ArtifactRow, ArtifactRow.id == ArtifactEventRow.artifact_id
    )


def _update_one(s: Session, stmt: Update, what: str, id_: str) -> None:
    """Run an UPDATE of one row by id, or say that the row does not exist."""
    result = cast(CursorResult[Any], s.execute(stmt.execution_options(synchronize_session=False)))
    if result.rowcount == 0:
        raise NotFoundError(f"{what} {id_!r} not found")


def _require(s: Session, column: Any, value: str, what: str) -> None:
    if s.scalar(select(column).where(column == value)) is None:
        raise NotFoundError(f"{what} {value!r} not found")


def _insert_if_absent(s: Session, row: object) -> bool:
    """Insert `row` unless a concurrent writer inserted the same key first."""
    try:
        with s.begin_nested():
            s.add(row)
        return True
    except IntegrityError:
        return False


def _ensure_namespace(s: Session, name: str) -> None:
    if s.get(NamespaceRow, name) is None:
        _insert_if_absent(s, NamespaceRow(name=name, created_at=_now()))


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
