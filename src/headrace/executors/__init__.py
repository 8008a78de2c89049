"""Executors run one task attempt: a local process today; warm pools and Ray share the interface."""

from headrace.executors.base import (
    AttemptHandle,
    AttemptOutcome,
    AttemptSpec,
    DoneCallback,
    Executor,
    LogSink,
    OutputArtifact,
)
from headrace.executors.local import LocalExecutor
from headrace.executors.outputs import OutputError, collect_outputs
from headrace.executors.python_env import (
    LightweightCommand,
    PythonEnvCache,
    PythonEnvError,
    parse_lightweight,
)

__all__ = [
    "AttemptHandle",
    "AttemptOutcome",
    "AttemptSpec",
    "DoneCallback",
    "Executor",
    "LightweightCommand",
    "LocalExecutor",
    "LogSink",
    "OutputArtifact",
    "OutputError",
    "PythonEnvCache",
    "PythonEnvError",
    "collect_outputs",
    "parse_lightweight",
]
