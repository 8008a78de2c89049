"""The engine: runs one pipeline run with the Kubeflow semantics."""

from headrace.engine._events import EngineListener, EngineOptions, TaskEvent
from headrace.engine._runner import RunEngine

__all__ = ["EngineListener", "EngineOptions", "RunEngine", "TaskEvent"]
