"""Artifacts, the lineage events that tie them to tasks, and cache lookups."""

from __future__ import annotations

from sqlalchemy import Select, select

from headrace.errors import NotFoundError
from headrace.states import TaskKind, TaskState
from headrace.store import _common, _convert
from headrace.store._common import StoreBase
from headrace.store._schema import ArtifactEventRow, ArtifactRow, RunRow, TaskRow
from headrace.store.records import (
    ArtifactLink,
    ArtifactRecord,
    LineageRecord,
    NewArtifact,
    TaskRecord,
)

DIRECTIONS = ("INPUT", "OUTPUT")

# Tasks that really produce or consume artifacts; DAG-like tasks only pass them through.
_LEAF_KINDS = (TaskKind.CONTAINER.value, TaskKind.IMPORTER.value)


class ArtifactsMixin(StoreBase):
    def create_artifact(self, new: NewArtifact) -> ArtifactRecord:
        row = ArtifactRow(
            id=_common.new_id(),
            run_id=new.run_id,
            name=new.name,
            uri=new.uri,
            schema_title=new.schema_title,
            schema_version=new.schema_version,
            metadata_=new.metadata,
            producer_task_id=new.producer_task_id,
            created_at=_common.now(),
        )
        with self._writing() as s:
            s.add(row)
            s.flush()  # in a batch, rows must reach the database in the order they are made
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
        with self._writing() as s:
            s.add(row)
            s.flush()  # in a batch, rows must reach the database in the order they are made

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

    def get_artifact(self, artifact_id: str) -> ArtifactRecord:
        with self._read.begin() as s:
            row = s.scalars(select(ArtifactRow).where(ArtifactRow.id == artifact_id)).first()
            if row is None:
                raise NotFoundError(f"artifact {artifact_id!r} not found")
            return _convert.artifact_record(row)

    def artifact_links(self, artifact_id: str) -> list[ArtifactLink]:
        """The container and importer tasks that produced (OUTPUT first) and consumed it."""
        stmt = (
            select(ArtifactEventRow, TaskRow.name, TaskRow.run_id, RunRow.namespace)
            .join(TaskRow, TaskRow.id == ArtifactEventRow.task_id)
            .join(RunRow, RunRow.id == TaskRow.run_id)
            .where(ArtifactEventRow.artifact_id == artifact_id, TaskRow.kind.in_(_LEAF_KINDS))
            .order_by(ArtifactEventRow.direction.desc(), ArtifactEventRow.seq)
        )
        with self._read.begin() as s:
            return [
                ArtifactLink(
                    task_id=event.task_id,
                    task_name=name,
                    run_id=run_id,
                    namespace=namespace,
                    direction=event.direction,
                    key=event.key,
                    position=event.position,
                )
                for event, name, run_id, namespace in s.execute(stmt)
            ]

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

    def run_output_events(self, run_id: str) -> list[LineageRecord]:
        """What a run's tasks produced, cache hits included (their artifacts belong to the
        run that made them), in task then key order."""
        stmt = (
            _events()
            .join(TaskRow, TaskRow.id == ArtifactEventRow.task_id)
            .where(TaskRow.run_id == run_id, ArtifactEventRow.direction == "OUTPUT")
            .order_by(TaskRow.seq, ArtifactEventRow.key, ArtifactEventRow.position)
        )
        return self._lineage(stmt)

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


def _events() -> Select[ArtifactEventRow, ArtifactRow]:
    return select(ArtifactEventRow, ArtifactRow).join(
        ArtifactRow, ArtifactRow.id == ArtifactEventRow.artifact_id
    )
