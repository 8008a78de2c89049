"""A recurring run on a pipeline's latest version picks up a newly uploaded version."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import kfp
import kfp_server_api as models
from kfp import compiler

from tests.server import pipelines
from tests.server.conftest import free_port, start_server


def _runs_of(client: kfp.Client, experiment_id: str) -> list[models.V2beta1Run]:
    runs = client.list_runs(experiment_id=experiment_id, page_size=100).runs or []
    return sorted(runs, key=lambda r: r.created_at)


def test_latest_version_schedule_runs_the_new_version_after_an_upload(tmp_path: Path) -> None:
    one, two = tmp_path / "one.yaml", tmp_path / "two.yaml"
    compiler.Compiler().compile(pipelines.version_one, str(one))
    compiler.Compiler().compile(pipelines.version_two, str(two))
    port = free_port()
    server = start_server(tmp_path / "home", port)
    try:
        client = kfp.Client(host=f"http://127.0.0.1:{port}")
        pipeline = client.upload_pipeline(str(one), pipeline_name="versioned")
        first_version = client.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions[0]
        experiment = client.create_experiment("schedules")
        schedule = client.recurring_runs.recurring_run_service_create_recurring_run(
            recurring_run=models.V2beta1RecurringRun(
                display_name="every-2s",
                experiment_id=experiment.experiment_id,
                mode="ENABLE",
                max_concurrency="1",
                no_catchup=True,
                pipeline_version_reference=models.V2beta1PipelineVersionReference(
                    pipeline_id=pipeline.pipeline_id
                ),
                trigger=models.V2beta1Trigger(
                    periodic_schedule=models.V2beta1PeriodicSchedule(interval_second="2")
                ),
            )
        )
        deadline = time.monotonic() + 90
        while not any(r.state == "SUCCEEDED" for r in _runs_of(client, experiment.experiment_id)):
            assert time.monotonic() < deadline, "no triggered run succeeded"
            time.sleep(0.5)
        second_version = client.upload_pipeline_version(
            str(two), pipeline_version_name="v2", pipeline_id=pipeline.pipeline_id
        )
        while not any(
            r.pipeline_version_reference.pipeline_version_id == second_version.pipeline_version_id
            and r.state == "SUCCEEDED"
            for r in _runs_of(client, experiment.experiment_id)
        ):
            assert time.monotonic() < deadline, "the new version was never run"
            time.sleep(0.5)
        client.disable_recurring_run(schedule.recurring_run_id)
        runs = _runs_of(client, experiment.experiment_id)
        versions = [r.pipeline_version_reference.pipeline_version_id for r in runs]
        assert versions[0] == first_version.pipeline_version_id
        assert second_version.pipeline_version_id in versions
        assert all(r.recurring_run_id == schedule.recurring_run_id for r in runs)
        assert all(r.scheduled_at is not None for r in runs)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=60)
