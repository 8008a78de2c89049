from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml
from kfp import compiler

from headrace.errors import InvalidArgumentError
from headrace.service.recurring import RecurringRunRequest, create_recurring_run
from headrace.store import Store
from headrace.store.records import ListQuery
from tests.scheduler import pipelines


@pytest.fixture(scope="module")
def spec(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    path = tmp_path_factory.mktemp("ir") / f"stamped-{uuid.uuid4().hex[:6]}.yaml"
    compiler.Compiler().compile(pipelines.stamped, str(path))
    loaded: dict[str, Any] = yaml.safe_load(path.read_text())
    return loaded


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store.connect(f"sqlite:///{tmp_path}/h.db") as opened:
        yield opened


def test_a_schedule_that_started_in_the_past_is_due_at_once(
    store: Store, spec: dict[str, Any]
) -> None:
    before = datetime.now(UTC)
    request = RecurringRunRequest(
        display_name="backfill",
        pipeline_spec=spec,
        cron="0 0 * * * *",
        start_time=before - timedelta(days=1),
    )
    created = create_recurring_run(store, request)
    assert created.next_fire_at is not None and created.next_fire_at <= datetime.now(UTC)
    assert [r.id for r in store.due_recurring_runs(datetime.now(UTC))] == [created.id]


@pytest.mark.parametrize(
    ("trigger", "message"),
    [
        ({"cron": "0 25 * * *"}, "trigger.cron_schedule.cron '0 25 \\* \\* \\*' .* hour field"),
        ({"cron": "0 0 0 30 2 *"}, "trigger.cron_schedule.cron .* never fires"),
        ({"interval_seconds": 0}, "trigger.periodic_schedule.interval_second is 0"),
    ],
)
def test_a_bad_trigger_is_refused_naming_its_field_and_nothing_is_stored(
    store: Store, spec: dict[str, Any], trigger: dict[str, Any], message: str
) -> None:
    request = RecurringRunRequest(display_name="bad", pipeline_spec=spec, **trigger)
    with pytest.raises(InvalidArgumentError, match=message):
        create_recurring_run(store, request)
    assert store.list_recurring_runs(ListQuery(page_size=10)).items == []
