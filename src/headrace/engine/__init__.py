"""The engine: runs one pipeline run with the Kubeflow semantics."""

from headrace.engine._runner import EngineListener, EngineOptions, RunEngine, TaskEvent

__all__ = ["EngineListener", "EngineOptions", "RunEngine", "TaskEvent"]
