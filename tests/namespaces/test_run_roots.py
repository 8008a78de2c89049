"""A new run's pipeline root: the one it asks for, else its namespace's, else the global one,
whether the run comes from the API or `headrace run` (the scheduler: tests/scheduler)."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from kfp import compiler

from headrace.config import load_settings
from headrace.store import Store
from tests.api import pipelines
from tests.api.conftest import settings_app
from tests.cli.conftest import Cli

with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    from fastapi.testclient import TestClient

API = "/apis/v2beta1"
ARTIFACT_PIPELINES = str(Path(__file__).parents[1] / "storage" / "pipelines.py")


@pytest.fixture
def api(tmp_path: Path) -> Iterator[tuple[TestClient, Store]]:
    settings = load_settings(environ={"HEADRACE_HOME": str(tmp_path)})
    with Store.connect(settings.resolved_database_url()) as store:
        app = settings_app(store, settings)
        with TestClient(app, raise_server_exceptions=False) as client:
            yield client, store


def _spec(tmp_path: Path) -> dict[str, Any]:
    path = tmp_path / "echoer.yaml"
    compiler.Compiler().compile(pipelines.echoer, str(path))
    spec: dict[str, Any] = yaml.safe_load(path.read_text())
    return spec


def test_api_runs_use_the_namespace_root_unless_they_name_one(
    api: tuple[TestClient, Store], tmp_path: Path
) -> None:
    client, store = api
    team_root = str(tmp_path / "team-a-root")
    put = client.put(f"{API}/namespaces/team-a/storage", json={"pipeline_root": team_root})
    assert put.status_code == 200, put.text
    team = client.post(f"{API}/experiments", json={"display_name": "e", "namespace": "team-a"})
    spec = _spec(tmp_path)

    def create(**body: Any) -> str:
        response = client.post(
            f"{API}/runs", json={"display_name": "r", "pipeline_spec": spec, **body}
        )
        assert response.status_code == 200, response.text
        return store.get_run(response.json()["run_id"]).pipeline_root

    in_team = {"experiment_id": team.json()["experiment_id"]}
    assert create(**in_team) == team_root
    own = str(tmp_path / "own")
    assert create(**in_team, runtime_config={"pipeline_root": own}) == own
    assert create() == str(tmp_path / "artifacts")  # the default namespace has no override

    assert client.delete(f"{API}/namespaces/team-a/storage").status_code == 200
    assert create(**in_team) == str(tmp_path / "artifacts")


def test_cli_run_in_a_namespace_uses_its_root_unless_given_one(tmp_path: Path) -> None:
    cli = Cli(tmp_path / "home")
    team_root = tmp_path / "team-a-root"
    set_root = ("namespace", "set-storage", "team-a", "--pipeline-root", str(team_root))
    assert cli(*set_root).returncode == 0
    run = ("run", ARTIFACT_PIPELINES, "--pipeline", "one_producer", "--quiet", "--no-cache")
    # The global setting (here from the environment) does not beat the namespace's root.
    env = {"HEADRACE_PIPELINE_ROOT": str(tmp_path / "global")}
    in_team = cli(*run, "--namespace", "team-a", **env)
    assert in_team.returncode == 0, in_team.stderr
    own = cli(*run, "--namespace", "team-a", "--pipeline-root", str(tmp_path / "own"), **env)
    assert own.returncode == 0, own.stderr
    default = cli(*run, **env)
    assert default.returncode == 0, default.stderr
    runs = list(reversed(cli.json("runs", "list")))
    assert [(r["namespace"], r["pipeline_root"]) for r in runs] == [
        ("team-a", str(team_root)),
        ("team-a", str(tmp_path / "own")),
        ("default", str(tmp_path / "global")),
    ]
    written = {p.name for p in team_root.rglob("*") if p.is_file()}
    assert "data" in written, "the run's artifacts are under the namespace's root"
