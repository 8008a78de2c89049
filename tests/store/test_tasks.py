from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from headrace.errors import NotFoundError
from headrace.states import AttemptState, TaskKind, TaskState
from headrace.store import Store
from headrace.store.records import AttemptProcess, NewTask, RunRecord, TaskUpdate

RunFactory = Callable[..., RunRecord]
BULK_TASKS = 10_000
# A guard against one round trip per row, not a benchmark (bench/ measures speed).


def _task(run_id: str, name: str, **fields: object) -> NewTask:
    return NewTask(
        run_id=run_id,
        parent_id=None,
        name=name,
        path=f"root/{name}",
        kind=TaskKind.CONTAINER,
        **fields,  # type: ignore[arg-type]
    )


def test_task_round_trips_every_field(store: Store, make_run: RunFactory) -> None:
    run = make_run()
    root = store.create_task(
        NewTask(run_id=run.id, parent_id=None, name="root", path="root", kind=TaskKind.ROOT)
    )
    created = store.create_task(
        NewTask(
            run_id=run.id,
            parent_id=root.id,
            name="träin-模型",
            path="root/for-loop-1/iteration-3/train",
            kind=TaskKind.ITERATION,
            component_name="comp-train",
            iteration_index=3,
            state=TaskState.RUNNING,
        )
    )
    assert store.get_task(created.id) == created
    assert created.inputs == {} and created.outputs == {} and created.attempt_count == 0
    started = datetime(2024, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    update = TaskUpdate(
        state=TaskState.SUCCEEDED,
        inputs={"parameters": {"rows": 5, "text": "ünïcode ✓"}},
        outputs={"parameters": {"acc": 0.97}, "artifacts": {"model": ["uri"]}},
        error="warning only",
        cache_fingerprint="f" * 64,
        cached_from_task_id=root.id,
        image="python:3.11",
        command=["python", "-c", "print('hi')"],
        attempt_count=2,
        iteration_count=7,
        started_at=started,
        finished_at=started,
    )
    store.update_task(created.id, update)
    loaded = store.get_task(created.id)
    for field in update.__dataclass_fields__:
        assert getattr(loaded, field) == getattr(update, field), field
    assert loaded.state is TaskState.SUCCEEDED
    assert loaded.kind is TaskKind.ITERATION


def test_update_task_changes_only_the_given_fields(store: Store, make_run: RunFactory) -> None:
    run = make_run()
    task = store.create_task(_task(run.id, "a"))
    store.update_task(task.id, TaskUpdate(inputs={"x": 1}, image="img", attempt_count=1))
    store.update_task(task.id, TaskUpdate(state=TaskState.RUNNING))
    loaded = store.get_task(task.id)
    assert loaded.state is TaskState.RUNNING
    assert (loaded.inputs, loaded.image, loaded.attempt_count) == ({"x": 1}, "img", 1)
    assert loaded.outputs == {} and loaded.error is None and loaded.command is None
    store.update_task(task.id, TaskUpdate())
    assert store.get_task(task.id) == loaded


def test_update_of_unknown_task_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="task 'missing' not found"):
        store.update_task("missing", TaskUpdate(state=TaskState.FAILED))
    with pytest.raises(NotFoundError, match="task 'missing' not found"):
        store.update_task("missing", TaskUpdate())
    with pytest.raises(NotFoundError, match="task 'missing' not found"):
        store.get_task("missing")


def test_tasks_are_listed_in_creation_order(store: Store, make_run: RunFactory) -> None:
    run = make_run()
    names = ["z", "a", "m", "b"]
    first = store.create_tasks([_task(run.id, n) for n in names[:2]])
    second = [store.create_task(_task(run.id, n)) for n in names[2:]]
    listed = store.list_tasks(run.id)
    assert [t.name for t in listed] == names
    assert listed == first + second


def test_tasks_of_other_runs_are_not_listed(store: Store, make_run: RunFactory) -> None:
    run, other = make_run(), make_run()
    store.create_task(_task(other.id, "theirs"))
    assert store.list_tasks(run.id) == []


def test_one_path_per_run(store: Store, make_run: RunFactory) -> None:
    run = make_run()
    store.create_task(_task(run.id, "same"))
    with pytest.raises(IntegrityError):
        store.create_task(_task(run.id, "same"))
    assert len(store.list_tasks(run.id)) == 1


def test_create_tasks_writes_ten_thousand_rows_in_one_go(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    news = [_task(run.id, f"iteration-{i}", iteration_index=i) for i in range(BULK_TASKS)]
    created = store.create_tasks(news)
    listed = store.list_tasks(run.id)
    assert len(listed) == BULK_TASKS
    assert [t.iteration_index for t in listed] == list(range(BULK_TASKS))
    assert listed[-1] == created[-1]


def test_create_tasks_with_nothing_writes_nothing(store: Store) -> None:
    assert store.create_tasks([]) == []


def test_attempt_is_running_then_finished(store: Store, make_run: RunFactory) -> None:
    run = make_run()
    task = store.create_task(_task(run.id, "t"))
    attempt = store.create_attempt(task.id, run.id, 1, "/logs/t/1.log")
    assert attempt.state is AttemptState.RUNNING and attempt.finished_at is None
    assert store.list_attempts(task_id=task.id) == [attempt]
    store.finish_attempt(attempt.id, AttemptState.FAILED, 137, "killed: out of memory")
    (finished,) = store.list_attempts(task_id=task.id)
    assert (finished.state, finished.exit_code, finished.error) == (
        AttemptState.FAILED,
        137,
        "killed: out of memory",
    )
    assert finished.finished_at is not None and finished.finished_at >= finished.started_at


def test_attempts_are_listed_by_task_creation_then_number(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    first, second = store.create_tasks([_task(run.id, "first"), _task(run.id, "second")])
    store.create_attempt(second.id, run.id, 1, "l")
    store.create_attempt(first.id, run.id, 2, "l")
    store.create_attempt(first.id, run.id, 1, "l")
    listed = store.list_attempts(run_id=run.id)
    assert [(a.task_id, a.number) for a in listed] == [
        (first.id, 1),
        (first.id, 2),
        (second.id, 1),
    ]
    assert [a.number for a in store.list_attempts(run_id=run.id, task_id=first.id)] == [1, 2]


def test_attempt_numbers_are_unique_per_task(store: Store, make_run: RunFactory) -> None:
    run = make_run()
    task = store.create_task(_task(run.id, "t"))
    store.create_attempt(task.id, run.id, 1, "l")
    with pytest.raises(IntegrityError):
        store.create_attempt(task.id, run.id, 1, "l")


def test_finishing_unknown_attempt_is_not_found(store: Store) -> None:
    with pytest.raises(NotFoundError, match="attempt 'nope' not found"):
        store.finish_attempt("nope", AttemptState.SUCCEEDED, 0, None)


def test_update_tasks_applies_many_updates_with_different_fields(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    a, b, c = (store.create_task(_task(run.id, name)).id for name in ("a", "b", "c"))
    finished = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    store.update_tasks(
        [
            (a, TaskUpdate(state=TaskState.RUNNING, inputs={"x": [1, "two"]})),
            (b, TaskUpdate(state=TaskState.SUCCEEDED, outputs={"y": 2}, finished_at=finished)),
            (a, TaskUpdate(attempt_count=3)),
            (c, TaskUpdate()),
        ]
    )
    tasks = {t.id: t for t in store.list_tasks(run.id)}
    assert (tasks[a].state, tasks[a].inputs, tasks[a].attempt_count) == (
        TaskState.RUNNING,
        {"x": [1, "two"]},
        3,
    )
    assert (tasks[b].state, tasks[b].outputs, tasks[b].finished_at) == (
        TaskState.SUCCEEDED,
        {"y": 2},
        finished,
    )
    assert tasks[c].state is TaskState.PENDING


def test_a_running_attempts_process_is_recorded_and_listed_until_it_ends(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    first, second = store.create_tasks([_task(run.id, "first"), _task(run.id, "second")])
    running = store.create_attempt(first.id, run.id, 0, "l")
    unreported = store.create_attempt(second.id, run.id, 0, "l")
    ended = store.create_attempt(second.id, run.id, 1, "l")
    store.finish_attempt(ended.id, AttemptState.SUCCEEDED, 0, None)
    # Start times in clock ticks after boot outgrow 32 bits on a machine up for a long time.
    process = AttemptProcess("node-1", 4_000_000, 4_000_000, 2**40)
    store.record_attempt_process(running.id, process)
    store.record_attempt_process(ended.id, AttemptProcess("node-1", 7, 7, 1))  # too late: kept out
    assert store.running_attempt_processes(run.id) == {running.id: process}
    by_id = {a.id: a.process for a in store.list_attempts(run_id=run.id)}
    assert by_id == {running.id: process, unreported.id: None, ended.id: None}
    store.finish_attempt(running.id, AttemptState.FAILED, None, "lost")
    assert store.running_attempt_processes(run.id) == {}


def test_a_batch_that_fails_leaves_none_of_its_task_and_attempt_writes(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    task = store.create_task(_task(run.id, "t"))
    with pytest.raises(IntegrityError), store.batch():
        store.create_task(_task(run.id, "new"))
        store.update_tasks([(task.id, TaskUpdate(state=TaskState.RUNNING, inputs={"x": 1}))])
        store.create_attempt(task.id, run.id, 0, "l")
        store.create_attempt(task.id, run.id, 0, "l")  # the same number again
    assert [t.name for t in store.list_tasks(run.id)] == ["t"]
    assert store.get_task(task.id).state is TaskState.PENDING
    assert store.list_attempts(task_id=task.id) == []


def test_a_batch_commits_its_task_and_attempt_writes_together(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    task = store.create_task(_task(run.id, "t"))
    with store.batch():
        attempt = store.create_attempt(task.id, run.id, 0, "l")
        store.finish_attempt(attempt.id, AttemptState.SUCCEEDED, 0, None)
        store.update_tasks([(task.id, TaskUpdate(state=TaskState.SUCCEEDED, outputs={"y": [1]}))])
    (finished,) = store.list_attempts(task_id=task.id)
    assert finished.state is AttemptState.SUCCEEDED
    stored = store.get_task(task.id)
    assert (stored.state, stored.outputs) == (TaskState.SUCCEEDED, {"y": [1]})


def test_batches_that_keep_their_connection_commit_each_and_survive_a_failed_one(
    store: Store, make_run: RunFactory
) -> None:
    run = make_run()
    task = store.create_task(_task(run.id, "t"))
    with store.keep_connection():
        with store.batch():
            store.update_tasks([(task.id, TaskUpdate(state=TaskState.RUNNING))])
        assert store.get_task(task.id).state is TaskState.RUNNING  # read on another connection
        with pytest.raises(IntegrityError), store.batch():
            store.update_tasks([(task.id, TaskUpdate(state=TaskState.FAILED))])
            store.create_task(_task(run.id, "t"))  # the same path again
        assert store.get_task(task.id).state is TaskState.RUNNING
        with store.batch():
            store.update_tasks([(task.id, TaskUpdate(state=TaskState.SUCCEEDED))])
    assert store.get_task(task.id).state is TaskState.SUCCEEDED
