"""The web UI under load: first render and bytes of the run details page (1,000 and 5,000 tasks)
and of the runs list with 100,000 runs stored.

A SQLite database is seeded (runs through the seeding of bench/server.py; the big runs' tasks
through the Store's batch inserts, no worker involved), `headrace server --concurrent-runs 0`
serves it on 127.0.0.1, and Debian's Chromium (Playwright) loads each page in a fresh browser
context (no cache), `--repeat` times:
  first render  from navigation start to the page showing its data (graph states with the loop's
                progress; the loop's first page of iterations; the first 20 runs), read from the
                page's own clock (performance.now())
  bytes         everything the page fetched until then (HTML, JS, CSS, API JSON), decoded
For contrast, the v2beta1 `GET /runs/{id}` (every task, as the Kubeflow UI loads a run) is timed
and weighed for the same runs.

Usage: python bench/ui.py [--output docs/benchmarks.md] [--runs 100000] [--repeat 5]
                          [--screenshot docs/screenshots/loop-progress.png]
"""

# No `from __future__ import annotations`: kfp reads the component annotations at runtime.

import argparse
import random
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from _common import machine, write_section
from _seed import seed
from _serve import serve
from kfp import compiler, dsl
from playwright.sync_api import Browser, sync_playwright

from headrace.states import TaskKind, TaskState
from headrace.store import Store
from headrace.store.records import NewRun, NewTask, TaskUpdate

API = "/apis/v2beta1"
CHROMIUM = "/usr/bin/chromium"
SIZES = (1_000, 5_000)
LOOP = "for-loop-1"


@dsl.component(base_image="python:3.11")
def square(x: int) -> int:
    return x * x


@dsl.component(base_image="python:3.11")
def total(values: list) -> int:
    return sum(values)


@dsl.pipeline(name="bench-fan-out")
def fan_out(items: list = [1, 2, 3]) -> int:  # noqa: B006 (a pipeline default, not shared state)
    with dsl.ParallelFor(items) as x:
        squared = square(x=x)
    return total(values=dsl.Collected(squared.output)).output


def big_run(store: Store, spec: dict[str, Any], tasks: int, rng: random.Random) -> str:
    """A RUNNING run whose loop has `tasks` iterations of one task: 73% done, 3 failed."""
    run = store.create_run(NewRun("bench-fan-out", f"fan-out-{tasks}", spec, "/tmp/bench"))
    root = store.create_task(NewTask(run.id, None, "bench-fan-out", "", TaskKind.ROOT, "root"))
    loop = store.create_task(NewTask(run.id, root.id, LOOP, LOOP, TaskKind.LOOP, f"comp-{LOOP}"))
    store.create_task(NewTask(run.id, root.id, "total", "total", TaskKind.CONTAINER, "comp-total"))
    iterations = store.create_tasks(
        [
            NewTask(run.id, loop.id, f"iteration-{i}", f"{LOOP}/{i}", TaskKind.ITERATION, None, i)
            for i in range(tasks)
        ]
    )
    leaves = store.create_tasks(
        [
            NewTask(
                run.id, it.id, "square", f"{LOOP}/{i}/square", TaskKind.CONTAINER, "comp-square"
            )
            for i, it in enumerate(iterations)
        ]
    )
    done = int(tasks * 0.734)
    failed = set(rng.sample(range(done), 3))
    updates: list[tuple[str, TaskUpdate]] = []
    for i, (it, leaf) in enumerate(zip(iterations, leaves, strict=True)):
        if i < done:
            state = TaskState.FAILED if i in failed else TaskState.SUCCEEDED
        elif i < done + 8:
            state = TaskState.RUNNING
        else:
            continue
        fields = TaskUpdate(state=state, inputs={"x": i}, outputs={"Output": i * i})
        updates += [(it.id, TaskUpdate(state=state)), (leaf.id, fields)]
    store.update_tasks(updates)
    store.update_task(loop.id, TaskUpdate(state=TaskState.RUNNING, iteration_count=tasks))
    store.update_task(root.id, TaskUpdate(state=TaskState.RUNNING))
    return run.id


@dataclass(frozen=True)
class PageResult:
    label: str
    render_ms: list[float]
    total_bytes: int
    api_bytes: int
    requests: int


def measure(browser: Browser, url: str, ready: str, label: str, repeat: int) -> PageResult:
    """Load `url` `repeat` times in fresh contexts; `ready` is JS that is true once drawn."""
    times: list[float] = []
    sizes = (0, 0, 0)
    for _ in range(repeat):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(url, wait_until="commit")
        page.wait_for_function(ready, polling="raf", timeout=120_000)
        entries = page.evaluate(
            """() => {
              const now = performance.now();
              const nav = performance.getEntriesByType('navigation')[0];
              const res = performance.getEntriesByType('resource')
                .filter(e => e.responseEnd <= now)
                .map(e => [e.name, e.decodedBodySize]);
              return {now, doc: nav.decodedBodySize, res};
            }"""
        )
        times.append(entries["now"])
        api = sum(size for name, size in entries["res"] if "/apis/" in name)
        total_bytes = entries["doc"] + sum(size for _, size in entries["res"])
        sizes = (total_bytes, api, len(entries["res"]) + 1)
        context.close()
    return PageResult(label, times, *sizes)


@dataclass(frozen=True)
class FullRead:
    label: str
    seconds: list[float]
    bytes: int


def full_run_read(base: str, run_id: str, label: str, repeat: int) -> FullRead:
    seconds: list[float] = []
    size = 0
    with httpx.Client(base_url=base, timeout=600) as client:
        for _ in range(repeat):
            started = time.perf_counter()
            response = client.get(f"{API}/runs/{run_id}")
            seconds.append(time.perf_counter() - started)
            response.raise_for_status()
            size = len(response.content)
    return FullRead(label, seconds, size)


def kib(n: int) -> str:
    return f"{n / 1024:,.1f} KiB"


def report(pages: list[PageResult], reads: list[FullRead], args: argparse.Namespace) -> str:
    lines = [
        "## Web UI: first render and payload (bench/ui.py)",
        "",
        f"Machine: {machine()}. Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC. "
        f"SQLite, {args.runs:,} seeded runs plus two running fan-out runs; Chromium "
        f"{args.chromium} headless, fresh context per load, {args.repeat} loads per page.",
        "",
        "| page | first render, median (min-max) | bytes until then | of which API JSON |"
        " requests |",
        "|---|---|---|---|---|",
    ]
    for p in pages:
        lines.append(
            f"| {p.label} | {statistics.median(p.render_ms):,.0f} ms "
            f"({min(p.render_ms):,.0f}-{max(p.render_ms):,.0f}) | {kib(p.total_bytes)} "
            f"| {kib(p.api_bytes)} | {p.requests} |"
        )
    lines += [
        "",
        "The run page reads the run without its tasks (`?view=BASIC`), the root level's children "
        "with their children's state counts (`/runs/{id}/tasks?parent_id=`) and the progress "
        "counts: what it fetches does not grow with the number of tasks. A loop opens to one page "
        "of 50 iterations. For contrast, the full v2beta1 run (`GET /runs/{id}` with "
        "`run_details`, every task: what the Kubeflow UI loads for a run):",
        "",
        "| run | GET /runs/{id}, median | body |",
        "|---|---|---|",
    ]
    for r in reads:
        lines.append(
            f"| {r.label} | {statistics.median(r.seconds) * 1000:,.0f} ms | {kib(r.bytes)} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--screenshot", type=Path, default=None, help="the 5,000-task run's page")
    args = parser.parse_args()
    rng = random.Random(6)
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        path = workdir / "fan_out.yaml"
        compiler.Compiler().compile(fan_out, str(path))
        spec: dict[str, Any] = yaml.safe_load(path.read_text())
        url = f"sqlite:///{workdir / 'headrace.db'}"
        seeded = seed(url, spec, args.runs, rng)
        print(f"seeded {seeded.runs:,} runs in {seeded.seconds:.0f} s", file=sys.stderr)
        with Store.connect(url) as store:
            big = {n: big_run(store, spec, n, rng) for n in SIZES}
        pages: list[PageResult] = []
        reads: list[FullRead] = []
        with serve(url, workdir) as base, sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
            args.chromium = browser.version
            for n, run_id in big.items():
                drawn = (
                    f"document.querySelector('g.node[data-task=\"{LOOP}\"]')"
                    "?.getAttribute('aria-label')?.includes('done')"
                )
                pages.append(
                    measure(
                        browser,
                        f"{base}/runs/{run_id}",
                        drawn,
                        f"run details, {n:,}-task run",
                        args.repeat,
                    )
                )
                with Store.connect(url, migrate=False) as store:
                    loop_id = next(t.id for t in store.list_child_tasks(run_id, None)[0])
                    loop_id = next(
                        t.id for t in store.list_child_tasks(run_id, loop_id)[0] if t.name == LOOP
                    )
                rows = (
                    "document.querySelectorAll('table.iterations tbody tr[data-task-id]')"
                    ".length === 50"
                )
                pages.append(
                    measure(
                        browser,
                        f"{base}/runs/{run_id}?level={loop_id}",
                        rows,
                        f"its loop opened (page of 50 iterations), {n:,}-task run",
                        args.repeat,
                    )
                )
                reads.append(full_run_read(base, run_id, f"{n:,}-task run", 3))
            if args.screenshot:
                shot = browser.new_page(viewport={"width": 1280, "height": 560})
                shot.goto(f"{base}/runs/{big[SIZES[-1]]}")
                shot.wait_for_function(drawn, polling="raf")
                shot.screenshot(path=str(args.screenshot))
                shot.close()
            listed = "document.querySelectorAll('table.runs tbody tr[data-run-id]').length === 20"
            pages.append(
                measure(
                    browser, f"{base}/runs", listed, f"runs list, {args.runs:,} runs", args.repeat
                )
            )
            browser.close()
    text = report(pages, reads, args)
    print(text)
    if args.output:
        write_section(args.output, "bench/ui.py", text)


if __name__ == "__main__":
    main()
