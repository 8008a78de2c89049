"""Live progress of a run in the terminal: state counts, one bar per loop, task log lines."""

from __future__ import annotations

import threading
from collections import Counter

from rich.console import Console, Group
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.text import Text

from headrace.engine import TaskEvent
from headrace.states import TaskKind, TaskState

_LEAVES = (TaskKind.CONTAINER, TaskKind.IMPORTER)
_STYLE = {
    TaskState.RUNNING: "cyan",
    TaskState.SUCCEEDED: "green",
    TaskState.CACHED: "blue",
    TaskState.FAILED: "red",
    TaskState.SKIPPED: "yellow",
    TaskState.CANCELED: "magenta",
}


class RunProgress:
    """Receives engine events and task output; renders them with Rich."""

    def __init__(self, console: Console, quiet: bool) -> None:
        self._console = console
        self._quiet = quiet
        self._lock = threading.Lock()
        self._states: dict[str, TaskState] = {}
        self._loops = Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console
        )
        self._bars: dict[str, TaskID] = {}

    def task_changed(self, event: TaskEvent) -> None:
        with self._lock:
            if event.kind in _LEAVES:
                self._states[event.path] = event.state
                self._report(event)
            if (
                event.kind is TaskKind.LOOP
                and event.iteration_count is not None
                and event.path not in self._bars
            ):
                self._bars[event.path] = self._loops.add_task(
                    f"loop {event.path}", total=event.iteration_count
                )
            if (
                event.kind is TaskKind.ITERATION
                and event.state.is_final
                and event.parent_path in self._bars
            ):
                self._loops.advance(self._bars[event.parent_path])

    def _report(self, event: TaskEvent) -> None:
        if self._quiet:
            return
        if event.retrying_in is not None:
            self._console.print(
                f"[yellow]↻ {escape(event.path)}[/] attempt failed ({escape(event.error or '')}); "
                f"retrying in {event.retrying_in:g}s"
            )
        elif event.state is TaskState.FAILED:
            self._console.print(f"[red]✗ {escape(event.path)}[/]: {escape(event.error or '')}")

    def log_line(self, task_path: str, stream: str, line: str) -> None:
        if self._quiet:
            return
        style = "red" if stream == "stderr" else "dim"
        self._console.print(
            Text.assemble((f"[{task_path}] ", style), line.rstrip("\n")), soft_wrap=True
        )

    def __rich__(self) -> Group:
        with self._lock:
            counts = Counter(self._states.values())
        summary = Text("  ").join(
            Text(f"{state.value.lower()} {counts[state]}", style=_STYLE[state])
            for state in _STYLE
            if counts[state]
        )
        return Group(summary, self._loops) if self._bars else Group(summary)
