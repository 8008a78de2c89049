"""The web UI in Chromium against a real server: upload, run, live graph, logs, previews,
compare, recurring runs."""

from __future__ import annotations

import re
import time
from pathlib import Path

import httpx
from playwright.sync_api import Page, expect

from tests.ui.conftest import API, screenshot, start_run, wait_for_run

RUN_URL = re.compile(r"/runs/[0-9a-f-]{36}$")
LONG = 90_000


def test_upload_start_from_form_watch_live_read_logs_and_preview_artifacts(
    page: Page, server: str, demo_yaml: Path, tmp_path: Path
) -> None:
    page.goto(f"{server}/pipelines")
    expect(page.locator("h1")).to_have_text("Pipelines")
    page.set_input_files("#upload-file", str(demo_yaml))
    page.fill("#upload-name", "uploaded-demo")
    page.click("form.upload button[type=submit]")
    page.wait_for_url(re.compile(r"/pipelines/[0-9a-f-]{36}"))
    expect(page.locator("h1")).to_contain_text("uploaded-demo")
    expect(page.locator('g.node[data-task="for-loop-2"]')).to_be_visible()
    expect(page.locator("table.grid")).to_contain_text("accuracy")
    screenshot(page, "pipeline")

    page.get_by_role("link", name="Create run").click()
    page.wait_for_url(re.compile(r"/runs/new"))
    gate = tmp_path / "gate"
    page.fill("#run-name", "from-the-form")
    page.fill("#param-seconds", "120")
    page.fill("#param-gate", str(gate))
    page.fill("#param-accuracy", "0.7")
    page.get_by_role("button", name="Start run").click()
    page.wait_for_url(RUN_URL)
    # Set on this document: still there later proves the graph changed without a reload.
    page.evaluate("window.sameDocument = true")
    wait = page.locator('g.node[data-task="wait"]')
    expect(wait).to_have_attribute("data-state", "RUNNING", timeout=LONG)
    log_reads: list[str] = []
    page.on("request", lambda r: log_reads.append(r.url) if "/logs?" in r.url else None)
    wait.click()
    log = page.locator(".task-panel .log")
    expect(log).to_contain_text("waiting for the gate file", timeout=LONG)
    expect(page.locator(".log-head")).to_contain_text("live")
    screenshot(page, "run-running")
    gate.write_text("open")
    expect(wait).to_have_attribute("data-state", "SUCCEEDED", timeout=LONG)
    expect(log).to_contain_text("gate open, done", timeout=LONG)
    # Followed by offset: after the first read only new bytes came, and none twice.
    offsets = [int(re.findall(r"offset=(\d+)", url)[0]) for url in log_reads]
    assert offsets[0] == 0 and max(offsets) > 0, log_reads
    assert log.inner_text().count("waiting for the gate file") == 1
    expect(page.locator('g.node[data-task="for-loop-2"]')).to_have_attribute(
        "aria-label", re.compile("3/3 done"), timeout=LONG
    )
    expect(page.locator(".run-head h1")).to_contain_text("SUCCEEDED", timeout=LONG)
    assert page.evaluate("window.sameDocument") is True

    report = page.locator('g.node[data-task="report"]')
    expect(report).to_have_attribute("data-state", "SUCCEEDED", timeout=LONG)
    report.click()
    panel = page.locator(".task-panel")
    expect(panel.locator("h2")).to_have_text("report")
    expect(panel.locator("table.metrics")).to_contain_text("0.7")
    expect(panel.locator("table.confusion")).to_contain_text("dog")
    expect(panel).to_contain_text("exit code", ignore_case=True)
    screenshot(page, "run-details")

    panel.get_by_role("link", name="summary").click()
    page.wait_for_url(re.compile(r"/artifacts/"))
    markdown = page.locator(".markdown")
    expect(markdown.locator("h1")).to_have_text("Report")
    expect(markdown.locator("strong")).to_have_text("hello")
    expect(markdown).to_contain_text("<script>alert(1)</script>")  # shown, never run
    assert markdown.locator("script").count() == 0
    expect(page.locator(".facts")).to_contain_text("report → summary")
    screenshot(page, "artifact-markdown")
    page.go_back()
    page.locator('g.node[data-task="report"]').click()
    page.locator(".task-panel").get_by_role("link", name="metrics").click()
    expect(page.locator("table.metrics")).to_contain_text("accuracy")
    expect(page.locator("table.metrics")).to_contain_text("0.7")
    page.go_back()
    page.locator('g.node[data-task="report"]').click()
    page.locator(".task-panel").get_by_role("link", name="page", exact=True).click()
    frame = page.locator("iframe.html-preview")
    expect(frame).to_have_attribute("sandbox", "")
    expect(page.frame_locator("iframe.html-preview").locator("#title")).to_have_text("Page")
    # sandbox="" keeps the artifact's script from running (it would have added a <title>).
    assert page.frame_locator("iframe.html-preview").locator("title").count() == 0
    page.go_back()
    page.locator('g.node[data-task="report"]').click()
    page.locator(".task-panel").get_by_role("link", name="table", exact=True).click()
    csv = page.locator("table.csv")
    expect(csv.locator("th")).to_have_text(["name", "score"])
    expect(csv.locator("tbody tr").first).to_contain_text("Smith, Ann")
    download = page.get_by_role("link", name="Download")
    expect(download).to_have_attribute("href", re.compile("/content"))


def test_terminate_retry_archive_and_delete_a_run(
    page: Page, server: str, demo_pipeline: str, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    run_id = start_run(server, demo_pipeline, "to-stop", seconds=120.0, gate=str(gate))
    page.on("dialog", lambda dialog: dialog.accept())
    page.goto(f"{server}/runs/{run_id}")
    wait = page.locator('g.node[data-task="wait"]')
    expect(wait).to_have_attribute("data-state", "RUNNING", timeout=LONG)
    page.get_by_role("button", name="Terminate").click()
    head = page.locator(".run-head h1")
    expect(head).to_contain_text("CANCELED", timeout=LONG)
    expect(wait).to_have_attribute("data-state", "CANCELED")
    gate.write_text("open")
    page.get_by_role("button", name="Retry").click()
    expect(head).to_contain_text("SUCCEEDED", timeout=LONG)
    expect(wait).to_have_attribute("data-state", "SUCCEEDED")
    page.get_by_role("button", name="Archive").click()
    expect(page.get_by_role("button", name="Restore")).to_be_visible()
    archived = httpx.get(f"{server}{API}/runs/{run_id}", params={"view": "BASIC"}).json()
    assert archived["storage_state"] == "ARCHIVED"
    page.get_by_role("button", name="Delete").click()
    page.wait_for_url(re.compile(r"/runs$"))
    assert httpx.get(f"{server}{API}/runs/{run_id}").status_code == 404


def test_loop_expands_into_iterations_and_urls_are_shareable(
    page: Page, server: str, demo_pipeline: str
) -> None:
    run_id = start_run(server, demo_pipeline, "loop-run")
    assert wait_for_run(server, run_id) == "SUCCEEDED"
    page.goto(f"{server}/runs/{run_id}")
    loop = page.locator('g.node[data-task="for-loop-2"]')
    expect(loop).to_have_attribute("data-state", "SUCCEEDED")
    # Keyboard: a focused node opens with Enter.
    loop.focus()
    page.keyboard.press("Enter")
    rows = page.locator("table.iterations tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator(".loop-summary")).to_contain_text("3/3 done")
    rows.nth(1).get_by_role("button", name="Open").click()
    expect(page.locator(".crumbs")).to_contain_text("#1")
    # The first test's run squared the same numbers: these come from the cache.
    square = page.locator('g.node[data-task="square"]')
    expect(square).to_have_attribute("data-state", "CACHED")
    square.click()
    expect(page.locator(".task-panel")).to_contain_text("reused from task")
    shared = page.url
    assert "level=" in shared and "task=" in shared
    page.goto(shared)  # a fresh load of the URL shows the same level and task
    expect(page.locator(".task-panel h2")).to_have_text("square")
    expect(page.locator(".task-panel")).to_contain_text("outputs were reused from the cache")
    page.goto(f"{server}/runs/no-such-run")
    expect(page.locator(".error")).to_contain_text("not found")


def test_runs_list_filters_and_compare_two_runs(
    page: Page, server: str, demo_pipeline: str
) -> None:
    low = start_run(server, demo_pipeline, "cmp-low", accuracy=0.6)
    high = start_run(server, demo_pipeline, "cmp-high", accuracy=0.9)
    assert wait_for_run(server, low) == wait_for_run(server, high) == "SUCCEEDED"
    page.goto(f"{server}/runs")
    expect(page.locator("table.runs")).to_contain_text("cmp-high")
    screenshot(page, "runs")
    page.fill("input[name=q]", "cmp-")
    page.get_by_role("button", name="Search").click()
    expect(page.locator("table.runs tbody tr")).to_have_count(2)
    assert "q=cmp-" in page.url
    page.select_option("select[name=state]", "FAILED")
    expect(page.locator("table.runs")).to_contain_text("No runs match")
    page.select_option("select[name=state]", "SUCCEEDED")
    expect(page.locator("table.runs tbody tr")).to_have_count(2)
    page.get_by_label("Select cmp-low").check()
    page.get_by_label("Select cmp-high").check()
    page.get_by_role("button", name=re.compile("Compare selected")).click()
    page.wait_for_url(re.compile(r"/compare\?runs="))
    differs = page.locator("tr.differs")
    expect(differs.filter(has_text="metrics.accuracy")).to_contain_text("0.6")
    expect(differs.filter(has_text="metrics.accuracy")).to_contain_text("0.9")
    expect(page.locator("tr:not(.differs)", has_text="word")).to_have_count(1)
    expect(page.locator("figure", has_text="ROC curves").locator("path.series")).to_have_count(2)
    screenshot(page, "compare")
    page.get_by_role("link", name="cmp-low").click()
    page.get_by_role("link", name="Clone").click()
    expect(page.locator("#run-name")).to_have_value("Clone of cmp-low")
    expect(page.locator("#param-accuracy")).to_have_value("0.6")
    page.get_by_role("button", name="Start run").click()
    page.wait_for_url(RUN_URL)
    clone = httpx.get(f"{server}{API}/runs/{page.url.rsplit('/', 1)[1]}", params={"view": "BASIC"})
    assert clone.json()["runtime_config"]["parameters"]["accuracy"] == 0.6


def test_create_a_recurring_run_and_disable_it(page: Page, server: str, demo_pipeline: str) -> None:
    page.goto(f"{server}/recurring/new")
    page.fill("#rr-name", "nightly")
    page.select_option("#pipeline", demo_pipeline)
    expect(page.locator("#param-accuracy")).to_have_value("0.9")
    page.select_option("#rr-kind", "cron")
    page.fill("#rr-cron", "0 0 3 * * *")
    page.fill("#rr-concurrency", "2")
    page.uncheck("#rr-catchup")
    page.get_by_role("button", name="Create recurring run").click()
    page.wait_for_url(re.compile(r"/recurring/[0-9a-f-]{36}$"))
    facts = page.locator(".facts")
    expect(facts).to_contain_text("cron 0 0 3 * * *")
    expect(facts).to_contain_text("always the latest")
    expect(page.locator("h1")).to_contain_text("ENABLED")
    screenshot(page, "recurring")
    page.get_by_role("button", name="Disable").click()
    expect(page.locator("h1")).to_contain_text("DISABLED")
    stored = httpx.get(f"{server}{API}/recurringruns").json()["recurringRuns"]
    made = next(r for r in stored if r["display_name"] == "nightly")
    assert made["max_concurrency"] == "2" and made["no_catchup"] is True
    assert made["status"] == "DISABLED"
    page.goto(f"{server}/recurring/new")
    page.fill("#rr-name", "bad")
    page.select_option("#pipeline", demo_pipeline)
    page.select_option("#rr-kind", "cron")
    page.fill("#rr-cron", "not a cron")
    page.get_by_role("button", name="Create recurring run").click()
    expect(page.locator(".error")).to_contain_text("cron")


def test_a_recurring_run_shows_why_its_last_trigger_failed(
    page: Page, server: str, demo_pipeline: str
) -> None:
    body = {
        "display_name": "misconfigured",
        "pipeline_version_reference": {"pipeline_id": demo_pipeline},
        "runtime_config": {"parameters": {"no_such_parameter": 1}},
        "trigger": {
            "periodic_schedule": {"interval_second": 3600, "start_time": "2020-01-01T00:00:00Z"}
        },
        "no_catchup": True,  # only the latest trigger, due at once
    }
    created = httpx.post(f"{server}{API}/recurringruns", json=body)
    assert created.status_code == 200, created.text
    url = f"{server}{API}/recurringruns/{created.json()['recurring_run_id']}"
    try:
        deadline = time.monotonic() + 30
        while "error" not in httpx.get(url).json():  # the server's scheduler ticks every second
            assert time.monotonic() < deadline, "the scheduler never recorded the error"
            time.sleep(0.2)
        page.goto(f"{server}/recurring/{created.json()['recurring_run_id']}")
        alert = page.get_by_role("alert")
        expect(alert).to_contain_text("Its last trigger failed")
        expect(alert).to_contain_text("no_such_parameter")
    finally:
        httpx.post(f"{url}:disable")


def test_experiments_archive_and_restore(page: Page, server: str) -> None:
    page.goto(f"{server}/experiments")
    page.fill("#experiment-name", "tuning")
    page.get_by_role("button", name="Create experiment").click()
    expect(page.locator("h1")).to_have_text("tuning")
    expect(page.locator("table.runs")).to_contain_text("No runs yet")
    page.get_by_role("button", name="Archive").click()
    expect(page.locator("h1")).to_contain_text("(archived)")
    page.goto(f"{server}/experiments?archived=1")
    row = page.locator("tr", has_text="tuning")
    row.get_by_role("button", name="Restore").click()
    expect(page.locator("tr", has_text="tuning")).to_have_count(0)
    page.goto(f"{server}/experiments?sort=display_name%20asc")
    expect(page.locator("tr", has_text="tuning")).to_have_count(1)
    screenshot(page, "experiments")


def test_runs_list_follows_running_runs_without_a_reload(
    page: Page, server: str, demo_pipeline: str, tmp_path: Path
) -> None:
    gate = tmp_path / "gate"
    start_run(server, demo_pipeline, "live-list", seconds=120.0, gate=str(gate), word="live")
    page.goto(f"{server}/runs?q=live-list")
    row = page.locator("table.runs tbody tr", has_text="live-list")
    expect(row).to_contain_text("RUNNING", timeout=LONG)
    page.evaluate("window.sameDocument = true")
    gate.write_text("open")
    expect(row).to_contain_text("SUCCEEDED", timeout=LONG)
    assert page.evaluate("window.sameDocument") is True


def test_runs_list_names_the_pipeline_version(
    page: Page, server: str, demo_pipeline: str, demo_yaml: Path
) -> None:
    uploaded = httpx.post(
        f"{server}{API}/pipelines/upload_version",
        params={"pipelineid": demo_pipeline, "name": "second-version"},
        files={"uploadfile": (demo_yaml.name, demo_yaml.read_bytes())},
    )
    uploaded.raise_for_status()
    body = {
        "display_name": "on-second-version",
        "pipeline_version_reference": {
            "pipeline_id": demo_pipeline,
            "pipeline_version_id": uploaded.json()["pipeline_version_id"],
        },
    }
    httpx.post(f"{server}{API}/runs", json=body).raise_for_status()
    page.goto(f"{server}/runs?q=on-second-version")
    row = page.locator("table.runs tbody tr", has_text="on-second-version")
    expect(row).to_contain_text("ui-demo · second-version")
