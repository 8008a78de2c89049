"""Recurring runs through the v2beta1 API, on SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from headrace.scheduler import Scheduler
from headrace.store import Store
from tests.api.conftest import API, error_of, model, upload


def _create(api: TestClient, **body: Any) -> Any:
    return api.post(f"{API}/recurringruns", json={"display_name": "nightly", **body})


def test_a_cron_schedule_on_an_inline_spec(
    api: TestClient, adder_spec: dict[str, Any], namespace: str
) -> None:
    cron = "0 30 9 * * MON-FRI"  # the forms a cron may take: tests/service/test_triggers.py
    response = _create(
        api,
        namespace=namespace,
        pipeline_spec=adder_spec,
        trigger={"cron_schedule": {"cron": cron, "start_time": "2030-01-01T00:00:00Z"}},
        mode="ENABLE",
        max_concurrency="2",
        no_catchup=True,
        runtime_config={"parameters": {"a": 3, "tag": "[[Index]]"}},
    )
    assert response.status_code == 200, response.text
    created = model(response.json(), "V2beta1RecurringRun")
    assert created.trigger.cron_schedule.cron == cron
    assert (created.status, created.mode, created.max_concurrency) == ("ENABLED", "ENABLE", "2")
    assert created.no_catchup is True
    assert response.json()["trigger"]["cron_schedule"]["start_time"] == "2030-01-01T00:00:00Z"


def test_a_periodic_schedule_on_the_latest_version_of_a_pipeline(
    api: TestClient, compiled: dict[str, Path], namespace: str
) -> None:
    pipeline_id = upload(api, compiled["adder"], "scheduled", namespace)["pipeline_id"]
    response = _create(
        api,
        namespace=namespace,
        pipeline_version_reference={"pipeline_id": pipeline_id},
        trigger={"periodic_schedule": {"interval_second": 3600}},
        mode="DISABLE",
    )
    assert response.status_code == 200, response.text
    created = response.json()
    assert created["pipeline_version_reference"] == {"pipeline_id": pipeline_id}
    assert created["trigger"]["periodic_schedule"]["interval_second"] == "3600"
    assert created["status"] == "DISABLED"


def test_enable_disable_list_get_and_delete(
    api: TestClient, adder_spec: dict[str, Any], namespace: str
) -> None:
    trigger = {"periodic_schedule": {"interval_second": "60"}}
    created = _create(api, namespace=namespace, pipeline_spec=adder_spec, trigger=trigger).json()
    recurring_id = created["recurring_run_id"]
    assert api.post(f"{API}/recurringruns/{recurring_id}:disable").json() == {}
    assert api.get(f"{API}/recurringruns/{recurring_id}").json()["status"] == "DISABLED"
    assert api.post(f"{API}/recurringruns/{recurring_id}:enable").json() == {}
    assert api.get(f"{API}/recurringruns/{recurring_id}").json()["status"] == "ENABLED"
    listed = api.get(f"{API}/recurringruns", params={"namespace": namespace}).json()
    parsed = model(listed, "V2beta1ListRecurringRunsResponse")
    assert [r.recurring_run_id for r in parsed.recurring_runs] == [recurring_id]
    assert api.delete(f"{API}/recurringruns/{recurring_id}").json() == {}
    error_of(api.get(f"{API}/recurringruns/{recurring_id}"), 404)


@pytest.mark.parametrize(
    ("trigger", "named"),
    [
        (
            {"cron_schedule": {"cron": "0 25 * * *"}},
            "trigger.cron_schedule.cron '0 25 * * *' is not valid in its hour field '25'",
        ),
        ({"periodic_schedule": {"interval_second": 0}}, "interval_second"),
        ({}, "trigger"),
    ],
)
def test_a_bad_trigger_is_400_naming_the_field(
    api: TestClient, adder_spec: dict[str, Any], trigger: dict[str, Any], named: str
) -> None:
    response = _create(api, pipeline_spec=adder_spec, trigger=trigger)
    assert named in error_of(response, 400)


def test_unknown_recurring_run_ids_are_404(api: TestClient) -> None:
    error_of(api.get(f"{API}/recurringruns/nope"), 404)
    error_of(api.post(f"{API}/recurringruns/nope:enable"), 404)
    error_of(api.post(f"{API}/recurringruns/nope:disable"), 404)
    error_of(api.delete(f"{API}/recurringruns/nope"), 404)


def test_a_failed_trigger_shows_its_error_until_a_trigger_starts_a_run(
    api: TestClient, db_url: str, compiled: dict[str, Path], namespace: str, tmp_path: Path
) -> None:
    pipeline_id = upload(api, compiled["adder"], "scheduled", namespace)["pipeline_id"]
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=5)
    created = _create(
        api,
        namespace=namespace,
        pipeline_version_reference={"pipeline_id": pipeline_id},
        trigger={"periodic_schedule": {"interval_second": 60, "start_time": start.isoformat()}},
        no_catchup=True,
        runtime_config={"parameters": {"a": 3}},
    ).json()
    url = f"{API}/recurringruns/{created['recurring_run_id']}"
    assert created.get("error") is None
    # The schedule runs the latest version, which no longer has the parameter `a`.
    response = api.post(
        f"{API}/pipelines/upload_version",
        params={"name": "echo", "pipelineid": pipeline_id},
        files={"uploadfile": ("echoer.yaml", compiled["echoer"].read_bytes())},
    )
    assert response.status_code == 200, response.text
    bad_version = response.json()["pipeline_version_id"]
    with Store.connect(db_url) as store:
        scheduler = Scheduler(store, home=tmp_path / "home", pipeline_root=str(tmp_path / "root"))
        now = datetime.now(UTC)
        assert scheduler.tick(now) == []
        failed = model(api.get(url).json(), "V2beta1RecurringRun")
        assert failed.error is not None
        assert "could not create its run scheduled at" in failed.error.message
        assert "'a'" in failed.error.message
        listed = api.get(f"{API}/recurringruns", params={"namespace": namespace}).json()
        assert listed["recurringRuns"][0]["error"]["message"] == failed.error.message

        deleted = api.delete(f"{API}/pipelines/{pipeline_id}/versions/{bad_version}")
        assert deleted.status_code == 200, deleted.text
        assert len(scheduler.tick(now + timedelta(minutes=2))) == 1
    assert api.get(url).json().get("error") is None
