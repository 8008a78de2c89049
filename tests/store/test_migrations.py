from __future__ import annotations

import threading

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text

from headrace.store import Store
from headrace.store._migrate import VERSION_TABLE, _head_revision, alembic_config
from headrace.store._schema import Base

# The newest revision in the history; every test below expects a store migrated to it.
HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()

TABLES = {
    "namespaces",
    "experiments",
    "pipelines",
    "pipeline_versions",
    "recurring_runs",
    "runs",
    "tasks",
    "attempts",
    "artifacts",
    "artifact_events",
    "namespace_storage",
    VERSION_TABLE,
}


def _revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"version_table": VERSION_TABLE})
            revision: str | None = context.get_current_revision()
            return revision
    finally:
        engine.dispose()


def test_connect_creates_every_table_at_head(empty_db_url: str) -> None:
    Store.connect(empty_db_url).close()
    engine = create_engine(empty_db_url)
    try:
        assert set(inspect(engine).get_table_names()) == TABLES
    finally:
        engine.dispose()
    assert _revision(empty_db_url) == HEAD


def test_migrating_twice_is_a_no_op(empty_db_url: str) -> None:
    with Store.connect(empty_db_url) as first:
        first.ensure_experiment("default", "kept")
    with Store.connect(empty_db_url) as second:
        assert second.ensure_experiment("default", "kept") == first.ensure_experiment(
            "default", "kept"
        )
    assert _revision(empty_db_url) == HEAD


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
    assert _revision(empty_db_url) == HEAD


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
    assert _revision(empty_db_url) == HEAD


def test_schema_at_head_needs_nothing(empty_db_url: str) -> None:
    Store.connect(empty_db_url).close()
    assert Store.check_schema(empty_db_url) is None


def test_empty_database_says_to_run_db_upgrade(empty_db_url: str) -> None:
    message = Store.check_schema(empty_db_url)
    assert message is not None
    assert "no Headrace schema" in message and "headrace db upgrade" in message


def test_database_behind_says_what_to_run(empty_db_url: str) -> None:
    Store.connect(empty_db_url).close()
    _stamp(empty_db_url, "base")
    with Store.connect(empty_db_url, migrate=False):
        message = Store.check_schema(empty_db_url)
    assert message is not None and f"Headrace needs {HEAD}: run `headrace db upgrade`" in message


def test_database_from_a_newer_headrace_says_to_upgrade_headrace(empty_db_url: str) -> None:
    Store.connect(empty_db_url).close()
    engine = create_engine(empty_db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text(f"UPDATE {VERSION_TABLE} SET version_num = '9999'"))
    finally:
        engine.dispose()
    message = Store.check_schema(empty_db_url)
    assert message is not None and "9999" in message and "upgrade Headrace" in message


def test_connect_without_migrating_leaves_the_database_alone(empty_db_url: str) -> None:
    Store.connect(empty_db_url, migrate=False).close()
    engine = create_engine(empty_db_url)
    try:
        assert set(inspect(engine).get_table_names()) == set()
    finally:
        engine.dispose()
    assert _revision(empty_db_url) is None


def _stamp(url: str, revision: str) -> None:
    engine = create_engine(url)
    config = alembic_config()
    try:
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.stamp(config, revision)
    finally:
        engine.dispose()


def test_head_read_without_alembic_is_alembics_head() -> None:
    # Store.connect skips Alembic when the database is at this revision.
    assert _head_revision() == HEAD


def test_connect_migrates_a_database_behind_head(empty_db_url: str) -> None:
    engine = create_engine(empty_db_url)
    try:
        config = alembic_config()
        with engine.connect() as conn:
            config.attributes["connection"] = conn
            with conn.begin():
                command.upgrade(config, "0001")
    finally:
        engine.dispose()
    assert _revision(empty_db_url) == "0001"
    Store.connect(empty_db_url).close()
    assert _revision(empty_db_url) == HEAD
