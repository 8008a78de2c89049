"""use_secret_as_env / use_config_map_as_env read Headrace's named secrets, on every executor."""

from pathlib import Path

import pytest
from kfp import compiler, dsl, kubernetes

from headrace.executors import LocalExecutor, PythonEnvCache, WarmExecutor
from headrace.executors.base import Executor
from headrace.service.runs import RunRequest, create_run, run_engine
from headrace.spec.loader import load_pipeline
from headrace.states import RunState
from headrace.store import Store
from headrace.store.records import RunRecord, TaskRecord


@dsl.component
def show_env() -> str:
    import os

    return f"{os.environ['DB_PASSWORD']}|{os.environ['MODE']}|{os.environ.get('EXTRA', '-')}"


@dsl.pipeline
def reads_secrets():
    task = show_env().set_caching_options(False)
    kubernetes.use_secret_as_env(
        task, secret_name="db", secret_key_to_env={"password": "DB_PASSWORD"}
    )
    kubernetes.use_config_map_as_env(
        task, config_map_name="settings", config_map_key_to_env={"mode": "MODE"}
    )
    kubernetes.use_secret_as_env(
        task, secret_name="absent", secret_key_to_env={"x": "EXTRA"}, optional=True
    )


EXECUTORS = {
    "local": lambda envs: LocalExecutor(envs=envs),
    "warm": lambda envs: WarmExecutor(envs=envs),
}


def _run(
    tmp_path: Path, executor: Executor, secrets: dict[str, dict[str, str]]
) -> tuple[RunRecord, TaskRecord]:
    path = tmp_path / "p.yaml"
    compiler.Compiler().compile(reads_secrets, str(path))
    store = Store.connect(f"sqlite:///{tmp_path}/headrace.db")
    record = create_run(
        store,
        RunRequest(
            pipeline=load_pipeline(path),
            parameters={},
            pipeline_root=str(tmp_path / "artifacts"),
            cache_enabled=False,
        ),
    )
    try:
        engine = run_engine(store, executor, tmp_path / "home", 2, secrets=secrets)
        run = engine.execute(record.id)
        (task,) = [t for t in store.list_tasks(run.id) if t.name == "show-env"]
        return run, task
    finally:
        executor.shutdown()
        store.close()


@pytest.mark.parametrize("kind", sorted(EXECUTORS))
def test_secrets_and_config_maps_become_environment_variables(tmp_path: Path, kind: str) -> None:
    executor = EXECUTORS[kind](PythonEnvCache(tmp_path / "envs"))
    secrets = {"db": {"password": "s3cret"}, "settings": {"mode": "fast"}}
    run, task = _run(tmp_path, executor, secrets)
    assert run.state is RunState.SUCCEEDED, run.error
    assert task.outputs["Output"] == "s3cret|fast|-"


def test_a_missing_secret_fails_the_task_saying_where_to_add_it(tmp_path: Path) -> None:
    executor = LocalExecutor(envs=PythonEnvCache(tmp_path / "envs"))
    run, task = _run(tmp_path, executor, {"db": {"password": "s3cret"}})
    assert run.state is RunState.FAILED
    assert "reads MODE from config map 'settings' key 'mode'" in (task.error or "")
    assert "is not in the settings" in (task.error or "")
    assert "[secrets.settings]" in (task.error or "")
