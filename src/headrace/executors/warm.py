"""Run lightweight components in processes forked from a warm zygote, one per environment.

A kfp lightweight task costs a fresh interpreter importing kfp. Here a zygote per Python
environment imports kfp once; each attempt is a new process forked from it that becomes what
`sh -ec <kfp's command>` would have run (own session, cwd, environment, pipes, exit status), so
one task's crash, exit, globals or leaks never reach another. Everything else runs as LocalExecutor
runs it, and so does a lightweight task whose zygote cannot fork.
"""

from __future__ import annotations

import logging
import os
import re
import signal
import threading
from pathlib import Path
from typing import IO, Any

from headrace.executors import _zygote
from headrace.executors._attempt import Launch, ProcessExecutor
from headrace.executors._process import ProcessExit, TaskLog, TaskProcess
from headrace.executors._zygote_client import Child, Zygote, ZygoteError
from headrace.executors.base import AttemptOutcome, LogSink
from headrace.executors.python_env import PythonEnvCache

logger = logging.getLogger(__name__)

_GAP = r"(?:\s|\\\n)+"
_KFP_SCRIPT = re.compile(
    r"\s*program_path=\$\(mktemp -d\)"
    + _GAP
    + r'printf "%s" "\$0" > "\$program_path/ephemeral_component\.py"'
    + _GAP
    + r"(?P<runtime>_KFP_RUNTIME=true"
    + _GAP
    + r")?python3 -m kfp\.dsl\.executor_main"
    + _GAP
    + r'--component_module_path"?'
    + _GAP
    + r'"\$program_path/ephemeral_component\.py"'
    + _GAP
    + r'"\$@"\s*'
)
# Variables that differ between attempts of one task without changing how Python starts.
_PER_ATTEMPT = frozenset({"KFP_RETRY_INDEX"})

_ZygoteKey = tuple[str, tuple[tuple[str, str], ...]]


class WarmExecutor(ProcessExecutor):
    """LocalExecutor's behaviour, with lightweight components forked from warm zygotes.

    max_workers bounds the forked tasks running at once (attempts beyond it wait for a slot;
    None leaves the bound to the engine's --max-parallel); max_environments bounds the zygotes
    alive at once, an idle one giving way to a new environment.
    """

    def __init__(
        self,
        *,
        log_sink: LogSink | None = None,
        envs: PythonEnvCache,
        grace_seconds: float = 5.0,
        max_workers: int | None = None,
        max_environments: int = 4,
    ) -> None:
        super().__init__(log_sink=log_sink, envs=envs, grace_seconds=grace_seconds)
        self.max_environments = max_environments
        self.forks = 0
        """How many attempts ran in a process forked from a zygote."""
        self._slots = threading.BoundedSemaphore(max_workers) if max_workers else None
        self._zygotes: dict[_ZygoteKey, Zygote] = {}
        self._lock = threading.Lock()

    def zygote_pids(self) -> list[int]:
        """The process ids of the zygotes alive now, one per environment in use."""
        with self._lock:
            return [z.pid for z in self._zygotes.values() if z.alive]

    def shutdown(self) -> None:
        """Cancel running attempts, then stop every zygote."""
        super().shutdown()
        with self._lock:
            zygotes = list(self._zygotes.values())
            self._zygotes.clear()
        for zygote in zygotes:
            zygote.close()

    def launch(self, launch: Launch, log: TaskLog) -> TaskProcess | AttemptOutcome:
        """Fork a lightweight component from its environment's zygote; start anything else."""
        request = _fork_request(launch)
        if request is None or launch.python is None:
            return super().launch(launch, log)
        if self._slots is not None:
            while not self._slots.acquire(timeout=0.1):
                if launch.canceled():
                    return AttemptOutcome(exit_code=None, canceled=True)
        try:
            process = self._fork(launch.python, request)
        except ZygoteError as exc:
            if self._slots is not None:
                self._slots.release()
            logger.warning("task %s runs as a plain local process: %s", launch.spec.task_path, exc)
            return super().launch(launch, log)
        with self._lock:
            self.forks += 1
        return process

    def _fork(self, python: str, request: dict[str, Any]) -> TaskProcess:
        env: dict[str, str] = request.pop("env")
        startup = {k: v for k, v in env.items() if k not in _PER_ATTEMPT}
        zygote = self._reserve(python, startup)
        # The zygote runs with the startup environment, so its child changes only what differs.
        request["env_set"] = {k: v for k, v in env.items() if startup.get(k) != v}
        request["env_unset"] = [k for k in startup if k not in env]
        request["pwd"] = env.get("PWD")
        out_r, out_w = os.pipe2(os.O_CLOEXEC)
        err_r, err_w = os.pipe2(os.O_CLOEXEC)
        try:
            child = zygote.fork(request, (out_w, err_w))
        except BaseException:
            zygote.release()
            os.close(out_r)
            os.close(err_r)
            raise
        finally:
            os.close(out_w)
            os.close(err_w)
        stdout = open(out_r, "rb", buffering=0)  # noqa: SIM115 - closed by the log pump
        stderr = open(err_r, "rb", buffering=0)  # noqa: SIM115 - closed by the log pump
        return _WarmProcess(zygote, child, stdout, stderr, self._slots)

    def _reserve(self, python: str, env: dict[str, str]) -> Zygote:
        """The zygote for this interpreter and environment, started if needed, with a use held."""
        key: _ZygoteKey = (python, tuple(sorted(env.items())))
        retired: list[Zygote] = []
        try:
            with self._lock:
                zygote = self._zygotes.get(key)
                if zygote is not None and not zygote.alive:
                    logger.warning("the zygote for %s exited; starting a new one", python)
                    retired.append(self._zygotes.pop(key))
                    zygote = None
                if zygote is None:
                    if len(self._zygotes) >= self.max_environments:
                        retired.append(self._evict())
                    zygote = Zygote(python, env)
                    self._zygotes[key] = zygote
                zygote.reserve()
        finally:
            for old in retired:
                old.close()
        return zygote

    def _evict(self) -> Zygote:
        idle = [(z.last_used, key) for key, z in self._zygotes.items() if z.idle]
        if not idle:
            raise ZygoteError(
                f"all {self.max_environments} zygotes are busy with other environments"
            )
        _, key = min(idle)
        return self._zygotes.pop(key)


class _WarmProcess:
    """A task forked from a zygote: signals go through the zygote, which reaps it."""

    def __init__(
        self,
        zygote: Zygote,
        child: Child,
        stdout: IO[bytes],
        stderr: IO[bytes],
        slots: threading.BoundedSemaphore | None,
    ) -> None:
        self.stdout = stdout
        self.stderr = stderr
        self.pid = child.pid
        self._zygote = zygote
        self._child = child
        self._slots = slots
        self._signaled = False

    def signal(self, sig: signal.Signals) -> None:
        self._signaled = True
        self._zygote.signal(self._child, sig)

    def wait(self) -> ProcessExit:
        status = self._zygote.wait(self._child)
        if self._slots is not None:
            self._slots.release()
        if status is None:
            return ProcessExit(
                -signal.SIGKILL,
                notice=f"the warm zygote of this task exited (it was process {self._zygote.pid}); "
                "the task was killed",
            )
        if not os.WIFSIGNALED(status):
            return ProcessExit(os.waitstatus_to_exitcode(status))
        sig = os.WTERMSIG(status)
        if self._signaled:
            # Canceled: the shell kfp's command runs in would have died of the signal too.
            return ProcessExit(-sig)
        # The program died of a signal of its own making: sh reports it and exits 128 + n.
        if sig in (signal.SIGINT, signal.SIGPIPE):
            return ProcessExit(128 + sig)
        line = signal.strsignal(sig) or f"Unknown signal {sig}"
        if os.WCOREDUMP(status):
            line += " (core dumped)"
        return ProcessExit(128 + sig, stderr_line=line)


def _fork_request(launch: Launch) -> dict[str, Any] | None:
    """What the zygote needs to run kfp's lightweight command; None for any other command."""
    argv = launch.argv
    if launch.lightweight is None or len(argv) < 4 or argv[:2] != ["sh", "-ec"]:
        return None
    match = _KFP_SCRIPT.fullmatch(argv[2])
    if match is None:
        return None
    env = dict(launch.env)
    if match.group("runtime"):
        env["_KFP_RUNTIME"] = "true"
    cwd = str(Path(launch.spec.workdir).absolute())
    tmp = _zygote.program_tmp(cwd, env.get("TMPDIR"))
    if not (os.path.isdir(tmp) and os.access(tmp, os.W_OK | os.X_OK)):
        return None  # the shell's own `mktemp -d` fails, with its own message
    return {"source": argv[3], "args": argv[4:], "env": env, "cwd": cwd, "tmp": tmp}
