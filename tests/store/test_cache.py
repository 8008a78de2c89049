from __future__ import annotations

from collections.abc import Callable

from headrace.states import TaskKind, TaskState
from headrace.store import Store
from headrace.store.records import NewTask, RunRecord, TaskUpdate

RunFactory = Callable[..., RunRecord]
FINGERPRINT = "a" * 64


def _finished_task(
    store: Store, run: RunRecord, state: TaskState, fingerprint: str = FINGERPRINT
) -> str:
    task = store.create_task(
        NewTask(run_id=run.id, parent_id=None, name="t", path="root/t", kind=TaskKind.CONTAINER)
    )
    store.update_task(task.id, TaskUpdate(state=state, cache_fingerprint=fingerprint))
    return task.id


def test_no_hit_without_a_matching_task(store: Store, namespace: str) -> None:
    assert store.find_cache_hit(FINGERPRINT, "p", namespace) is None


def test_hit_is_the_newest_succeeded_task_of_the_same_pipeline(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    _finished_task(store, make_run("p"), TaskState.SUCCEEDED)
    newest = _finished_task(store, make_run("p"), TaskState.SUCCEEDED)
    hit = store.find_cache_hit(FINGERPRINT, "p", namespace)
    assert hit is not None and hit.id == newest and hit.state is TaskState.SUCCEEDED


def test_failed_cached_and_running_tasks_are_never_hits(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    succeeded = _finished_task(store, make_run("p"), TaskState.SUCCEEDED)
    for state in (TaskState.FAILED, TaskState.CACHED, TaskState.RUNNING, TaskState.CANCELED):
        _finished_task(store, make_run("p"), state)
    hit = store.find_cache_hit(FINGERPRINT, "p", namespace)
    assert hit is not None and hit.id == succeeded


def test_other_namespaces_pipelines_and_fingerprints_are_ignored(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    _finished_task(store, make_run("p", namespace=f"{namespace}-x"), TaskState.SUCCEEDED)
    _finished_task(store, make_run("other-pipeline"), TaskState.SUCCEEDED)
    _finished_task(store, make_run("p"), TaskState.SUCCEEDED, fingerprint="b" * 64)
    assert store.find_cache_hit(FINGERPRINT, "p", namespace) is None
    assert store.find_cache_hit(FINGERPRINT, "p", f"{namespace}-x") is not None
