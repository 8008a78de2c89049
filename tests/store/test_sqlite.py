"""What only SQLite needs: a file made on demand, WAL, and several Stores on one file."""

from __future__ import annotations

import threading
from pathlib import Path

from sqlalchemy import create_engine, text

from headrace.states import RunState, TaskKind
from headrace.store import Store
from headrace.store.records import NewRun, NewTask


def _new_run(namespace: str = "default") -> NewRun:
    return NewRun(
        pipeline_name="p",
        display_name="r",
        pipeline_spec={},
        pipeline_root="file:///tmp",
        namespace=namespace,
    )


def test_connect_creates_the_parent_directory(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "headrace.db"
    Store.connect(f"sqlite:///{path}").close()
    assert path.is_file()


def test_database_is_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/headrace.db"
    with Store.connect(url) as store:
        engine = store._engine
        with engine.connect() as conn:
            assert conn.scalar(text("PRAGMA journal_mode")) == "wal"
            assert conn.scalar(text("PRAGMA foreign_keys")) == 1
            assert conn.scalar(text("PRAGMA synchronous")) == 1  # NORMAL
            assert conn.scalar(text("PRAGMA busy_timeout")) == 30_000
    plain = create_engine(url)
    try:
        with plain.connect() as conn:
            assert conn.scalar(text("PRAGMA journal_mode")) == "wal"
    finally:
        plain.dispose()


def test_two_stores_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/headrace.db"
    with Store.connect(url) as engine_side, Store.connect(url) as cli_side:
        run = engine_side.create_run(_new_run())
        assert cli_side.get_run(run.id) == run
        cli_side.set_run_state(run.id, RunState.CANCELING)
        assert engine_side.get_run(run.id).state is RunState.CANCELING


def test_concurrent_writers_on_one_file_all_succeed(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/headrace.db"
    stores = [Store.connect(url) for _ in range(4)]
    errors: list[BaseException] = []

    def write(store: Store, worker: int) -> None:
        try:
            for i in range(25):
                run = store.create_run(_new_run(f"ns-{worker}"))
                store.create_task(NewTask(run.id, None, f"t{i}", f"root/t{i}", TaskKind.CONTAINER))
                store.list_runs(f"ns-{worker}", limit=5)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(s, n)) for n, s in enumerate(stores)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    try:
        assert errors == []
        assert len(stores[0].list_runs(limit=1000)) == 100
    finally:
        for store in stores:
            store.close()


def test_in_memory_database_works_across_threads() -> None:
    with Store.connect("sqlite://") as store:
        run = store.create_run(_new_run())
        seen: list[str] = []
        thread = threading.Thread(target=lambda: seen.append(store.get_run(run.id).id))
        thread.start()
        thread.join()
        assert seen == [run.id]
