"""The namespace picker: runs, experiments, pipelines and the new-run form of one namespace at a
time, the namespace kept in the URL."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.ui.conftest import API, start_run, wait_for_run

TEAM = "team-a"


def _team_pipeline(server: str, demo_yaml: Path) -> str:
    response = httpx.post(
        f"{server}{API}/pipelines/upload",
        params={"name": "team-demo", "namespace": TEAM},
        files={"uploadfile": (demo_yaml.name, demo_yaml.read_bytes())},
    )
    response.raise_for_status()
    pipeline_id: str = response.json()["pipeline_id"]
    return pipeline_id


def test_two_namespaces_are_kept_apart(
    page: Page, server: str, demo_pipeline: str, demo_yaml: Path
) -> None:
    team_pipeline = _team_pipeline(server, demo_yaml)
    made = httpx.post(
        f"{server}{API}/experiments", json={"display_name": "team-exp", "namespace": TEAM}
    )
    made.raise_for_status()
    in_default = start_run(server, demo_pipeline, "run-in-default")
    assert wait_for_run(server, in_default) == "SUCCEEDED"

    page.goto(f"{server}/runs")
    runs = page.locator("table.runs")
    expect(runs).to_contain_text("run-in-default")
    expect(page.locator("#namespace")).to_have_value("default")
    page.select_option("#namespace", TEAM)
    page.wait_for_url(re.compile(rf"/runs\?ns={TEAM}$"))
    expect(runs).to_contain_text("No runs")
    expect(runs).not_to_contain_text("run-in-default")

    # The menu keeps the namespace; the lists are the namespace's.
    page.get_by_role("link", name="Pipelines", exact=True).click()
    page.wait_for_url(re.compile(rf"/pipelines\?ns={TEAM}$"))
    expect(page.locator("main")).to_contain_text("team-demo")
    expect(page.locator("main")).not_to_contain_text("ui-demo")
    page.get_by_role("link", name="Experiments", exact=True).click()
    expect(page.locator("main")).to_contain_text("team-exp")

    # A run started from the form lands in the namespace, in its Default experiment.
    page.goto(f"{server}/runs/new?ns={TEAM}")
    page.fill("#run-name", "run-in-team")
    page.select_option("#pipeline", team_pipeline)
    page.get_by_role("button", name="Start run").click()
    page.wait_for_url(re.compile(r"/runs/[0-9a-f-]{36}"))
    run_id = page.url.split("/runs/")[1].split("?")[0]
    run = httpx.get(f"{server}{API}/runs/{run_id}", params={"view": "BASIC"}).json()
    experiment = httpx.get(f"{server}{API}/experiments/{run['experiment_id']}").json()
    assert (experiment["namespace"], experiment["display_name"]) == (TEAM, "Default")
    assert wait_for_run(server, run_id) == "SUCCEEDED"

    # A shared link shows the same namespace; `default` does not show the team's run.
    page.goto(f"{server}/runs?ns={TEAM}")
    expect(page.locator("#namespace")).to_have_value(TEAM)
    expect(runs).to_contain_text("run-in-team")
    expect(runs).not_to_contain_text("run-in-default")
    page.select_option("#namespace", "default")
    expect(runs).to_contain_text("run-in-default")
    expect(runs).not_to_contain_text("run-in-team")
