"""Retrying a run resets only what did not succeed, in one transaction."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from headrace.errors import ConflictError
from headrace.states import AttemptState, RunState, TaskKind, TaskState
from headrace.store import Store
from headrace.store.records import NewTask, RunRecord, TaskUpdate

RunFactory = Callable[..., RunRecord]


def _add(
    store: Store, run_id: str, parent: str | None, path: str, kind: TaskKind, state: TaskState
) -> str:
    name = path.rsplit("/", 1)[-1]
    task = store.create_task(NewTask(run_id, parent, name, path, kind, state=state))
    return task.id


def test_retry_keeps_successes_resumes_graphs_and_redoes_the_rest(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    root = _add(store, run.id, None, "", TaskKind.ROOT, TaskState.FAILED)
    ok = _add(store, run.id, root, "ok", TaskKind.CONTAINER, TaskState.SUCCEEDED)
    cached = _add(store, run.id, root, "cached", TaskKind.CONTAINER, TaskState.CACHED)
    loop = _add(store, run.id, root, "loop", TaskKind.LOOP, TaskState.FAILED)
    it0 = _add(store, run.id, loop, "loop/iteration-0", TaskKind.ITERATION, TaskState.SUCCEEDED)
    it1 = _add(store, run.id, loop, "loop/iteration-1", TaskKind.ITERATION, TaskState.FAILED)
    bad = _add(store, run.id, it1, "loop/iteration-1/t", TaskKind.CONTAINER, TaskState.FAILED)
    skipped = _add(store, run.id, root, "after", TaskKind.DAG, TaskState.SKIPPED)
    attempt = store.create_attempt(bad, run.id, 0, "/tmp/log")
    store.finish_attempt(attempt.id, AttemptState.FAILED, 1, "boom")
    store.update_task(bad, TaskUpdate(error="boom", attempt_count=1, outputs={"x": 1}))
    store.set_run_state(run.id, RunState.FAILED, error="task 't' failed")

    store.reset_for_retry(run.id)

    states = {t.id: t for t in store.list_tasks(run.id)}
    assert {k: states[k].state for k in (ok, cached, it0)} == {
        ok: TaskState.SUCCEEDED,
        cached: TaskState.CACHED,
        it0: TaskState.SUCCEEDED,
    }
    assert {k: states[k].state for k in (root, loop, it1)} == dict.fromkeys(
        (root, loop, it1), TaskState.RUNNING
    )
    assert states[bad].state is TaskState.PENDING and states[bad].error is None
    assert states[bad].outputs == {} and states[bad].attempt_count == 1
    assert states[skipped].state is TaskState.PENDING
    assert [a.state for a in store.list_attempts(task_id=bad)] == [AttemptState.FAILED]
    again = store.get_run(run.id)
    assert again.state is RunState.PENDING
    assert (again.error, again.finished_at, again.claimed_by) == (None, None, None)


@pytest.mark.parametrize("state", [RunState.PENDING, RunState.RUNNING, RunState.SUCCEEDED])
def test_only_failed_or_canceled_runs_can_be_retried(
    store: Store, make_run: RunFactory, state: RunState
) -> None:
    run = make_run()
    store.set_run_state(run.id, state)
    with pytest.raises(ConflictError, match=state.value):
        store.reset_for_retry(run.id)
    assert store.get_run(run.id).state is state
