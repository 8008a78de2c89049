"""The official kfp.Client against a real Headrace server (uvicorn on 127.0.0.1), end to end.

Runs stay PENDING without a worker; the test plays the worker by executing them with the engine.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import kfp
import kfp_server_api
import pytest
import uvicorn

from headrace.api import create_app
from headrace.executors import LocalExecutor, PythonEnvCache
from headrace.service.runs import run_engine
from headrace.store import Store
from tests.api import pipelines


@dataclass
class Server:
    store: Store
    home: Path
    client: kfp.Client

    def execute(self, run_id: str) -> threading.Thread:
        """Execute a stored run in a thread, as a worker would."""
        executor = LocalExecutor(envs=PythonEnvCache(self.home / "envs"))
        engine = run_engine(self.store, executor, self.home, 2)

        def work() -> None:
            try:
                engine.execute(run_id)
            finally:
                executor.shutdown()

        thread = threading.Thread(target=work, name=f"worker-{run_id[:8]}", daemon=True)
        thread.start()
        return thread

    def finish(self, run_id: str) -> kfp_server_api.V2beta1Run:
        self.execute(run_id)
        return self.client.wait_for_run_completion(run_id, timeout=240, sleep_duration=0.5)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    home = tmp_path_factory.mktemp("server")
    store = Store.connect(f"sqlite:///{home}/headrace.db")
    app = create_app(store, home=home, pipeline_root=str(home / "root"), version="e2e")
    port = _free_port()
    uv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=uv.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    try:
        yield Server(store, home, kfp.Client(host=f"http://127.0.0.1:{port}"))
    finally:
        uv.should_exit = True
        thread.join(10)
        store.close()


def test_pipelines_experiments_and_runs_through_kfp_client(
    server: Server, compiled: dict[str, Path]
) -> None:
    client = server.client
    package = str(compiled["adder"])
    pipeline = client.upload_pipeline(package, pipeline_name="adder-e2e", description="adds")
    assert client.get_pipeline_id("adder-e2e") == pipeline.pipeline_id
    version = client.upload_pipeline_version(
        package, pipeline_version_name="v2", pipeline_id=pipeline.pipeline_id
    )
    versions = client.list_pipeline_versions(pipeline.pipeline_id, sort_by="created_at desc")
    assert [v.display_name for v in versions.pipeline_versions] == ["v2", "adder-e2e"]
    assert client.get_pipeline_version(pipeline.pipeline_id, version.pipeline_version_id)

    experiment = client.create_experiment("e2e", description="end to end")
    assert client.create_experiment("e2e").experiment_id == experiment.experiment_id
    from_func = client.create_run_from_pipeline_func(
        pipelines.adder, arguments={"a": 3}, experiment_name="e2e", run_name="from-func"
    )
    from_package = client.create_run_from_pipeline_package(
        package, arguments={"a": 10}, experiment_name="e2e", run_name="from-package"
    )
    from_version = client.run_pipeline(
        experiment.experiment_id,
        "from-version",
        pipeline_id=pipeline.pipeline_id,
        version_id=version.pipeline_version_id,
        params={"a": 100},
    )
    for run_id in (from_func.run_id, from_package.run_id, from_version.run_id):
        finished = server.finish(run_id)
        assert finished.state == "SUCCEEDED", finished.error

    detailed = client.get_run(from_version.run_id)
    tasks = {t.display_name: t for t in detailed.run_details.task_details}
    assert {"add", "add-2"} <= set(tasks)
    assert tasks["add"].state == "SUCCEEDED"
    assert tasks["add"].end_time >= tasks["add"].start_time
    assert detailed.pipeline_version_reference.pipeline_version_id == version.pipeline_version_id

    listed = client.list_runs(experiment_id=experiment.experiment_id, sort_by="created_at desc")
    assert [r.display_name for r in listed.runs] == ["from-version", "from-package", "from-func"]
    experiments = client.list_experiments(sort_by="last_run_created_at desc")
    assert experiments.experiments[0].experiment_id == experiment.experiment_id

    client.archive_run(from_func.run_id)
    assert client.get_run(from_func.run_id).storage_state == "ARCHIVED"
    client.unarchive_run(from_func.run_id)
    assert client.get_run(from_func.run_id).storage_state == "AVAILABLE"


def test_terminate_a_queued_run_and_see_a_failed_one(
    server: Server, compiled: dict[str, Path]
) -> None:
    client = server.client
    queued = client.create_run_from_pipeline_func(pipelines.adder, experiment_name="e2e-stop")
    client.terminate_run(queued.run_id)
    assert client.get_run(queued.run_id).state == "CANCELED"
    failing = client.create_run_from_pipeline_func(pipelines.failing, experiment_name="e2e-stop")
    finished = server.finish(failing.run_id)
    assert finished.state == "FAILED"
    assert "boom" in finished.error.message
    states = {t.display_name: t.state for t in finished.run_details.task_details}
    assert (states["add"], states["boom"]) == ("SUCCEEDED", "FAILED")


def test_retry_reruns_only_what_failed_through_the_generated_client(server: Server) -> None:
    client = server.client
    failing = client.create_run_from_pipeline_func(pipelines.failing, experiment_name="e2e-retry")
    first = server.finish(failing.run_id)
    assert first.state == "FAILED"
    kept = {t.task_id for t in first.run_details.task_details if t.display_name == "add"}
    client.runs.run_service_retry_run(run_id=failing.run_id)
    assert client.get_run(failing.run_id).state == "PENDING"
    second = server.finish(failing.run_id)
    assert second.state == "FAILED"
    assert kept <= {t.task_id for t in second.run_details.task_details}


def test_recurring_runs_through_kfp_client(server: Server, compiled: dict[str, Path]) -> None:
    client = server.client
    package = str(compiled["echoer"])
    pipeline = client.upload_pipeline(package, pipeline_name="echoer-e2e")
    version_id = client.list_pipeline_versions(pipeline.pipeline_id).pipeline_versions[0]
    experiment = client.create_experiment("e2e-recurring")
    pinned = client.create_recurring_run(
        experiment.experiment_id,
        "hourly",
        cron_expression="0 0 * * * *",
        pipeline_id=pipeline.pipeline_id,
        version_id=version_id.pipeline_version_id,
        params={"text": "run [[Index]] at [[ScheduledTime]]"},
        max_concurrency=2,
    )
    assert pinned.status == "ENABLED"
    periodic = client.create_recurring_run(
        experiment.experiment_id,
        "every-minute",
        interval_second=60,
        pipeline_package_path=package,
        enabled=False,
    )
    assert periodic.status == "DISABLED"
    models = kfp_server_api
    latest = client.recurring_runs.recurring_run_service_create_recurring_run(
        recurring_run=models.V2beta1RecurringRun(
            display_name="latest",
            experiment_id=experiment.experiment_id,
            mode="ENABLE",
            pipeline_version_reference=models.V2beta1PipelineVersionReference(
                pipeline_id=pipeline.pipeline_id
            ),
            trigger=models.V2beta1Trigger(
                periodic_schedule=models.V2beta1PeriodicSchedule(interval_second="3600")
            ),
        )
    )
    assert latest.pipeline_version_reference.pipeline_version_id is None

    listed = client.list_recurring_runs(experiment_id=experiment.experiment_id)
    assert {r.display_name for r in listed.recurring_runs} == {"hourly", "every-minute", "latest"}
    client.disable_recurring_run(pinned.recurring_run_id)
    assert client.get_recurring_run(pinned.recurring_run_id).status == "DISABLED"
    client.enable_recurring_run(pinned.recurring_run_id)
    assert client.get_recurring_run(pinned.recurring_run_id).status == "ENABLED"
    client.delete_recurring_run(periodic.recurring_run_id)
    with pytest.raises(kfp_server_api.ApiException) as raised:
        client.get_recurring_run(periodic.recurring_run_id)
    assert raised.value.status == 404
