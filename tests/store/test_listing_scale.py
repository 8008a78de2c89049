"""With 100,000 runs a page of the run list is an index range scan, never a sort of the table.

SQLite only, and no timing: the plan SQLite chooses is the assertion (bench/ measures speed).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, insert, text

from headrace.store import Store
from headrace.store._schema import RunRow
from headrace.store.records import ListQuery

RUN_COUNT = 100_000
NAMESPACE = "default"


@pytest.fixture(scope="module")
def big_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, str]]:
    path: Path = tmp_path_factory.mktemp("scale") / "headrace.db"
    with Store.connect(f"sqlite:///{path}") as store:
        experiment = store.ensure_experiment(NAMESPACE, "big")
        store.ensure_experiment("other", "big")  # creates the namespace
        start = datetime(2024, 1, 1, tzinfo=UTC)
        rows = [_row(i, start, experiment) for i in range(RUN_COUNT)]
        with store._engine.begin() as conn:
            conn.execute(insert(RunRow), rows)
        yield store, experiment


def _row(i: int, start: datetime, experiment: str) -> dict[str, Any]:
    created = start + timedelta(seconds=i // 3)  # ties, so the id tie-breaker matters
    return {
        "id": f"{i:08x}-0000-4000-8000-000000000000",
        "namespace": NAMESPACE if i % 10 else "other",
        "experiment_id": experiment if i % 7 == 0 else None,
        "pipeline_version_id": None,
        "display_name": f"run {i % 1000}",
        "pipeline_name": "p",
        "pipeline_spec": {},
        "platform_spec": None,
        "parameters": {},
        "pipeline_root": "file:///tmp",
        "cache_enabled": True,
        "state": ("SUCCEEDED", "FAILED", "RUNNING", "PENDING")[i % 4],
        "error": None,
        "created_at": created,
        "started_at": created,
        "finished_at": created if i % 2 else None,
        "storage_state": "ARCHIVED" if i % 11 == 0 else "AVAILABLE",
        "recurring_run_id": None,
        "claimed_by": None,
        "lease_expires_at": None,
        "scheduled_at": None,
    }


NOT_ARCHIVED = json.dumps(
    {"predicates": [{"key": "storage_state", "operation": 2, "string_value": "ARCHIVED"}]}
)


@pytest.mark.parametrize(
    ("query", "in_experiment", "index"),
    [
        (ListQuery(namespace=NAMESPACE), False, "ix_runs_namespace_created_at_id"),
        (
            ListQuery(namespace=NAMESPACE, sort_by="created_at desc"),
            False,
            "ix_runs_namespace_created_at_id",
        ),
        (
            ListQuery(namespace=NAMESPACE, sort_by="created_at desc", filter=NOT_ARCHIVED),
            False,
            "ix_runs_namespace_created_at_id",
        ),
        (
            ListQuery(namespace=NAMESPACE, sort_by="name"),
            False,
            "ix_runs_namespace_display_name_id",
        ),
        (ListQuery(namespace=NAMESPACE, sort_by="state desc"), False, "ix_runs_namespace_state_id"),
        (
            ListQuery(namespace=NAMESPACE, sort_by="finished_at"),
            False,
            "ix_runs_namespace_finished_at_id",
        ),
        (ListQuery(sort_by="created_at desc"), False, "ix_runs_created_at_id"),
        (ListQuery(sort_by="created_at desc"), True, "ix_runs_experiment_id_created_at_id"),
    ],
)
def test_run_pages_use_an_index_and_no_sort(
    big_store: tuple[Store, str], query: ListQuery, in_experiment: bool, index: str
) -> None:
    store, experiment = big_store
    experiment_id = experiment if in_experiment else None
    pages: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if statement.startswith("SELECT") and "LIMIT" in statement:
            pages.append((statement, params))

    event.listen(store._engine, "before_cursor_execute", capture)
    try:
        first = store.list_runs_page(replace(query, page_size=50), experiment_id)
        token = first.next_page_token
        second = store.list_runs_page(replace(query, page_size=50, page_token=token), experiment_id)
    finally:
        event.remove(store._engine, "before_cursor_execute", capture)
    assert len(first.items) == len(second.items) == 50
    assert not {r.id for r in first.items} & {r.id for r in second.items}
    assert len(pages) == 2
    with store._engine.connect() as conn:
        for statement, params in pages:
            plan = " | ".join(
                row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            )
            assert index in plan, plan
            assert "TEMP B-TREE" not in plan, plan
            assert re.search(r"SCAN runs(?! USING)", plan) is None, plan


def test_total_size_counts_all_matching_runs(big_store: tuple[Store, str]) -> None:
    store, experiment = big_store
    page = store.list_runs_page(ListQuery(namespace=NAMESPACE, page_size=1))
    assert page.total_size == RUN_COUNT - RUN_COUNT // 10
    assert store.list_runs_page(ListQuery(), experiment).total_size == (RUN_COUNT + 6) // 7
    with store._engine.connect() as conn:
        assert conn.scalar(text("SELECT count(*) FROM runs")) == RUN_COUNT


def test_claiming_a_run_searches_the_state_index_not_the_table(
    big_store: tuple[Store, str],
) -> None:
    store, _ = big_store
    selects: list[tuple[str, Any]] = []

    def capture(_c: Any, _cur: Any, statement: str, params: Any, _ctx: Any, _many: bool) -> None:
        if statement.startswith("SELECT runs.id \nFROM"):
            selects.append((statement, params))

    event.listen(store._engine, "before_cursor_execute", capture)
    try:
        claimed = store.claim_run("worker", 60)
    finally:
        event.remove(store._engine, "before_cursor_execute", capture)
    assert claimed is not None and claimed.claimed_by == "worker"
    assert len(selects) == 2  # no orphaned run, then the oldest PENDING one
    with store._engine.connect() as conn:
        for statement, params in selects:
            plan = " | ".join(
                row[-1] for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", params)
            )
            assert "USING INDEX ix_runs_state_created_at_id (state" in plan, plan
