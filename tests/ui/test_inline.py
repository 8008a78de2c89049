"""Sub-pipelines and loops opened in place in the run's graph: collapsed at first, a toggle (by
keyboard) shows a sub-pipeline's tasks and a loop's first iterations inside the parent graph."""

from __future__ import annotations

import re

import httpx
import pytest
from kfp import compiler
from playwright.sync_api import Page, expect

from tests.ui import pipelines
from tests.ui.conftest import API, screenshot, start_run, wait_for_run


@pytest.fixture(scope="module")
def nested_pipeline(server: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    path = tmp_path_factory.mktemp("nested") / "nested.yaml"
    compiler.Compiler().compile(pipelines.nested_demo, str(path))
    response = httpx.post(
        f"{server}{API}/pipelines/upload",
        params={"name": "nested-demo"},
        files={"uploadfile": (path.name, path.read_bytes())},
    )
    response.raise_for_status()
    pipeline_id: str = response.json()["pipeline_id"]
    return pipeline_id


def test_sub_pipeline_and_loop_open_in_place(page: Page, server: str, nested_pipeline: str) -> None:
    run_id = start_run(server, nested_pipeline, "nested")
    assert wait_for_run(server, run_id) == "SUCCEEDED"
    page.goto(f"{server}/runs/{run_id}")
    sub = page.locator('g.toggle[data-toggle="inner"]')
    loop = page.locator('g.toggle[data-toggle="for-loop-2"]')
    expect(sub).to_have_attribute("aria-expanded", "false")
    expect(page.locator("g.frame")).to_have_count(0)

    sub.focus()
    page.keyboard.press("Enter")
    frame = page.locator('g.frame[data-frame="inner"]')
    expect(frame.locator('g.node[data-task="square"]')).to_have_attribute(
        "data-state", re.compile("SUCCEEDED|CACHED")
    )
    expect(page.locator('g.toggle[data-toggle="inner"]')).to_be_focused()
    assert "open=inner" in page.url

    page.locator('g.toggle[data-toggle="for-loop-2"]').press("Enter")
    cards = page.locator('g.frame[data-frame="for-loop-2"] g.node.iteration')
    expect(cards).to_have_count(9)  # the first 8 and "all 12"
    expect(cards.nth(0)).to_have_attribute("data-state", re.compile("SUCCEEDED|CACHED"))
    expect(cards.nth(8)).to_contain_text("all 12")
    screenshot(page, "run-inline")
    page.reload()  # the URL keeps what is open
    expect(cards).to_have_count(9)
    expect(frame).to_be_visible()

    cards.nth(3).click()
    expect(page.locator(".crumbs")).to_contain_text("#3")
    page.go_back()
    page.locator('g.toggle[data-toggle="inner"]').click()
    expect(page.locator('g.frame[data-frame="inner"]')).to_have_count(0)
    expect(loop).to_have_attribute("aria-expanded", "true")
