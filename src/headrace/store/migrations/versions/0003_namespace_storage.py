"""Namespaces: their own pipeline root, key prefix and object-store endpoint
(`namespace_storage`).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from headrace.store import _types

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "namespace_storage",
        sa.Column("namespace", sa.String(length=128), nullable=False),
        sa.Column("pipeline_root", sa.Text(), nullable=True),
        sa.Column("key_prefix", sa.Text(), nullable=True),
        sa.Column("object_store", sa.JSON(none_as_null=True), nullable=True),
        sa.Column("updated_at", _types.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["namespace"],
            ["namespaces.name"],
            name=op.f("fk_namespace_storage_namespace_namespaces"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("namespace", name=op.f("pk_namespace_storage")),
        **_types.MYSQL_TABLE_ARGS,
    )


def downgrade() -> None:
    op.drop_table("namespace_storage")
