"""Executors run one task attempt: a local process, or a process forked from a warm zygote."""

from headrace.executors._process import stop_orphan, stop_orphans
from headrace.executors.base import (
    AttemptHandle,
    AttemptOutcome,
    AttemptSpec,
    DoneCallback,
    Executor,
    LogSink,
    OutputArtifact,
    ProcessIdentity,
    StartedCallback,
)
from headrace.executors.local import LocalExecutor
from headrace.executors.outputs import OutputError, collect_outputs
from headrace.executors.python_env import (
    LightweightCommand,
    PythonEnvCache,
    PythonEnvError,
    parse_lightweight,
)
from headrace.executors.warm import WarmExecutor

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
    "ProcessIdentity",
    "PythonEnvCache",
    "PythonEnvError",
    "StartedCallback",
    "WarmExecutor",
    "collect_outputs",
    "parse_lightweight",
    "stop_orphan",
    "stop_orphans",
]
