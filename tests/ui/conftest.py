"""A real `headrace server` and Debian's Chromium driven by Playwright (no downloaded browsers)."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from kfp import compiler
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.server.conftest import free_port, start_server
from tests.ui import pipelines

CHROMIUM = "/usr/bin/chromium"
API = "/apis/v2beta1"
# `make screenshots` sets it: the tests then save the main pages there as PNG files.
SHOTS = os.environ.get("UI_SCREENSHOTS")
# The machine may be busy with other work: give pages time, never a timed assertion.
expect.set_options(timeout=20_000)


@pytest.fixture(scope="session")
def demo_yaml(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ui") / "ui_demo.yaml"
    compiler.Compiler().compile(pipelines.ui_demo, str(path))
    return path


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The base URL of a `headrace server` (API, UI, workers) with its own home."""
    port = free_port()
    proc: subprocess.Popen[bytes] = start_server(tmp_path_factory.mktemp("home"), port)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)


@pytest.fixture(scope="module")
def demo_pipeline(server: str, demo_yaml: Path) -> str:
    """The demo pipeline uploaded through the API; its id."""
    response = httpx.post(
        f"{server}{API}/pipelines/upload",
        params={"name": "ui-demo"},
        files={"uploadfile": (demo_yaml.name, demo_yaml.read_bytes())},
    )
    response.raise_for_status()
    pipeline_id: str = response.json()["pipeline_id"]
    return pipeline_id


def start_run(server: str, pipeline_id: str, name: str, **parameters: Any) -> str:
    body = {
        "display_name": name,
        "pipeline_version_reference": {"pipeline_id": pipeline_id},
        "runtime_config": {"parameters": parameters},
    }
    response = httpx.post(f"{server}{API}/runs", json=body)
    response.raise_for_status()
    run_id: str = response.json()["run_id"]
    return run_id


def wait_for_run(server: str, run_id: str, timeout: float = 120) -> str:
    deadline = time.monotonic() + timeout
    while True:
        state: str = httpx.get(f"{server}{API}/runs/{run_id}", params={"view": "BASIC"}).json()[
            "state"
        ]
        if state in ("SUCCEEDED", "FAILED", "CANCELED"):
            return state
        assert time.monotonic() < deadline, f"run {run_id} still {state}"
        time.sleep(0.3)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh tab; a JavaScript error in it fails the test."""
    context = browser.new_context(viewport={"width": 1280, "height": 820})
    tab = context.new_page()
    tab.set_default_timeout(30_000)
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    yield tab
    context.close()
    assert not errors, errors


def screenshot(page: Page, name: str) -> None:
    """Save the page for docs/screenshots when asked to (make screenshots)."""
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))
