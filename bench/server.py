"""The API server under load: the run list with 100,000 runs stored, and create-run throughput.

`headrace server --concurrent-runs 0` (no worker, so created runs stay PENDING and the numbers are
the API's and the database's) serves a freshly seeded database on 127.0.0.1; httpx clients in this
process measure each request's wall time, client included, on the same machine:
  lists    GET /apis/v2beta1/runs: the first page (repeated) and the 50 pages after it (following
           next_page_token), page_size 20 and 100, per sort order and filter
  creates  POST /apis/v2beta1/runs with an inline 1-task pipeline spec, sequential and concurrent
Each list also gets its SQL plan (EXPLAIN on page 2's queries), to show which index it uses.

Usage: python bench/server.py [--output docs/benchmarks.md] [--runs 100000] [--creates 300]
                              [--postgres URL | --no-postgres]
"""

# No `from __future__ import annotations`: kfp reads the component annotations at runtime.

import argparse
import json
import random
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml
from _common import machine, write_section
from _plans import Plan, explain
from _seed import Seeded, seed
from _serve import fresh_postgres, serve
from kfp import compiler, dsl
from sqlalchemy import create_engine

from headrace.store.records import ListQuery

API = "/apis/v2beta1"
FIRST_PAGE_REPEAT = 20
WALK_PAGES = 50
PAGE_SIZES = (20, 100)
CONCURRENT_CLIENTS = 4


@dsl.component(base_image="python:3.11")
def step(x: int) -> int:
    return x + 1


@dsl.pipeline(name="bench-one-task")
def one_task(n: int = 0) -> int:
    return step(x=n).output


@dataclass(frozen=True)
class ListCase:
    """One run list as a client asks for it (the route's own rules decide the namespace)."""

    label: str
    sort_by: str
    filter: str | None = None
    experiment_id: str | None = None

    def params(self, page_size: int) -> dict[str, str | int]:
        given = {
            "sort_by": self.sort_by,
            "filter": self.filter,
            "experiment_id": self.experiment_id,
        }
        return {"page_size": page_size, **{k: v for k, v in given.items() if v}}

    def query(self, page_size: int, token: str | None = None) -> ListQuery:
        namespace = None if self.experiment_id else "default"
        return ListQuery(
            namespace=namespace,
            page_size=page_size,
            page_token=token,
            sort_by=self.sort_by,
            filter=self.filter,
        )


def list_cases(seeded: Seeded) -> list[ListCase]:
    def predicate(key: str, operation: str, value: str) -> str:
        item = {"key": key, "operation": operation, "string_value": value}
        return json.dumps({"predicates": [item]})

    return [
        ListCase("all runs, newest first", "created_at desc"),
        ListCase("all runs, by name", "display_name"),
        ListCase(
            "one experiment, state SUCCEEDED, newest first",
            "created_at desc",
            predicate("state", "EQUALS", "SUCCEEDED"),
            seeded.experiment("default", "training"),
        ),
        ListCase(
            "not archived (the UI's default), newest first",
            "created_at desc",
            predicate("storage_state", "NOT_EQUALS", "ARCHIVED"),
        ),
    ]


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)

    def add(self, started: float, response: httpx.Response) -> None:
        self.seconds.append(time.perf_counter() - started)
        self.sizes.append(len(response.content))

    def p(self, percent: int) -> float:
        """The percentile of the request times, in ms."""
        if len(self.seconds) == 1:
            return self.seconds[0] * 1000
        return statistics.quantiles(self.seconds, n=100, method="inclusive")[percent - 1] * 1000


@dataclass(frozen=True)
class ListResult:
    case: ListCase
    page_size: int
    total: int
    first: Timings
    walk: Timings


def get(client: httpx.Client, params: dict[str, Any], timings: Timings) -> dict[str, Any]:
    started = time.perf_counter()
    response = client.get(f"{API}/runs", params=params)
    timings.add(started, response)
    if response.status_code != 200:
        raise SystemExit(f"GET /runs {params} answered {response.status_code}: {response.text}")
    body: dict[str, Any] = response.json()
    return body


def measure_list(client: httpx.Client, case: ListCase, page_size: int) -> ListResult:
    params = case.params(page_size)
    get(client, params, Timings())  # warm-up, not counted
    first = Timings()
    for _ in range(FIRST_PAGE_REPEAT):
        body = get(client, params, first)
    total = int(body.get("total_size", 0))
    walk = Timings()
    token = body.get("next_page_token")
    for _ in range(WALK_PAGES):
        if not token:
            break
        token = get(client, {**params, "page_token": token}, walk).get("next_page_token")
    return ListResult(case, page_size, total, first, walk)


@dataclass(frozen=True)
class CreateResult:
    clients: int
    wall: float
    timings: Timings

    @property
    def per_second(self) -> float:
        return len(self.timings.seconds) / self.wall


def measure_creates(base: str, spec: dict[str, Any], count: int, clients: int) -> CreateResult:
    """POST `count` runs, split over `clients` threads with one connection each."""
    shares = [count // clients + (1 if i < count % clients else 0) for i in range(clients)]

    def post(share: int, worker: int) -> Timings:
        timings = Timings()
        with httpx.Client(base_url=base, timeout=60) as client:
            for i in range(share):
                body = {
                    "display_name": f"bench create {worker}-{i}",
                    "pipeline_spec": spec,
                    "runtime_config": {"parameters": {"n": i}},
                }
                started = time.perf_counter()
                response = client.post(f"{API}/runs", json=body)
                timings.add(started, response)
                if response.status_code != 200:
                    raise SystemExit(f"POST /runs answered {response.status_code}: {response.text}")
        return timings

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        parts = list(pool.map(post, shares, range(clients)))
    wall = time.perf_counter() - started
    merged = Timings([s for p in parts for s in p.seconds], [n for p in parts for n in p.sizes])
    return CreateResult(clients, wall, merged)


@dataclass(frozen=True)
class DatabaseResult:
    database: str
    seeded: Seeded
    size: str
    lists: list[ListResult]
    creates: list[CreateResult]
    plans: dict[str, Plan]


def bench_database(
    database: str, url: str, workdir: Path, spec: dict[str, Any], args: argparse.Namespace
) -> DatabaseResult:
    print(f"{database}: seeding {args.runs} runs", file=sys.stderr)
    seeded = seed(url, spec, args.runs, random.Random(7))
    print(f"{database}: seeded in {seeded.seconds:.1f} s", file=sys.stderr)
    size = _size(url)
    cases = list_cases(seeded)
    found = {case.label: explain(url, case.query, case.experiment_id) for case in cases}
    lists: list[ListResult] = []
    creates: list[CreateResult] = []
    with serve(url, workdir) as base, httpx.Client(base_url=base, timeout=60) as client:
        for case in cases:
            for page_size in PAGE_SIZES:
                lists.append(measure_list(client, case, page_size))
                print(f"{database}: {case.label} x{page_size} done", file=sys.stderr)
        for clients in (1, CONCURRENT_CLIENTS):
            creates.append(measure_creates(base, spec, args.creates, clients))
            print(f"{database}: {args.creates} creates, {clients} client(s) done", file=sys.stderr)
    return DatabaseResult(database, seeded, size, lists, creates, found)


def _size(url: str) -> str:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if conn.dialect.name == "sqlite":
                pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
                page_size = conn.exec_driver_sql("PRAGMA page_size").scalar_one()
                return f"{pages * page_size / 2**20:.0f} MiB"
            return str(
                conn.exec_driver_sql("SELECT pg_size_pretty(pg_database_size(current_database()))")
                .scalar_one()
                .replace("MB", "MiB")
            )
    finally:
        engine.dispose()


def report(results: list[DatabaseResult], args: argparse.Namespace, skipped: str | None) -> str:
    spec_kib = len(json.dumps(args.spec)) / 1024
    lines = [
        "## Server: run list and run creation",
        "",
        f"Measured {datetime.now(UTC):%Y-%m-%d} on {machine()} by `make bench-server` "
        "(`bench/server.py`). `headrace server --concurrent-runs 0` serves a fresh database on "
        "127.0.0.1 and httpx clients on the same machine time each request, client included "
        "(so the client's own CPU competes with the server's on the same cores).",
        "",
        f"Seeding: {args.runs:,} runs over 180 days in 5 experiments of 2 namespaces (90% in "
        "`default`), 84% SUCCEEDED, 12% FAILED, 4% CANCELED, the last hour PENDING "
        "or RUNNING, 5% of those older than 30 days archived; every run stores the same "
        f"compiled 1-task pipeline spec ({spec_kib:.1f} KiB of JSON), as a created run does. "
        "`Store.create_run` in a loop would take about 4 minutes (about 2.3 ms a run), and the "
        "Store has no bulk insert, so the benchmark writes the run rows with SQLAlchemy Core "
        "against the store's tables (`bench/_seed.py`); experiments go through the Store.",
        "",
    ]
    for result in results:
        lines += [
            f"- {result.database}: seeded in {result.seeded.seconds:.0f} s, database {result.size}",
        ]
    if skipped:
        lines.append(f"- PostgreSQL: not run ({skipped})")
    lines += [
        "",
        "### Listing runs (`GET /apis/v2beta1/runs`)",
        "",
        f"*first page*: the same request {FIRST_PAGE_REPEAT} times; *pages 2-{WALK_PAGES + 1}*: "
        f"following `next_page_token` {WALK_PAGES} times. Latency per page request in ms. "
        "Every page runs two SQL statements, the page and the `total_size` count; *SQL ms* is "
        "each one's median time alone (page 2 of page_size 20, run directly on the database), "
        "and the plans are their EXPLAIN (*range*: an index range; *+ filter*: rows read "
        "through the index and then filtered).",
        "",
        "| DB | list (matching runs) | page_size | pages | p50 ms | p95 ms | KiB/page "
        "| SQL ms page / count | page plan | count plan |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for result in results:
        for lr in result.lists:
            plan = result.plans[lr.case.label]
            sql = f"{plan.page_ms:.1f} / {plan.count_ms:.1f}"
            for label, timings in (("first page", lr.first), (f"2-{WALK_PAGES + 1}", lr.walk)):
                kib = statistics.mean(timings.sizes) / 1024
                lines.append(
                    f"| {result.database} | {lr.case.label} ({lr.total:,}) | {lr.page_size} "
                    f"| {label} | {timings.p(50):.1f} | {timings.p(95):.1f} | {kib:.1f} "
                    f"| {sql} | {plan.page} | {plan.count} |"
                )
    lines += [
        "",
        "Reading the table: the page query is an index range on every list, so a page costs the "
        "same however deep it is. What grows with the number of runs is the `total_size` count, "
        "run on every page: it reads every matching run. Where the count's index holds every "
        "column the filter names (SQLite says *covering*; PostgreSQL does an index-only scan) "
        "that is a walk of index entries; where it does not (`storage_state`, the UI's default "
        "filter, or `experiment_id` with `state`), SQLite reads each matching run's table row, "
        "pipeline spec included, and PostgreSQL scans the table.",
        "",
        "### Creating runs (`POST /apis/v2beta1/runs`, inline pipeline spec)",
        "",
        f"{args.creates} runs of the compiled 1-task pipeline, no experiment (so each joins "
        "`Default`), no worker: each request validates the spec and stores a PENDING run.",
        "",
        "| DB | clients | runs/s | p50 ms | p95 ms |",
        "|---|---|---|---|---|",
    ]
    for result in results:
        for cr in result.creates:
            lines.append(
                f"| {result.database} | {cr.clients} | {cr.per_second:.0f} "
                f"| {cr.timings.p(50):.1f} | {cr.timings.p(95):.1f} |"
            )
    return "\n".join(lines) + "\n"


def compile_spec(workdir: Path) -> dict[str, Any]:
    path = workdir / "one_task.yaml"
    compiler.Compiler().compile(one_task, str(path))
    spec: dict[str, Any] = yaml.safe_load(path.read_text())
    return spec


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", type=Path, default=None)
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--creates", type=int, default=300)
    parser.add_argument(
        "--postgres",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="a server where a scratch database may be created and dropped",
    )
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()

    results: list[DatabaseResult] = []
    skipped: str | None = "--no-postgres" if args.no_postgres else None
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        args.spec = compile_spec(workdir)
        sqlite_url = f"sqlite:///{workdir / 'headrace.db'}"
        results.append(bench_database("SQLite", sqlite_url, workdir, args.spec, args))
        if not args.no_postgres:
            with fresh_postgres(args.postgres) as (pg_url, problem):
                if pg_url is None:
                    skipped = problem
                else:
                    results.append(bench_database("PostgreSQL", pg_url, workdir, args.spec, args))

    text = report(results, args, skipped)
    print(text)
    if args.output:
        write_section(args.output, "bench/server.py", text)


if __name__ == "__main__":
    main()
