"""What `runs list`, `runs show` and the run summary print, as tables or JSON."""

from __future__ import annotations

import re
from collections import defaultdict
from datetime import datetime
from typing import Any

from rich.table import Table

from headrace.states import TaskKind
from headrace.store import Store
from headrace.store.records import RunRecord, TaskRecord

_ITERATION = re.compile(r"/iteration-\d+(?=/|$)")


def _duration(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return round((end - start).total_seconds(), 3)


def _time(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def run_json(run: RunRecord) -> dict[str, Any]:
    """The documented JSON shape of one run (without tasks)."""
    return {
        "id": run.id,
        "name": run.display_name,
        "pipeline_name": run.pipeline_name,
        "namespace": run.namespace,
        "state": run.state.value,
        "error": run.error,
        "parameters": run.parameters,
        "pipeline_root": run.pipeline_root,
        "created_at": _time(run.created_at),
        "started_at": _time(run.started_at),
        "finished_at": _time(run.finished_at),
    }


def run_detail_json(store: Store, run: RunRecord) -> dict[str, Any]:
    """A run with every task: state, attempts, output parameters and artifact URIs."""
    tasks = []
    for task in tree_order(store.list_tasks(run.id)):
        if task.kind is TaskKind.ROOT:
            continue
        artifacts: dict[str, list[str]] = defaultdict(list)
        for event in store.task_events(task.id, "OUTPUT"):
            artifacts[event.key].append(event.artifact.uri)
        tasks.append(
            {
                "id": task.id,
                "name": task.name,
                "path": task.path,
                "kind": task.kind.value,
                "state": task.state.value,
                "attempts": task.attempt_count,
                "cached": task.cached_from_task_id is not None and task.state.value == "CACHED",
                "inputs": task.inputs,
                "outputs": task.outputs,
                "artifacts": dict(artifacts),
                "error": task.error,
                "duration_seconds": _duration(task.started_at, task.finished_at),
            }
        )
    return {**run_json(run), "tasks": tasks}


def tree_order(tasks: list[TaskRecord]) -> list[TaskRecord]:
    """Tasks depth-first, each parent before its children, siblings in creation order."""
    children: dict[str | None, list[TaskRecord]] = defaultdict(list)
    for task in tasks:
        children[task.parent_id].append(task)
    ordered: list[TaskRecord] = []
    stack = list(reversed(children[None]))
    while stack:
        task = stack.pop()
        ordered.append(task)
        stack.extend(reversed(children[task.id]))
    return ordered


def runs_table(runs: list[RunRecord]) -> Table:
    table = Table("run id", "name", "state", "created", "duration")
    table.columns[0].no_wrap = True
    for run in runs:
        duration = _duration(run.started_at, run.finished_at)
        table.add_row(
            run.id,
            run.display_name,
            run.state.value,
            run.created_at.strftime("%Y-%m-%d %H:%M:%S"),
            f"{duration:.1f}s" if duration is not None else "",
        )
    return table


def summary_table(tasks: list[TaskRecord]) -> Table:
    """One row per task; tasks inside loop iterations are folded into one row per task name."""
    groups: dict[str, list[TaskRecord]] = defaultdict(list)
    for task in tree_order(tasks):
        if task.kind in (TaskKind.CONTAINER, TaskKind.IMPORTER) or (
            task.kind is TaskKind.DAG and task.state.value == "SKIPPED"
        ):
            groups[_ITERATION.sub("/iteration-*", task.path)].append(task)
    table = Table("task", "state", "attempts", "duration", "cached")
    table.columns[0].overflow = "fold"
    for path, members in groups.items():
        states: dict[str, int] = defaultdict(int)
        for t in members:
            states[t.state.value] += 1
        state = ", ".join(f"{n} {s}" if len(members) > 1 else s for s, n in states.items())
        durations = [d for t in members if (d := _duration(t.started_at, t.finished_at))]
        cached = sum(1 for t in members if t.state.value == "CACHED")
        table.add_row(
            path,
            state,
            str(sum(t.attempt_count for t in members)),
            f"{max(durations):.2f}s" if durations else "",
            ("yes" if len(members) == 1 else str(cached)) if cached else "",
        )
    return table
