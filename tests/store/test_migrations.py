from __future__ import annotations

import threading

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from headrace.store import Store
from headrace.store._migrate import VERSION_TABLE, alembic_config
from headrace.store._schema import Base

TABLES = {
    "namespaces",
    "experiments",
    "pipelines",
    "pipeline_versions",
    "runs",
    "tasks",
    "attempts",
    "artifacts",
    "artifact_events",
    VERSION_TABLE,
}


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            return context.get_current_revision()
    finally:
        engine.dispose()


def test_connect_creates_every_table_at_head(empty_db_url: str) -> None:
    Store.connect(empty_db_url).close()
    engine = create_engine(empty_db_url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES
    finally:
        engine.dispose()
    assert _revision(empty_db_url) == "0001"


def test_migrating_twice_is_a_no_op(empty_db_url: str) -> None:
    with Store.connect(empty_db_url) as first:
        first.ensure_experiment("default", "kept")
    with Store.connect(empty_db_url) as second:
        assert second.ensure_experiment("default", "kept") == first.ensure_experiment(
            "default", "kept"
        )
    assert _revision(empty_db_url) == "0001"


def test_migrations_create_exactly_the_models(empty_db_url: str) -> None:
    Store.connect(empty_db_url).close()
    engine = create_engine(empty_db_url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"version_table": VERSION_TABLE, "compare_type": True}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


def test_downgrade_to_base_and_upgrade_again(empty_db_url: str) -> None:
    Store.connect(empty_db_url).close()
    engine = create_engine(empty_db_url)
    config = alembic_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.downgrade(config, "base")
        assert set(inspect(engine).get_table_names()) <= {VERSION_TABLE}
    finally:
        engine.dispose()
    Store.connect(empty_db_url).close()
    assert _revision(empty_db_url) == "0001"


def test_processes_connecting_at_once_migrate_once(empty_db_url: str) -> None:
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def connect() -> None:
        try:
            barrier.wait()
            Store.connect(empty_db_url).close()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=connect) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert _revision(empty_db_url) == "0001"
