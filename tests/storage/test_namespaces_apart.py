"""Two namespaces with their own roots, key prefixes and credentials on one S3 server (moto):
each run's artifacts and logs stay under its namespace's keys, are read back with its settings
after the local directories are gone, and the API shows each artifact in its namespace only."""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from kfp import compiler

from headrace.config import Settings
from headrace.executors import LocalExecutor, PythonEnvCache
from headrace.service.namespaces import NamespaceSettings
from headrace.service.runs import RunRequest, create_run, run_engine
from headrace.spec.loader import load_pipeline
from headrace.states import RunState
from headrace.storage.logs import LogLocation, read_log
from headrace.store import Store

with warnings.catch_warnings():
    # Starlette's TestClient asks for httpx2; httpx is what kfp-compatible tooling installs.
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

from tests.api.conftest import settings_app

from .conftest import ACCESS_KEY, SECRET_KEY
from .pipelines import remote_artifacts


def test_each_namespace_keeps_its_artifacts_and_logs_under_its_own_keys(
    tmp_path: Path, s3_endpoint: str, bucket: str
) -> None:
    endpoint = {
        "endpoint_url": s3_endpoint,
        "region": "us-east-1",
        "path_style": True,
        "use_tls": False,
        "access_key_id": ACCESS_KEY,
        "secret_access_key": SECRET_KEY,
    }
    settings = Settings.model_validate(
        {
            "home": tmp_path / "home",
            "pipeline_root": f"s3://{bucket}/root",
            "s3": endpoint,
            # team-b reaches the same server as minio:// with a named secret of its own.
            "minio": {"region": "us-east-1"},
            "secrets": {"team-b": {"access_key_id": ACCESS_KEY, "secret_access_key": SECRET_KEY}},
        }
    )
    path = tmp_path / "pipeline.yaml"
    compiler.Compiler().compile(remote_artifacts, str(path))
    pipeline = load_pipeline(path)
    with Store.connect(f"sqlite:///{tmp_path}/headrace.db") as store:
        namespaces = NamespaceSettings(store, settings)
        namespaces.set_override("team-a", {"key_prefix": "{namespace}/{pipeline_name}/{run_id}"})
        namespaces.set_override(
            "team-b",
            {
                "pipeline_root": f"minio://{bucket}/team-b",
                "key_prefix": "teams/{namespace}/{run_id}",
                "object_store": {"endpoint_url": s3_endpoint, "credentials": "team-b"},
            },
        )
        runs = {}
        for namespace in ("team-a", "team-b"):
            request = RunRequest(pipeline, {}, None, cache_enabled=False, namespace=namespace)
            record = create_run(store, request, namespaces)
            executor = LocalExecutor(envs=PythonEnvCache(tmp_path / "envs"))
            try:
                engine = run_engine(
                    store,
                    executor,
                    settings.home,
                    4,
                    storage_for=namespaces.storage_settings_for,
                )
                runs[namespace] = engine.execute(record.id)
            finally:
                executor.shutdown()
            assert runs[namespace].state is RunState.SUCCEEDED, runs[namespace].error
        shutil.rmtree(settings.home / "work")
        shutil.rmtree(settings.home / "logs")

        a, b = runs["team-a"].id, runs["team-b"].id
        prefixes = {
            "team-a": (
                f"s3://{bucket}/root/team-a/remote-artifacts/{a}/",
                f"s3://{bucket}/root/logs/team-a/remote-artifacts/{a}/",
            ),
            "team-b": (
                f"minio://{bucket}/team-b/teams/team-b/{b}/",
                f"minio://{bucket}/team-b/logs/teams/team-b/{b}/",
            ),
        }
        artifact_ids = {}
        for namespace, (artifacts, logs) in prefixes.items():
            run = runs[namespace]
            storage = namespaces.storage_settings_for(namespace)
            recorded = store.list_artifacts(run.id)
            assert recorded and all(r.uri.startswith(artifacts) for r in recorded)
            artifact_ids[namespace] = next(r.id for r in recorded if r.name == "data")
            tasks = {t.name: t for t in store.list_tasks(run.id)}
            assert tasks["consume"].outputs["Output"] == "hello|w.bin|1"
            for attempt in store.list_attempts(run_id=run.id):
                assert attempt.log_uri is not None and attempt.log_uri.startswith(logs)
                location = LogLocation(attempt.log_path, attempt.log_uri)
                assert read_log(location, storage, live=False), attempt.log_uri

        app = settings_app(store, settings)
        with TestClient(app, raise_server_exceptions=False) as api:
            data_b = f"/apis/v2beta1/artifacts/{artifact_ids['team-b']}/content"
            assert api.get(data_b).content == b"hello"
            assert api.get(data_b, params={"namespace": "team-b"}).status_code == 200
            assert api.get(data_b, params={"namespace": "team-a"}).status_code == 404
