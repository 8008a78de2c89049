"""The initial schema: namespaces, experiments, pipelines, recurring runs, runs, tasks, attempts,
artifacts.

Revision ID: 0001
Revises:
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headrace.store import _types

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "namespaces",
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("created_at", _types.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_namespaces")),
        **_types.MYSQL_TABLE_ARGS,
    )
    op.create_table(
        "experiments",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("namespace", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", _types.UTCDateTime(), nullable=False),
        sa.Column("storage_state", sa.String(length=16), nullable=False),
        sa.Column("last_run_created_at", _types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["namespace"], ["namespaces.name"], name=op.f("fk_experiments_namespace_namespaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_experiments")),
        sa.UniqueConstraint(
            "namespace", "display_name", name=op.f("uq_experiments_namespace_display_name")
        ),
        **_types.MYSQL_TABLE_ARGS,
    )
    op.create_index(
        op.f("ix_experiments_namespace_created_at_id"),
        "experiments",
        ["namespace", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_experiments_namespace_last_run_created_at_id"),
        "experiments",
        ["namespace", "last_run_created_at", "id"],
        unique=False,
    )
    op.create_table(
        "pipelines",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("namespace", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", _types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["namespace"], ["namespaces.name"], name=op.f("fk_pipelines_namespace_namespaces")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipelines")),
        sa.UniqueConstraint(
            "namespace", "display_name", name=op.f("uq_pipelines_namespace_display_name")
        ),
        **_types.MYSQL_TABLE_ARGS,
    )
    op.create_index(
        op.f("ix_pipelines_namespace_created_at_id"),
        "pipelines",
        ["namespace", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "pipeline_versions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("pipeline_id", sa.String(length=36), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("created_at", _types.UTCDateTime(), nullable=False),
        sa.Column("pipeline_spec", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("platform_spec", sa.JSON(none_as_null=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["pipeline_id"],
            ["pipelines.id"],
            name=op.f("fk_pipeline_versions_pipeline_id_pipelines"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pipeline_versions")),
        sa.UniqueConstraint(
            "pipeline_id",
            "display_name",
            name=op.f("uq_pipeline_versions_pipeline_id_display_name"),
        ),
        **_types.MYSQL_TABLE_ARGS,
    )
    op.create_index(
        op.f("ix_pipeline_versions_pipeline_id_created_at_id"),
        "pipeline_versions",
        ["pipeline_id", "created_at", "id"],
        unique=False,
    )
    op.create_table(
        "recurring_runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("namespace", sa.String(length=128), nullable=False),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("experiment_id", sa.String(length=36), nullable=True),
        sa.Column("pipeline_id", sa.String(length=36), nullable=True),
        sa.Column("pipeline_version_id", sa.String(length=36), nullable=True),
        sa.Column("pipeline_spec", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("platform_spec", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("parameters", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("pipeline_root", sa.Text(), nullable=True),
        sa.Column("cron_schedule", sa.String(length=255), nullable=True),
        sa.Column("interval_seconds", sa.BigInteger(), nullable=True),
        sa.Column("start_time", _types.UTCDateTime(), nullable=True),
        sa.Column("end_time", _types.UTCDateTime(), nullable=True),
        sa.Column("max_concurrency", sa.Integer(), nullable=False),
        sa.Column("no_catchup", sa.Boolean(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("created_at", _types.UTCDateTime(), nullable=False),
        sa.Column("updated_at", _types.UTCDateTime(), nullable=False),
        sa.Column("next_fire_at", _types.UTCDateTime(), nullable=True),
        sa.Column("last_fire_at", _types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_recurring_runs_experiment_id_experiments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["namespace"], ["namespaces.name"], name=op.f("fk_recurring_runs_namespace_namespaces")
        ),
        sa.ForeignKeyConstraint(
            ["pipeline_id"], ["pipelines.id"], name=op.f("fk_recurring_runs_pipeline_id_pipelines")
        ),
        sa.ForeignKeyConstraint(
            ["pipeline_version_id"],
            ["pipeline_versions.id"],
            name=op.f("fk_recurring_runs_pipeline_version_id_pipeline_versions"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recurring_runs")),
        **_types.MYSQL_TABLE_ARGS,
    )
    op.create_index(
        op.f("ix_recurring_runs_enabled_next_fire_at"),
        "recurring_runs",
        ["enabled", "next_fire_at"],
        unique=False,
    )
    op.create_index(
        op.f("ix_recurring_runs_experiment_id"), "recurring_runs", ["experiment_id"], unique=False
    )
    op.create_index(
        op.f("ix_recurring_runs_namespace_created_at_id"),
        "recurring_runs",
        ["namespace", "created_at", "id"],
        unique=False,
    )
    op.create_index(
        op.f("ix_recurring_runs_pipeline_id"), "recurring_runs", ["pipeline_id"], unique=False
    )
    op.create_index(
        op.f("ix_recurring_runs_pipeline_version_id"),
        "recurring_runs",
        ["pipeline_version_id"],
        unique=False,
    )
    op.create_table(
        "runs",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("namespace", sa.String(length=128), nullable=False),
        sa.Column("experiment_id", sa.String(length=36), nullable=True),
        sa.Column("pipeline_version_id", sa.String(length=36), nullable=True),
        sa.Column("display_name", sa.String(length=255), nullable=False),
        sa.Column("pipeline_name", sa.String(length=255), nullable=False),
        sa.Column("pipeline_spec", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("platform_spec", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("parameters", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("pipeline_root", sa.Text(), nullable=False),
        sa.Column("cache_enabled", sa.Boolean(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", _types.UTCDateTime(), nullable=False),
        sa.Column("started_at", _types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", _types.UTCDateTime(), nullable=True),
        sa.Column("storage_state", sa.String(length=16), nullable=False),
        sa.Column("recurring_run_id", sa.String(length=36), nullable=True),
        sa.Column("claimed_by", sa.String(length=255), nullable=True),
        sa.Column("lease_expires_at", _types.UTCDateTime(), nullable=True),
        sa.Column("scheduled_at", _types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["experiment_id"],
            ["experiments.id"],
            name=op.f("fk_runs_experiment_id_experiments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["namespace"], ["namespaces.name"], name=op.f("fk_runs_namespace_namespaces")
        ),
        sa.ForeignKeyConstraint(
            ["pipeline_version_id"],
            ["pipeline_versions.id"],
            name=op.f("fk_runs_pipeline_version_id_pipeline_versions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recurring_run_id"],
            ["recurring_runs.id"],
            name=op.f("fk_runs_recurring_run_id_recurring_runs"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_runs")),
        sa.UniqueConstraint(
            "recurring_run_id", "scheduled_at", name=op.f("uq_runs_recurring_run_id_scheduled_at")
        ),
        **_types.MYSQL_TABLE_ARGS,
    )
    for columns in (
        ["created_at", "id"],
        ["experiment_id", "created_at", "id"],
        ["experiment_id", "state", "id"],
        ["namespace", "created_at", "id"],
        ["namespace", "display_name", "id"],
        ["namespace", "finished_at", "id"],
        ["namespace", "state", "id"],
        ["namespace", "storage_state", "id"],
        ["pipeline_version_id"],
        ["state", "created_at", "id"],
    ):
        op.create_index(op.f(f"ix_runs_{'_'.join(columns)}"), "runs", columns, unique=False)
    op.create_table(
        "tasks",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("parent_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("path", sa.String(length=512), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("component_name", sa.String(length=255), nullable=True),
        sa.Column("iteration_index", sa.Integer(), nullable=True),
        sa.Column("iteration_count", sa.Integer(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("inputs", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("outputs", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("cache_fingerprint", sa.String(length=128), nullable=True),
        sa.Column("cached_from_task_id", sa.String(length=36), nullable=True),
        sa.Column("image", sa.Text(), nullable=True),
        sa.Column("command", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("attempt_count", sa.Integer(), nullable=False),
        sa.Column("created_at", _types.UTCDateTime(), nullable=False),
        sa.Column("started_at", _types.UTCDateTime(), nullable=True),
        sa.Column("finished_at", _types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_tasks_run_id_runs"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_tasks")),
        sa.UniqueConstraint("id", name=op.f("uq_tasks_id")),
        sa.UniqueConstraint("run_id", "path", name=op.f("uq_tasks_run_id_path")),
        **_types.MYSQL_TABLE_ARGS,
    )
    op.create_index(
        op.f("ix_tasks_cache_fingerprint_state"),
        "tasks",
        ["cache_fingerprint", "state"],
        unique=False,
    )
    op.create_table(
        "artifacts",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=True),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("uri", sa.Text(), nullable=False),
        sa.Column("schema_title", sa.String(length=255), nullable=False),
        sa.Column("schema_version", sa.String(length=64), nullable=False),
        sa.Column("metadata", sa.JSON(none_as_null=True), nullable=False),
        sa.Column("producer_task_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", _types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["producer_task_id"],
            ["tasks.id"],
            name=op.f("fk_artifacts_producer_task_id_tasks"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_artifacts_run_id_runs"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_artifacts")),
        sa.UniqueConstraint("id", name=op.f("uq_artifacts_id")),
        **_types.MYSQL_TABLE_ARGS,
    )
    op.create_index(op.f("ix_artifacts_run_id"), "artifacts", ["run_id"], unique=False)
    op.create_table(
        "attempts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("run_id", sa.String(length=36), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("exit_code", sa.Integer(), nullable=True),
        sa.Column("log_path", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("started_at", _types.UTCDateTime(), nullable=False),
        sa.Column("finished_at", _types.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["run_id"], ["runs.id"], name=op.f("fk_attempts_run_id_runs"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["task_id"], ["tasks.id"], name=op.f("fk_attempts_task_id_tasks"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attempts")),
        sa.UniqueConstraint("task_id", "number", name=op.f("uq_attempts_task_id_number")),
        **_types.MYSQL_TABLE_ARGS,
    )
    op.create_index(op.f("ix_attempts_run_id"), "attempts", ["run_id"], unique=False)
    op.create_table(
        "artifact_events",
        sa.Column(
            "seq",
            sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
            autoincrement=True,
            nullable=False,
        ),
        sa.Column("task_id", sa.String(length=36), nullable=False),
        sa.Column("artifact_id", sa.String(length=36), nullable=False),
        sa.Column("direction", sa.String(length=8), nullable=False),
        sa.Column("key", sa.String(length=255), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["artifact_id"],
            ["artifacts.id"],
            name=op.f("fk_artifact_events_artifact_id_artifacts"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["task_id"],
            ["tasks.id"],
            name=op.f("fk_artifact_events_task_id_tasks"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_artifact_events")),
        **_types.MYSQL_TABLE_ARGS,
    )
    op.create_index(
        op.f("ix_artifact_events_artifact_id"), "artifact_events", ["artifact_id"], unique=False
    )
    op.create_index(
        op.f("ix_artifact_events_task_id_direction_key_position"),
        "artifact_events",
        ["task_id", "direction", "key", "position"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_table("artifact_events")
    op.drop_table("attempts")
    op.drop_table("artifacts")
    op.drop_table("tasks")
    op.drop_table("runs")
    op.drop_table("recurring_runs")
    op.drop_table("pipeline_versions")
    op.drop_table("pipelines")
    op.drop_table("experiments")
    op.drop_table("namespaces")
