"""Alembic environment: runs only on the connection that `headrace.store` hands it."""

from __future__ import annotations

from alembic import context

from headrace.store._migrate import VERSION_TABLE
from headrace.store._schema import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "Headrace migrations run on connect (Store.connect or headrace.store.upgrade), "
        "not from the alembic command line"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    version_table=VERSION_TABLE,
    # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
    render_as_batch=connection.dialect.name == "sqlite",
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
