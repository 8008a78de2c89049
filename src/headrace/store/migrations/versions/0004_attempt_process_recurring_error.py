"""Attempts: the identity of the process that runs them (host, pid, process group, start time),
so a resumed run can stop a task its dead Headrace process left running; recurring runs: the
error of their last failed trigger.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("attempts") as batch:
        batch.add_column(sa.Column("process_host", sa.String(length=255), nullable=True))
        batch.add_column(sa.Column("process_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("process_group", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("process_start", sa.BigInteger(), nullable=True))
    with op.batch_alter_table("recurring_runs") as batch:
        batch.add_column(sa.Column("error", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("recurring_runs") as batch:
        batch.drop_column("error")
    with op.batch_alter_table("attempts") as batch:
        batch.drop_column("process_start")
        batch.drop_column("process_group")
        batch.drop_column("process_id")
        batch.drop_column("process_host")
