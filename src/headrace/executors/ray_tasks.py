"""Run each task attempt as one Ray task on a cluster; logs come back live, retries stay ours."""

from __future__ import annotations

import logging
import threading
import time
from pathlib import Path
from typing import Any

from headrace.errors import ConfigError
from headrace.executors._process import TaskLog
from headrace.executors._ray_node import LogBatch, NodeInfo, run_attempt
from headrace.executors._ray_resources import ray_request, why_infeasible
from headrace.executors._staging import archive_log
from headrace.executors.base import (
    AttemptHandle,
    AttemptOutcome,
    AttemptSpec,
    DoneCallback,
    LogSink,
    StartedCallback,
)

logger = logging.getLogger(__name__)

INSTALL_HINT = "install it with: pip install 'headrace[ray]'"
_NODES_TTL_SECONDS = 5.0


def import_ray() -> Any:
    """The ray module, or a ConfigError saying how to install it."""
    try:
        import ray
    except ImportError as exc:
        raise ConfigError("the Ray executor needs the `ray` package", INSTALL_HINT) from exc
    return ray


def check_ray_settings(address: str | None) -> Any:
    """The ray module, once the package and the address are known to be usable."""
    if address and address.startswith("ray://"):
        raise ConfigError(
            f"ray_address {address} is a Ray Client address, and Ray Client cannot stream "
            "task logs back (streaming tasks are not supported through it)",
            "run the Headrace worker where it can reach the cluster's GCS and use its "
            "address (head:6379), or leave ray_address empty inside a Ray pod",
        )
    return import_ray()


class RayExecutor:
    """Each attempt is one Ray task (never retried by Ray) that runs the program on its node.

    The task stages inputs from and uploads outputs to the object store (or a filesystem every
    node shares), so it can run on any node. Its log lines stream back as chunks of a streaming
    generator into the same log file and sink as the local executor's, and are archived here.
    """

    def __init__(
        self,
        *,
        home: Path,
        address: str | None = None,
        log_sink: LogSink | None = None,
        grace_seconds: float = 5.0,
    ) -> None:
        ray = check_ray_settings(address)
        self._ray = ray
        self._owns_connection = not ray.is_initialized()
        if self._owns_connection:
            try:
                ray.init(
                    address=address or None,
                    ignore_reinit_error=True,
                    log_to_driver=False,
                    logging_level=logging.WARNING,
                    **({} if address else {"include_dashboard": False}),
                )
            except (ConnectionError, RuntimeError, ValueError) as exc:
                raise ConfigError(
                    f"cannot connect to the Ray cluster at {address or '(local)'}: {exc}",
                    "check ray_address (--ray-address, HEADRACE_RAY_ADDRESS), e.g. head:6379, "
                    "and that the cluster is up",
                ) from exc
        self.log_sink = log_sink
        self.envs_root = str(home / "envs")
        self.grace_seconds = grace_seconds
        self._remote = ray.remote(run_attempt)
        self._attempts: set[_RayAttempt] = set()
        self._lock = threading.Lock()
        self._nodes: list[dict[str, Any]] = []
        self._nodes_read = 0.0

    def start(
        self, spec: AttemptSpec, done: DoneCallback, started: StartedCallback | None = None
    ) -> AttemptHandle:
        """Submit the attempt in the background; done is called once, never from inside start.

        `started` is never called: the task runs on a Ray node, where Ray ends it with its
        worker.
        """
        attempt = _RayAttempt(self, spec, done)
        with self._lock:
            self._attempts.add(attempt)
        attempt.thread.start()
        return attempt

    def shutdown(self) -> None:
        """Cancel every running attempt, wait for them to report, disconnect if we connected."""
        with self._lock:
            attempts = list(self._attempts)
        for attempt in attempts:
            attempt.cancel()
        for attempt in attempts:
            attempt.thread.join(self.grace_seconds + 30)
        if self._owns_connection:
            self._ray.shutdown()

    def nodes(self) -> list[dict[str, Any]]:
        """The cluster's nodes, read at most every few seconds (one GCS call for many tasks)."""
        with self._lock:
            if time.monotonic() - self._nodes_read > _NODES_TTL_SECONDS:
                self._nodes = list(self._ray.nodes())
                self._nodes_read = time.monotonic()
            return self._nodes

    def submit(self, spec: AttemptSpec, options: dict[str, Any]) -> Any:
        return self._remote.options(
            num_returns="streaming",
            max_retries=0,
            retry_exceptions=False,
            name=f"headrace {spec.task_path} #{spec.attempt_number}",
            **options,
        ).remote(spec, self.envs_root, self.grace_seconds)

    def _finished(self, attempt: _RayAttempt) -> None:
        with self._lock:
            self._attempts.discard(attempt)


class _RayAttempt:
    def __init__(self, executor: RayExecutor, spec: AttemptSpec, done: DoneCallback) -> None:
        self.executor = executor
        self.spec = spec
        self.done = done
        self.thread = threading.Thread(
            target=self._main, name=f"ray-{spec.task_path}-{spec.attempt_number}", daemon=True
        )
        self._lock = threading.Lock()
        self._canceled = False
        self._generator: Any = None

    def cancel(self) -> None:
        with self._lock:
            if self._canceled:
                return
            self._canceled = True
            generator = self._generator
        if generator is not None:
            # Kills the Ray worker; the node-side guard then ends the task's process group.
            self.executor._ray.cancel(generator, force=True)

    def _main(self) -> None:
        spec = self.spec
        log = TaskLog(spec.log_path, self.executor.log_sink, spec.task_path)
        try:
            outcome = self._run(log)
        except Exception as exc:
            logger.exception("attempt of task %s failed inside Headrace", spec.task_path)
            outcome = log.failure(f"Headrace could not run the task on Ray: {exc}")
        finally:
            log.close()
        try:
            outcome = archive_log(spec, outcome)
        except Exception:
            logger.exception("the log of task %s was not archived", spec.task_path)
        finally:
            self.executor._finished(self)
        try:
            self.done(outcome)
        except Exception:
            logger.exception("the done callback of task %s raised", spec.task_path)

    def _run(self, log: TaskLog) -> AttemptOutcome:
        spec = self.spec
        request = ray_request(spec)
        problem = why_infeasible(spec.task_path, request, self.executor.nodes())
        if problem is not None:
            return log.failure(problem)
        for ignored in spec.placement.ignored:
            log.notice(f"ignored on Ray: {ignored}")
        with self._lock:
            if self._canceled:
                return AttemptOutcome(exit_code=None, canceled=True)
            self._generator = self.executor.submit(spec, request.task_options())
        node: NodeInfo | None = None
        ray = self.executor._ray
        try:
            for ref in self._generator:
                chunk = ray.get(ref)
                if isinstance(chunk, NodeInfo):
                    node = chunk
                    log.notice(f"running on Ray node {chunk.node_id} at {chunk.ip}")
                elif isinstance(chunk, LogBatch):
                    for stream, text in chunk.lines:
                        log.line(stream, text.encode())
                elif isinstance(chunk, AttemptOutcome):
                    return chunk
        except ray.exceptions.RayError as exc:
            if self._is_canceled():
                return AttemptOutcome(exit_code=None, canceled=True)
            return log.failure(_ray_failure(spec, node, exc, ray))
        if self._is_canceled():
            return AttemptOutcome(exit_code=None, canceled=True)
        return log.failure(f"the Ray task of {spec.task_path} ended without an outcome")

    def _is_canceled(self) -> bool:
        with self._lock:
            return self._canceled


def _ray_failure(spec: AttemptSpec, node: NodeInfo | None, exc: Exception, ray: Any) -> str:
    where = f"Ray node {node.node_id} at {node.ip}" if node else "the Ray node it was placed on"
    if isinstance(exc, ray.exceptions.RayTaskError):
        return f"Headrace failed on {where} while running task {spec.task_path}: {exc}"
    first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (
        f"{where} died, or lost the worker running task {spec.task_path} "
        f"(attempt {spec.attempt_number}): {type(exc).__name__}: {first_line}; "
        "the task's retry policy decides whether it runs again on another node"
    )
