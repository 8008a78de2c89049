"""Walking a run's tree: DAG readiness, trigger policies, conditions, loops, state changes."""

from __future__ import annotations

import logging
from collections import deque
from datetime import UTC, datetime
from typing import Any

from kfp.pipeline_spec import pipeline_spec_pb2 as pb

from headrace.engine._containers import ContainerLauncher
from headrace.engine._events import EngineListener, TaskEvent
from headrace.engine._inputs import (
    apply_defaults,
    loop_items,
    parameter_types,
    producers,
    resolve_artifacts,
    resolve_parameters,
)
from headrace.engine._nodes import ArtifactRef, DagScope, LoopState, Node
from headrace.engine._outputs import collect_iterations, dag_outputs
from headrace.engine._resume import StoredTree, node_from_record
from headrace.errors import HeadraceError
from headrace.spec.conditions import evaluate_condition
from headrace.states import TaskKind, TaskState
from headrace.store import Store
from headrace.store.records import NewTask, RunRecord, TaskUpdate

log = logging.getLogger("headrace.engine")

LEAVES = (TaskKind.CONTAINER, TaskKind.IMPORTER)
_COMPLETED = pb.PipelineTaskSpec.TriggerPolicy.TriggerStrategy.ALL_UPSTREAM_TASKS_COMPLETED


def now() -> datetime:
    return datetime.now(UTC)


class DagWalker:
    """The graph half of the engine; subclasses decide how leaf tasks run."""

    _run: RunRecord
    _spec: Any
    _launcher: ContainerLauncher
    _tree: StoredTree

    def __init__(self, store: Store, listener: EngineListener | None) -> None:
        self._store = store
        self._listener = listener
        self._finished: deque[Node] = deque()
        self._canceling = False
        self._first_failure: Node | None = None
        self._task_writes: dict[str, dict[str, Any]] = {}

    def _write_task(self, task_id: str, update: TaskUpdate) -> None:
        """Queue a task update; updates of one turn are merged and flushed together."""
        fields = {k: v for k, v in vars(update).items() if v is not None}
        self._task_writes.setdefault(task_id, {}).update(fields)

    def _flush_task_writes(self) -> None:
        if self._task_writes:
            self._store.update_tasks(
                [(task_id, TaskUpdate(**fields)) for task_id, fields in self._task_writes.items()]
            )
            self._task_writes.clear()

    # ---- what subclasses provide -------------------------------------------------------------

    def _run_importer(self, node: Node) -> None:
        raise NotImplementedError

    def _prepare_container(self, node: Node) -> None:
        raise NotImplementedError

    def _resume_container(self, node: Node) -> None:
        raise NotImplementedError

    # ---- state changes ----------------------------------------------------------------------

    def _notify(self, node: Node, retrying_in: float | None = None) -> None:
        if self._listener is None:
            return
        parent = node.parent.owner.path if node.parent is not None else None
        count = len(node.loop.items) if node.loop is not None else None
        self._listener.task_changed(
            TaskEvent(
                node.path, node.name, node.kind, node.state, parent, count, node.error, retrying_in
            )
        )

    def _mark_running(self, node: Node, inputs: dict[str, Any]) -> None:
        node.state = TaskState.RUNNING
        self._write_task(
            node.task_id, TaskUpdate(state=TaskState.RUNNING, inputs=inputs, started_at=now())
        )
        for key, refs in node.artifacts.items():
            for position, ref in enumerate(refs):
                self._store.record_event(node.task_id, ref.id, "INPUT", key, position)
        self._notify(node)

    def _finish(self, node: Node, state: TaskState, error: str | None = None) -> None:
        """Record a final state; the consequences are handled by `_propagate` from the queue."""
        if node.state.is_final:
            return
        node.state = state
        node.error = error
        self._write_task(
            node.task_id,
            TaskUpdate(state=state, error=error, outputs=node.outputs, finished_at=now()),
        )
        if state is TaskState.FAILED and node.kind in LEAVES:
            self._first_failure = self._first_failure or node
            log.info("task %s failed: %s", node.path, error)
        self._notify(node)
        self._finished.append(node)

    def _propagate(self, node: Node) -> None:
        scope = node.parent
        if scope is None:
            return
        owner = scope.owner
        if node.kind is TaskKind.ITERATION:
            self._iteration_done(owner, node)
            return
        scope.unfinished -= 1
        for name in scope.downstream.get(node.name, ()):
            sibling = scope.children[name]
            ups = scope.upstream[name]
            if sibling.state is TaskState.PENDING and all(
                scope.children[u].state.is_final for u in ups
            ):
                self._evaluate(sibling)
        if scope.unfinished == 0:
            self._finish_dag(owner)

    # ---- DAGs and loops ---------------------------------------------------------------------

    def _component(self, node: Node) -> Any:
        return self._spec.components[node.component_name]

    def _kind_of(self, task_spec: Any) -> TaskKind:
        component = self._spec.components[task_spec.component_ref.name]
        if component.WhichOneof("implementation") == "dag":
            if task_spec.WhichOneof("iterator") is not None:
                return TaskKind.LOOP
            return TaskKind.DAG
        return self._launcher.executor_kind(component.executor_label)

    def _start_dag(self, node: Node, component: Any) -> None:
        """Create (or, resuming, reload) a DAG's children and start those that are ready."""
        scope = DagScope(owner=node)
        node.scope = scope
        tasks = component.dag.tasks
        stored = {r.name: r for r in self._tree.take_children(node.task_id) or []}
        missing = [name for name in tasks if name not in stored]
        created = self._store.create_tasks(self._new_children(node, tasks, missing))
        for name, record in [*stored.items(), *zip(missing, created, strict=True)]:
            child = node_from_record(self._store, record, tasks[name], scope)
            scope.children[name] = child
            if child.state is TaskState.FAILED and child.kind in LEAVES:
                self._first_failure = self._first_failure or child
        for name in tasks:
            ups = producers(tasks[name]) & set(tasks)
            scope.upstream[name] = ups
            for up in ups:
                scope.downstream.setdefault(up, []).append(name)
        children = list(scope.children.values())
        scope.unfinished = sum(1 for c in children if not c.state.is_final)
        for child in children:
            if child.state is TaskState.RUNNING:
                self._resume(child)
        if scope.unfinished == 0:
            self._finish_dag(node)
            return
        for child in children:
            if child.state is TaskState.PENDING and all(
                scope.children[u].state.is_final for u in scope.upstream[child.name]
            ):
                self._evaluate(child)

    def _resume(self, node: Node) -> None:
        """Carry on with a task the store shows RUNNING when this engine took the run over."""
        if node.kind is TaskKind.DAG:
            self._start_dag(node, self._component(node))
        elif node.kind is TaskKind.LOOP:
            self._start_loop(node)
        elif node.kind is TaskKind.IMPORTER:
            self._run_importer(node)
        else:
            self._resume_container(node)

    def _finish_dag(self, node: Node) -> None:
        assert node.scope is not None
        children = node.scope.children.values()
        failed = next((c for c in children if c.state is TaskState.FAILED), None)
        if failed is not None:
            self._finish(node, TaskState.FAILED, f"task '{failed.path}' failed: {failed.error}")
            return
        if any(c.state is TaskState.CANCELED for c in children):
            self._finish(node, TaskState.CANCELED, "canceled")
            return
        component = self._component(node) if node.kind is not TaskKind.ROOT else self._spec.root
        node.outputs, node.output_artifacts = dag_outputs(component.dag, node.scope)
        self._record_artifact_outputs(node)
        self._finish(node, TaskState.SUCCEEDED)

    def _start_loop(self, node: Node) -> None:
        """Create (or, resuming, reload) a loop's iterations and start as many as allowed."""
        spec = node.task_spec
        try:
            items = loop_items(node)
        except HeadraceError as exc:
            self._finish(node, TaskState.FAILED, str(exc))
            return
        loop = LoopState(items=items, limit=spec.iterator_policy.parallelism_limit)
        node.loop = loop
        scope = DagScope(owner=node)
        node.scope = scope
        stored = self._tree.take_children(node.task_id)
        if stored is None:
            stored = self._store.create_tasks(
                [
                    NewTask(
                        self._run.id,
                        node.task_id,
                        f"iteration-{i}",
                        f"{node.path}/iteration-{i}",
                        TaskKind.ITERATION,
                        node.component_name,
                        iteration_index=i,
                    )
                    for i in range(len(items))
                ]
            )
            self._write_task(node.task_id, TaskUpdate(iteration_count=len(items)))
        stored = sorted(stored, key=lambda r: r.iteration_index or 0)
        loop.iterations = [node_from_record(self._store, r, spec, scope) for r in stored]
        self._notify(node)
        component = self._component(node)
        for index, it in enumerate(loop.iterations):
            if it.state is not TaskState.PENDING:
                loop.next_index = index + 1
            if it.state.is_final:
                loop.finished += 1
            elif it.state is TaskState.RUNNING:
                loop.active += 1
                self._bind_item(node, it, items[index])
                self._start_dag(it, component)
        if loop.finished == len(items):
            self._finish_loop(node)
            return
        self._fill_loop(node)

    def _item_input(self, node: Node) -> tuple[str, bool]:
        spec = node.task_spec
        if spec.WhichOneof("iterator") == "artifact_iterator":
            return spec.artifact_iterator.item_input, True
        return spec.parameter_iterator.item_input, False

    def _bind_item(self, loop_node: Node, it: Node, item: Any) -> None:
        """An iteration sees the loop's inputs plus its own item."""
        name, is_artifact = self._item_input(loop_node)
        it.params = dict(loop_node.params)
        it.artifacts = dict(loop_node.artifacts)
        if is_artifact:
            it.artifacts[name] = [item]
        else:
            it.params[name] = item

    def _fill_loop(self, node: Node) -> None:
        loop = node.loop
        assert loop is not None
        component = self._component(node)
        item_input, _ = self._item_input(node)
        starting: list[tuple[Node, Any]] = []
        while loop.next_index < len(loop.items) and (loop.limit <= 0 or loop.active < loop.limit):
            it = loop.iterations[loop.next_index]
            item = loop.items[loop.next_index]
            loop.next_index += 1
            if self._canceling:
                self._finish(it, TaskState.CANCELED, "run canceled")
                continue
            loop.active += 1
            starting.append((it, item))
        self._create_children([it for it, _ in starting], component)
        for it, item in starting:
            self._bind_item(node, it, item)
            self._mark_running(it, inputs={item_input: _jsonable(item)})
            self._start_dag(it, component)

    def _create_children(self, nodes: list[Node], component: Any) -> None:
        """Record the tasks of DAG instances about to start, for all of them in one statement.

        A loop without a parallelism limit starts every iteration at once: one INSERT instead
        of one per iteration. `_start_dag` then finds them as it finds a resumed run's tasks.
        """
        tasks = component.dag.tasks
        fresh = [n for n in nodes if not self._tree.has_children(n.task_id)]
        new = [task for n in fresh for task in self._new_children(n, tasks, list(tasks))]
        self._tree.add(self._store.create_tasks(new))

    def _new_children(self, node: Node, tasks: Any, names: list[str]) -> list[NewTask]:
        """The records of a DAG instance's child tasks `names`, to be created."""
        prefix = f"{node.path}/" if node.path else ""
        return [
            NewTask(
                self._run.id,
                node.task_id,
                name,
                prefix + name,
                self._kind_of(tasks[name]),
                tasks[name].component_ref.name,
            )
            for name in names
        ]

    def _iteration_done(self, loop_node: Node, iteration: Node) -> None:
        loop = loop_node.loop
        assert loop is not None
        if iteration.scope is not None:
            loop.active -= 1
        loop.finished += 1
        self._fill_loop(loop_node)
        if loop.finished == len(loop.items):
            self._finish_loop(loop_node)

    def _finish_loop(self, node: Node) -> None:
        loop = node.loop
        assert loop is not None
        failed = [it for it in loop.iterations if it.state is TaskState.FAILED]
        if failed:
            self._finish(
                node,
                TaskState.FAILED,
                f"{len(failed)} of {len(loop.items)} iterations failed; first: {failed[0].error}",
            )
            return
        if any(it.state is TaskState.CANCELED for it in loop.iterations):
            self._finish(node, TaskState.CANCELED, "canceled")
            return
        done = [it for it in loop.iterations if it.state.is_success]
        node.outputs, node.output_artifacts = collect_iterations(done)
        outputs = self._component(node).output_definitions
        for name in outputs.parameters:
            node.outputs.setdefault(name, [])
        for name in outputs.artifacts:
            node.output_artifacts.setdefault(name, [])
        self._record_artifact_outputs(node)
        self._finish(node, TaskState.SUCCEEDED)

    def _record_artifact_outputs(self, node: Node) -> None:
        for key, refs in node.output_artifacts.items():
            for position, ref in enumerate(refs):
                self._store.record_event(node.task_id, ref.id, "OUTPUT", key, position)

    # ---- one task ---------------------------------------------------------------------------

    def _evaluate(self, node: Node) -> None:
        """All upstream tasks are final: skip, fail, or start this task."""
        scope = node.parent
        assert scope is not None
        if self._canceling:
            self._finish(node, TaskState.CANCELED, "run canceled")
            return
        ups = [scope.children[u] for u in sorted(scope.upstream[node.name])]
        if node.task_spec.trigger_policy.strategy != _COMPLETED:
            bad = next((u for u in ups if u.state is TaskState.FAILED), None)
            if bad is not None:
                self._finish(node, TaskState.SKIPPED, f"not run: upstream '{bad.path}' failed")
                return
            if any(u.state is TaskState.CANCELED for u in ups):
                self._finish(node, TaskState.CANCELED, "not run: upstream canceled")
                return
            if any(u.state is TaskState.SKIPPED for u in ups):
                self._finish(node, TaskState.SKIPPED, "not run: upstream skipped")
                return
        component = self._component(node)
        try:
            node.params = resolve_parameters(
                node,
                scope,
                parameter_types(component.input_definitions),
                self._run.id,
                self._run.display_name,
            )
            apply_defaults(node.params, component.input_definitions)
            if node.kind is TaskKind.CONTAINER:
                self._launcher.fill_context(node)
            node.artifacts = resolve_artifacts(node, scope)
            condition = node.task_spec.trigger_policy.condition
            if condition and not evaluate_condition(condition, node.params, f"task '{node.path}'"):
                self._write_task(node.task_id, TaskUpdate(inputs=node.params))
                self._finish(node, TaskState.SKIPPED, "condition was false")
                return
        except HeadraceError as exc:
            self._finish(node, TaskState.FAILED, str(exc))
            return
        self._mark_running(node, inputs=node.params)
        if node.kind is TaskKind.DAG:
            self._start_dag(node, component)
        elif node.kind is TaskKind.LOOP:
            self._start_loop(node)
        elif node.kind is TaskKind.IMPORTER:
            self._run_importer(node)
        else:
            self._prepare_container(node)


def _jsonable(item: Any) -> Any:
    if isinstance(item, ArtifactRef):
        return item.uri
    return item
