"""The tables, as SQLAlchemy declarative models; `migrations/` must create exactly these."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from headrace.store._types import (
    MYSQL_TABLE_ARGS,
    NAME_LENGTH,
    NAMESPACE_LENGTH,
    UTCDateTime,
    id_type,
    json_type,
    state_type,
)

# Explicit names so that constraints are identical on every database and can be altered later.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# A surrogate counter that gives tasks and artifacts a stable creation order (uuids do not).
SEQ_TYPE = BigInteger().with_variant(Integer(), "sqlite")
TASK_PATH_LENGTH = 512


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class NamespaceRow(Base):
    __tablename__ = "namespaces"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    name: Mapped[str] = mapped_column(String(NAMESPACE_LENGTH), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ExperimentRow(Base):
    __tablename__ = "experiments"
    __table_args__ = (
        UniqueConstraint("namespace", "display_name"),
        Index(None, "namespace", "created_at", "id"),
        Index(None, "namespace", "last_run_created_at", "id"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[str] = mapped_column(id_type(), primary_key=True)
    namespace: Mapped[str] = mapped_column(ForeignKey("namespaces.name"))
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text(), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    storage_state: Mapped[str] = mapped_column(state_type(), default="AVAILABLE")
    last_run_created_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class PipelineRow(Base):
    __tablename__ = "pipelines"
    __table_args__ = (
        UniqueConstraint("namespace", "display_name"),
        Index(None, "namespace", "created_at", "id"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[str] = mapped_column(id_type(), primary_key=True)
    namespace: Mapped[str] = mapped_column(ForeignKey("namespaces.name"))
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text(), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class PipelineVersionRow(Base):
    __tablename__ = "pipeline_versions"
    __table_args__ = (
        UniqueConstraint("pipeline_id", "display_name"),
        Index(None, "pipeline_id", "created_at", "id"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[str] = mapped_column(id_type(), primary_key=True)
    pipeline_id: Mapped[str] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text(), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    pipeline_spec: Mapped[dict[str, Any]] = mapped_column(json_type())
    platform_spec: Mapped[dict[str, Any] | None] = mapped_column(json_type())


class RecurringRunRow(Base):
    __tablename__ = "recurring_runs"
    __table_args__ = (
        Index(None, "namespace", "created_at", "id"),
        Index(None, "enabled", "next_fire_at"),
        Index(None, "experiment_id"),
        Index(None, "pipeline_id"),
        Index(None, "pipeline_version_id"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[str] = mapped_column(id_type(), primary_key=True)
    namespace: Mapped[str] = mapped_column(ForeignKey("namespaces.name"))
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    description: Mapped[str] = mapped_column(Text(), default="")
    experiment_id: Mapped[str | None] = mapped_column(
        ForeignKey("experiments.id", ondelete="SET NULL")
    )
    # No ON DELETE: a pipeline or version cannot be deleted while a schedule uses it.
    pipeline_id: Mapped[str | None] = mapped_column(ForeignKey("pipelines.id"))
    pipeline_version_id: Mapped[str | None] = mapped_column(ForeignKey("pipeline_versions.id"))
    pipeline_spec: Mapped[dict[str, Any] | None] = mapped_column(json_type())
    platform_spec: Mapped[dict[str, Any] | None] = mapped_column(json_type())
    parameters: Mapped[dict[str, Any]] = mapped_column(json_type())
    pipeline_root: Mapped[str | None] = mapped_column(Text())
    cron_schedule: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    interval_seconds: Mapped[int | None] = mapped_column(BigInteger())
    start_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    end_time: Mapped[datetime | None] = mapped_column(UTCDateTime())
    max_concurrency: Mapped[int] = mapped_column(Integer())
    no_catchup: Mapped[bool] = mapped_column(Boolean())
    enabled: Mapped[bool] = mapped_column(Boolean())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # Scheduler bookkeeping: when to look at this schedule next (None: never) and last trigger.
    next_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_fire_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Why the last trigger could not start its run; cleared when a trigger next starts one.
    error: Mapped[str | None] = mapped_column(Text())


class RunRow(Base):
    __tablename__ = "runs"
    # Every sort order of the run list has an index ending in id (the tie-breaker), so that a
    # page is an index range scan however many runs there are.
    __table_args__ = (
        Index(None, "namespace", "created_at", "id"),
        Index(None, "namespace", "display_name", "id"),
        Index(None, "namespace", "finished_at", "id"),
        Index(None, "namespace", "state", "id"),
        Index(None, "namespace", "storage_state", "id"),
        Index(None, "experiment_id", "created_at", "id"),
        Index(None, "experiment_id", "state", "id"),
        Index(None, "state", "created_at", "id"),
        Index(None, "created_at", "id"),
        Index(None, "pipeline_version_id"),
        # Two schedulers can never record the same trigger twice.
        UniqueConstraint("recurring_run_id", "scheduled_at"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[str] = mapped_column(id_type(), primary_key=True)
    namespace: Mapped[str] = mapped_column(ForeignKey("namespaces.name"))
    experiment_id: Mapped[str | None] = mapped_column(
        ForeignKey("experiments.id", ondelete="SET NULL")
    )
    pipeline_version_id: Mapped[str | None] = mapped_column(
        ForeignKey("pipeline_versions.id", ondelete="SET NULL")
    )
    display_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    pipeline_name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    pipeline_spec: Mapped[dict[str, Any]] = mapped_column(json_type())
    platform_spec: Mapped[dict[str, Any] | None] = mapped_column(json_type())
    parameters: Mapped[dict[str, Any]] = mapped_column(json_type())
    pipeline_root: Mapped[str] = mapped_column(Text())
    cache_enabled: Mapped[bool] = mapped_column(Boolean())
    state: Mapped[str] = mapped_column(state_type())
    error: Mapped[str | None] = mapped_column(Text())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    storage_state: Mapped[str] = mapped_column(state_type(), default="AVAILABLE")
    recurring_run_id: Mapped[str | None] = mapped_column(
        ForeignKey("recurring_runs.id", ondelete="SET NULL")
    )
    claimed_by: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    scheduled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class TaskRow(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        UniqueConstraint("id"),
        UniqueConstraint("run_id", "path"),
        Index(None, "cache_fingerprint", "state"),
        MYSQL_TABLE_ARGS,
    )

    seq: Mapped[int] = mapped_column(SEQ_TYPE, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(id_type())
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    # No foreign key: children may be written in the same batch as (or before) their parent.
    parent_id: Mapped[str | None] = mapped_column(id_type())
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    path: Mapped[str] = mapped_column(String(TASK_PATH_LENGTH))
    kind: Mapped[str] = mapped_column(state_type())
    component_name: Mapped[str | None] = mapped_column(String(NAME_LENGTH))
    iteration_index: Mapped[int | None] = mapped_column(Integer())
    iteration_count: Mapped[int | None] = mapped_column(Integer())
    state: Mapped[str] = mapped_column(state_type())
    inputs: Mapped[dict[str, Any]] = mapped_column(json_type())
    outputs: Mapped[dict[str, Any]] = mapped_column(json_type())
    error: Mapped[str | None] = mapped_column(Text())
    cache_fingerprint: Mapped[str | None] = mapped_column(String(128))
    cached_from_task_id: Mapped[str | None] = mapped_column(id_type())
    image: Mapped[str | None] = mapped_column(Text())
    command: Mapped[list[str] | None] = mapped_column(json_type())
    attempt_count: Mapped[int] = mapped_column(Integer(), default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AttemptRow(Base):
    __tablename__ = "attempts"
    __table_args__ = (
        UniqueConstraint("task_id", "number"),
        Index(None, "run_id"),
        MYSQL_TABLE_ARGS,
    )

    id: Mapped[str] = mapped_column(id_type(), primary_key=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    run_id: Mapped[str] = mapped_column(ForeignKey("runs.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer())
    state: Mapped[str] = mapped_column(state_type())
    exit_code: Mapped[int | None] = mapped_column(Integer())
    log_path: Mapped[str] = mapped_column(Text())
    log_uri: Mapped[str | None] = mapped_column(Text())
    error: Mapped[str | None] = mapped_column(Text())
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The task's process while the attempt runs on this machine (local and warm executors), so
    # a resumed run can stop what a dead Headrace process left running; `process_start` is the
    # start time from /proc (clock ticks after boot), which tells a reused pid apart.
    process_host: Mapped[str | None] = mapped_column(String(255))
    process_id: Mapped[int | None] = mapped_column(Integer())
    process_group: Mapped[int | None] = mapped_column(Integer())
    process_start: Mapped[int | None] = mapped_column(BigInteger())


class ArtifactRow(Base):
    __tablename__ = "artifacts"
    __table_args__ = (UniqueConstraint("id"), Index(None, "run_id"), MYSQL_TABLE_ARGS)

    seq: Mapped[int] = mapped_column(SEQ_TYPE, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(id_type())
    # NULL once its run is deleted while tasks of other runs (cache hits) still use it.
    run_id: Mapped[str | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    name: Mapped[str] = mapped_column(String(NAME_LENGTH))
    uri: Mapped[str] = mapped_column(Text())
    schema_title: Mapped[str] = mapped_column(String(NAME_LENGTH))
    schema_version: Mapped[str] = mapped_column(String(64))
    # `metadata` is reserved on declarative classes.
    metadata_: Mapped[dict[str, Any]] = mapped_column("metadata", json_type())
    producer_task_id: Mapped[str | None] = mapped_column(
        ForeignKey("tasks.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ArtifactEventRow(Base):
    __tablename__ = "artifact_events"
    __table_args__ = (
        Index(None, "task_id", "direction", "key", "position"),
        Index(None, "artifact_id"),
        MYSQL_TABLE_ARGS,
    )

    seq: Mapped[int] = mapped_column(SEQ_TYPE, primary_key=True, autoincrement=True)
    task_id: Mapped[str] = mapped_column(ForeignKey("tasks.id", ondelete="CASCADE"))
    artifact_id: Mapped[str] = mapped_column(ForeignKey("artifacts.id", ondelete="CASCADE"))
    direction: Mapped[str] = mapped_column(String(8))
    key: Mapped[str] = mapped_column(String(NAME_LENGTH))
    position: Mapped[int] = mapped_column(Integer())


class NamespaceStorageRow(Base):
    """A namespace's artifact settings override (its pipeline root, key prefix, endpoint)."""

    __tablename__ = "namespace_storage"
    __table_args__ = (MYSQL_TABLE_ARGS,)

    namespace: Mapped[str] = mapped_column(
        ForeignKey("namespaces.name", ondelete="CASCADE"), primary_key=True
    )
    pipeline_root: Mapped[str | None] = mapped_column(Text())
    key_prefix: Mapped[str | None] = mapped_column(Text())
    object_store: Mapped[dict[str, Any] | None] = mapped_column(json_type())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
