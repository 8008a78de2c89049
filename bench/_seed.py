"""Fill a database with many finished runs, fast, for the server benchmark.

`Store.create_run` takes about 2.3 ms a run on the 2-core benchmark machine (a write transaction
each, with its checks), so 100,000 runs would take close to four minutes, and every run would be
PENDING and created now. The Store has no bulk insert, so the seeding writes the run rows with
SQLAlchemy Core against the store's own tables (benchmarks may seed directly; nothing in src/
does this). Namespaces and experiments, a handful, go through the Store API.
"""

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import create_engine, func, insert, select, update

from headrace.store import Store
from headrace.store._schema import ExperimentRow, RunRow

CHUNK = 5_000
SPREAD = timedelta(days=180)
# (namespace, experiment, pipeline, share of the runs)
EXPERIMENTS = (
    ("default", "training", "train-model", 0.40),
    ("default", "nightly-eval", "evaluate", 0.27),
    ("default", "data-prep", "prep-data", 0.15),
    ("default", "Default", "bench-one-task", 0.08),
    ("team-b", "training", "train-model", 0.10),
)
# Final states of runs older than a day; the newest runs are still PENDING or RUNNING.
FINAL_STATES = (("SUCCEEDED", 0.84), ("FAILED", 0.12), ("CANCELED", 0.04))
ARCHIVED_SHARE = 0.05


@dataclass(frozen=True)
class Seeded:
    runs: int
    seconds: float
    experiments: dict[tuple[str, str], str]  # (namespace, name) -> id

    def experiment(self, namespace: str, name: str) -> str:
        return self.experiments[(namespace, name)]


def seed(url: str, spec: dict[str, Any], count: int, rng: random.Random) -> Seeded:
    """Store `count` runs of `spec` spread over 180 days, experiments and states."""
    started = time.perf_counter()
    with Store.connect(url) as store:
        experiments = {
            (ns, name): store.ensure_experiment(ns, name) for ns, name, _, _ in EXPERIMENTS
        }
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for chunk in _chunks(_rows(spec, count, experiments, rng), CHUNK):
                conn.execute(insert(RunRow), chunk)
            latest = (
                select(func.max(RunRow.created_at))
                .where(RunRow.experiment_id == ExperimentRow.id)
                .scalar_subquery()
            )
            conn.execute(update(ExperimentRow).values(last_run_created_at=latest))
        if engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load (since PostgreSQL 13, inserts count).
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE runs")
    finally:
        engine.dispose()
    return Seeded(count, time.perf_counter() - started, experiments)


def _rows(
    spec: dict[str, Any],
    count: int,
    experiments: dict[tuple[str, str], str],
    rng: random.Random,
) -> Iterator[dict[str, Any]]:
    end = datetime.now(UTC) - timedelta(minutes=5)
    start = end - SPREAD
    offsets = sorted(rng.uniform(0, SPREAD.total_seconds()) for _ in range(count))
    weights = [share for *_, share in EXPERIMENTS]
    state_names = [name for name, _ in FINAL_STATES]
    state_weights = [share for _, share in FINAL_STATES]
    for i, offset in enumerate(offsets):
        namespace, name, pipeline, _ = rng.choices(EXPERIMENTS, weights)[0]
        created = start + timedelta(seconds=offset)
        age = end - created
        if age < timedelta(hours=1):
            state = rng.choice(("PENDING", "RUNNING"))
        else:
            state = rng.choices(state_names, state_weights)[0]
        is_final = state not in ("PENDING", "RUNNING")
        duration = timedelta(seconds=rng.uniform(20, 1800))
        archived = age > timedelta(days=30) and rng.random() < ARCHIVED_SHARE
        yield {
            "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
            "namespace": namespace,
            "experiment_id": experiments[(namespace, name)],
            "pipeline_version_id": None,
            # kfp.Client's default run name: the pipeline name and the time.
            "display_name": f"{pipeline} {created:%Y-%m-%d %H-%M-%S}",
            "pipeline_name": spec["pipelineInfo"]["name"],
            "pipeline_spec": spec,
            "platform_spec": None,
            "parameters": {"n": i % 100},
            "pipeline_root": "file:///tmp/headrace-bench/artifacts",
            "cache_enabled": True,
            "state": state,
            "error": "task step failed: exit code 1" if state == "FAILED" else None,
            "created_at": created,
            "started_at": created + timedelta(seconds=2) if state != "PENDING" else None,
            "finished_at": created + duration if is_final else None,
            "storage_state": "ARCHIVED" if archived else "AVAILABLE",
            "recurring_run_id": None,
            "claimed_by": None,
            "lease_expires_at": None,
            "scheduled_at": None,
        }


def _chunks(rows: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    chunk: list[dict[str, Any]] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
