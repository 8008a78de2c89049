"""Runs one pipeline run: walks the DAG, persists every state change, hands leaves to executors."""

from __future__ import annotations

import heapq
import itertools
import logging
import queue
import time
from collections import deque
from typing import Any

from headrace.engine._containers import ContainerLauncher, Launch
from headrace.engine._events import EngineListener, EngineOptions
from headrace.engine._nodes import Node
from headrace.engine._processes import TaskProcesses
from headrace.engine._resume import (
    StoredTree,
    close_lost_attempts,
    node_from_record,
    stop_left_over,
)
from headrace.engine._retry import next_retry
from headrace.engine._walker import DagWalker, now
from headrace.errors import HeadraceError
from headrace.executors.base import AttemptOutcome, Executor, ProcessIdentity
from headrace.spec.loader import load_stored_pipeline
from headrace.states import AttemptState, RunState, TaskKind, TaskState
from headrace.storage.layout import RunLayout, normalize_root
from headrace.storage.settings import StorageSettings
from headrace.store import Store
from headrace.store.records import NewTask, RunRecord

log = logging.getLogger("headrace.engine")

_STOP_SECONDS = 60.0
"""How long a failed engine waits for the attempts it stops (their grace period included)."""


class RunEngine(DagWalker):
    """Executes one stored run to its end; `cancel()` may be called from any thread."""

    def __init__(
        self,
        store: Store,
        executor: Executor,
        options: EngineOptions,
        listener: EngineListener | None = None,
    ) -> None:
        super().__init__(store, listener)
        self._executor = executor
        self._options = options
        self._events: queue.Queue[tuple[Any, ...]] = queue.Queue()
        self._ready: deque[Node] = deque()
        self._running: dict[Node, Launch] = {}
        self._starting: list[tuple[Node, Launch]] = []
        self._timers: list[tuple[float, int, Node]] = []
        self._seq = itertools.count()
        self._slots_used = 0
        self._interrupted = False
        self._stopped: set[str] = set()
        """Attempts whose process a dead Headrace left running, stopped before resuming."""
        self._processes = TaskProcesses(store)

    def cancel(self) -> None:
        """Ask the run to stop: running tasks are terminated, nothing new starts."""
        self._events.put(("cancel",))

    def interrupt(self) -> None:
        """Stop working on the run without ending it: tasks are killed, the run stays RUNNING.

        Used when a worker shuts down or loses its lease; another engine resumes the run from
        the store, starting the interrupted tasks again.
        """
        self._events.put(("interrupt",))

    def execute(self, run_id: str) -> RunRecord:
        """Run to completion and return the final run record."""
        run = self._store.get_run(run_id)
        loaded = load_stored_pipeline(run.pipeline_spec, run.platform_spec, f"run {run.id}")
        self._run = run
        self._spec = loaded.spec
        pipeline_root = normalize_root(run.pipeline_root)
        if self._options.storage_for is not None:
            storage = self._options.storage_for(run.namespace)
        else:
            storage = StorageSettings(pipeline_root=pipeline_root)
        layout = RunLayout(
            self._options.home,
            storage.with_pipeline_root(pipeline_root),
            run.pipeline_name,
            run.id,
            run.namespace,
        )
        self._launcher = ContainerLauncher(
            self._store, run, loaded, layout, self._write_task, self._options.secrets
        )
        self._tree = StoredTree(self._store.list_tasks(run.id))
        if self._tree.root() is not None:
            grace = self._options.orphan_grace_seconds
            self._stopped = stop_left_over(self._store, run.id, grace)
        with self._store.batch():
            root = self._root(run)
            if run.state is RunState.CANCELING:
                self._begin_cancel()
            self._flush_task_writes()
        with self._store.keep_connection():
            try:
                self._loop(root)
            except BaseException:
                self._stop_attempts()
                raise
        if self._interrupted:
            log.info("run %s interrupted; it stays %s for another worker", run.id, run.state)
            return self._store.get_run(run.id)
        state = {
            TaskState.SUCCEEDED: RunState.SUCCEEDED,
            TaskState.CANCELED: RunState.CANCELED,
        }.get(root.state, RunState.FAILED)
        error = None
        if state is RunState.FAILED and self._first_failure is not None:
            error = f"task '{self._first_failure.path}' failed: {self._first_failure.error}"
        self._store.set_run_state(run.id, state, error=error, finished_at=now())
        return self._store.get_run(run.id)

    def _root(self, run: RunRecord) -> Node:
        """The root node: new for a fresh run, rebuilt from the store for a resumed one."""
        stored = self._tree.root()
        if stored is None:
            self._store.set_run_state(run.id, RunState.RUNNING, started_at=now())
            record = self._store.create_task(
                NewTask(run.id, None, run.pipeline_name, "", TaskKind.ROOT, "root")
            )
            root = Node(record.id, run.pipeline_name, "", TaskKind.ROOT, "root", None, None)
            root.params = dict(run.parameters)
            self._mark_running(root, inputs=root.params)
        else:
            log.info("resuming run %s", run.id)
            root = node_from_record(self._store, stored, None, None)
            root.component_name = "root"
            if root.state.is_final:
                return root
            if run.state is RunState.PENDING:
                self._store.set_run_state(run.id, RunState.RUNNING)
        self._start_dag(root, self._spec.root)
        return root

    # ---- the loop -------------------------------------------------------------------------

    def _loop(self, root: Node) -> None:
        """One turn: handle every queued event, propagate, record launches — one transaction —
        then start the recorded attempts, so nothing runs that the store does not know of."""
        events: list[tuple[Any, ...]] = []
        while True:
            with self._store.batch():
                for event in events:
                    self._handle(event)
                self._fire_timers()
                self._processes.write_due()
                while not self._interrupted:
                    self._drain_finished()
                    self._dispatch()
                    if not self._finished:  # a launch that failed at once is propagated now
                        break
                self._flush_task_writes()
            self._start_recorded()
            if root.state.is_final or (self._interrupted and not self._running):
                return
            events = self._next_events()

    def _next_events(self) -> list[tuple[Any, ...]]:
        """Wait for the next event that needs a turn (or the next timer), then take all queued.

        A reported task process only has to be remembered until it is due to be written, so
        it is noted here rather than costing a turn (a transaction) of its own.
        """
        while True:
            timeout = self._processes.seconds_to_next()
            if self._timers:
                timer = max(0.0, self._timers[0][0] - time.monotonic())
                timeout = timer if timeout is None else min(timeout, timer)
            try:
                event = self._events.get(timeout=timeout)
            except queue.Empty:
                return []
            if event[0] != "started":
                break
            self._processes.started(event[1], event[2])
        events = [event]
        while True:
            try:
                events.append(self._events.get_nowait())
            except queue.Empty:
                return events

    def _handle(self, event: tuple[Any, ...]) -> None:
        if event[0] == "interrupt":
            self._interrupt()
        elif event[0] == "cancel":
            self._begin_cancel()
        elif event[0] == "done":
            self._on_attempt_done(event[1], event[2])
        elif event[0] == "started":
            self._processes.started(event[1], event[2])

    def _start_recorded(self) -> None:
        for node, launch in self._starting:

            def done(outcome: AttemptOutcome, node: Node = node) -> None:
                self._events.put(("done", node, outcome))

            def started(identity: ProcessIdentity, attempt: str = launch.attempt_id) -> None:
                self._events.put(("started", attempt, identity))

            launch.handle = self._executor.start(launch.spec, done, started)
        self._starting.clear()

    def _drain_finished(self) -> None:
        while self._finished:
            self._propagate(self._finished.popleft())

    def _dispatch(self) -> None:
        budget = self._options.max_parallel
        while self._ready:
            node = self._ready[0]
            weight = self._launcher.weight(node, budget)
            if self._slots_used + weight > budget:
                return
            self._ready.popleft()
            self._launch(node, weight)

    def _fire_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, node = heapq.heappop(self._timers)
            if self._canceling:
                self._finish(node, TaskState.CANCELED, "run canceled before the retry")
            else:
                self._ready.append(node)

    def _run_importer(self, node: Node) -> None:
        try:
            ref = self._launcher.import_artifact(node)
        except HeadraceError as exc:
            self._finish(node, TaskState.FAILED, str(exc))
            return
        node.output_artifacts = {"artifact": [ref]}
        self._record_artifact_outputs(node)
        self._finish(node, TaskState.SUCCEEDED)

    def _resume_container(self, node: Node) -> None:
        node.lost_attempts += close_lost_attempts(self._store, node.task_id, self._stopped)
        node.first_started = time.monotonic()
        self._ready.append(node)

    def _prepare_container(self, node: Node) -> None:
        hit = self._launcher.cache_lookup(node)
        if hit is not None:
            node.outputs, node.output_artifacts = hit
            self._record_artifact_outputs(node)
            self._finish(node, TaskState.CACHED)
            return
        self._ready.append(node)

    def _launch(self, node: Node, weight: int) -> None:
        if self._canceling:
            self._finish(node, TaskState.CANCELED, "run canceled")
            return
        try:
            launch = self._launcher.prepare(node, weight)
        except HeadraceError as exc:
            self._finish(node, TaskState.FAILED, str(exc))
            return
        self._slots_used += weight
        self._running[node] = launch
        self._starting.append((node, launch))
        if node.attempts == 0:
            node.first_started = time.monotonic()
        node.attempts += 1

    def _on_attempt_done(self, node: Node, outcome: AttemptOutcome) -> None:
        launch = self._running.pop(node)
        self._slots_used -= launch.weight
        self._processes.ended(launch.attempt_id)
        if self._interrupted:
            return  # the attempt stays RUNNING in the store; a resuming engine closes it
        if outcome.canceled or (self._canceling and not outcome.succeeded):
            self._store.finish_attempt(
                launch.attempt_id, AttemptState.CANCELED, outcome.exit_code, "canceled"
            )
            self._finish(node, TaskState.CANCELED, "canceled")
            return
        if outcome.succeeded:
            try:
                node.outputs, node.output_artifacts = self._launcher.record_outputs(
                    node, launch, outcome
                )
            except HeadraceError as exc:
                outcome = AttemptOutcome(exit_code=outcome.exit_code, error=str(exc))
            else:
                self._store.finish_attempt(launch.attempt_id, AttemptState.SUCCEEDED, 0, None)
                self._record_artifact_outputs(node)
                self._finish(node, TaskState.SUCCEEDED)
                return
        error = outcome.error or f"exited with code {outcome.exit_code}"
        self._store.finish_attempt(launch.attempt_id, AttemptState.FAILED, outcome.exit_code, error)
        decision = next_retry(
            node.task_spec.retry_policy,
            node.attempts - node.lost_attempts,
            node.first_started,
            time.monotonic(),
        )
        if decision.delay is not None and not self._canceling:
            node.error = error
            self._notify(node, retrying_in=decision.delay)
            heapq.heappush(self._timers, (time.monotonic() + decision.delay, next(self._seq), node))
            return
        attempts = f" after {node.attempts} attempts" if node.attempts > 1 else ""
        why = f"; {decision.reason}" if decision.reason else ""
        self._finish(node, TaskState.FAILED, f"{error}{attempts}{why}")

    def _stop_attempts(self) -> None:
        """When the loop fails (the run deleted under it, a database gone): stop the attempts it
        started and wait for them to end, so that no task outlives its engine."""
        pending = set(self._running)
        self._cancel_running()
        deadline = time.monotonic() + _STOP_SECONDS
        while pending and (left := deadline - time.monotonic()) > 0:
            try:
                event = self._events.get(timeout=left)
            except queue.Empty:
                break
            if event[0] == "done":
                pending.discard(event[1])
        if pending:
            log.warning("%d attempts of run %s did not end in time", len(pending), self._run.id)

    def _cancel_running(self) -> None:
        """Ask the executor to stop every running attempt; each still reports its end."""
        for launch in list(self._running.values()):
            if launch.handle is not None:
                launch.handle.cancel()

    def _interrupt(self) -> None:
        self._interrupted = True
        self._cancel_running()
        self._ready.clear()
        self._timers.clear()
        self._finished.clear()

    def _begin_cancel(self) -> None:
        if self._canceling:
            return
        self._canceling = True
        self._store.set_run_state(self._run.id, RunState.CANCELING)
        self._cancel_running()
        while self._ready:
            self._finish(self._ready.popleft(), TaskState.CANCELED, "run canceled")
        while self._timers:
            _, _, node = heapq.heappop(self._timers)
            self._finish(node, TaskState.CANCELED, "run canceled before the retry")
