"""A store with pipelines in it, and helpers to create recurring runs and read what they made."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from kfp import compiler

from headrace.scheduler import Scheduler
from headrace.store import Store
from headrace.store.records import ListQuery, NewRecurringRun, RecurringRunRecord, RunSummary
from tests.scheduler import pipelines
from tests.store.conftest import POSTGRES_URL, _server_database

# Far enough ahead that every recurring run a test creates now was created before it starts.
START = datetime(2030, 1, 1, tzinfo=UTC)


def _compile(tmp: Path, fn: Any) -> dict[str, Any]:
    path = tmp / f"{fn.name}-{uuid.uuid4().hex[:6]}.yaml"
    compiler.Compiler().compile(fn, str(path))
    spec: dict[str, Any] = yaml.safe_load(path.read_text())
    return spec


@pytest.fixture(scope="session")
def spec_v1(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _compile(tmp_path_factory.mktemp("ir"), pipelines.stamped)


@pytest.fixture(scope="session")
def spec_v2(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return _compile(tmp_path_factory.mktemp("ir"), pipelines.stamped_v2)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.connect(f"sqlite:///{tmp_path}/h.db") as opened:
        yield opened


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A fresh database on the machine's PostgreSQL for this module."""
    yield from _server_database("postgresql", POSTGRES_URL)


@pytest.fixture
def scheduler(store: Store, tmp_path: Path) -> Scheduler:
    return Scheduler(store, home=tmp_path, pipeline_root=str(tmp_path / "root"))


Schedule = Callable[..., RecurringRunRecord]


@pytest.fixture
def schedule(store: Store, spec_v1: dict[str, Any]) -> Schedule:
    """Create a recurring run: every minute from START on the inline v1 spec unless told."""
    return make_schedule(store, spec_v1)


def make_schedule(store: Store, spec: dict[str, Any]) -> Schedule:
    def make(**fields: Any) -> RecurringRunRecord:
        values: dict[str, Any] = {
            "display_name": "every-minute",
            "pipeline_spec": spec,
            "interval_seconds": 60,
            "start_time": START,
            "max_concurrency": 100,
            **fields,
        }
        if "pipeline_id" in fields or "pipeline_version_id" in fields:
            values.pop("pipeline_spec")
        return store.create_recurring_run(NewRecurringRun(**values))

    return make


def runs_of(store: Store, recurring_run_id: str) -> list[RunSummary]:
    """The runs a recurring run triggered, in scheduled order."""
    predicate = {"key": "recurring_run_id", "operation": 1, "string_value": recurring_run_id}
    query = ListQuery(page_size=1000, filter=json.dumps({"predicates": [predicate]}))
    runs = store.list_runs_page(query).items
    return sorted(runs, key=lambda run: run.scheduled_at or START)
