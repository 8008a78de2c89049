"""Run workers: claim PENDING (or orphaned) runs from the store under a lease and execute them."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from headrace.engine import RunEngine
from headrace.errors import HeadraceError
from headrace.executors import LogSink
from headrace.service.run_queries import remove_run_scratch
from headrace.service.runs import make_executor, run_engine
from headrace.states import RunState
from headrace.storage.settings import StorageSettings
from headrace.store import Store

log = logging.getLogger("headrace.worker")


@dataclass(frozen=True)
class WorkerOptions:
    home: Path
    max_parallel: int
    concurrent_runs: int = 4
    lease_seconds: float = 15.0
    executor: str = "warm"
    ray_address: str = ""
    secrets: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
    """Named secrets tasks read as environment variables (`[secrets.NAME]`)."""
    poll_seconds: float = 0.5
    worker_id: str = field(
        default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    )


class Worker:
    """Claims runs and executes each in its own thread; a lease heartbeat guards every run.

    Two workers never execute the same run: a run is claimed in a row-locking transaction and its
    lease renewed every third of its length. When a worker dies, its lease expires and another
    worker resumes the run from the store. `stop()` interrupts the runs without ending them.
    """

    def __init__(
        self,
        store: Store,
        options: WorkerOptions,
        log_sink: LogSink | None = None,
        storage_for: Callable[[str], StorageSettings] | None = None,
    ):
        self._store = store
        self._storage_for = storage_for
        self._options = options
        self._executor = make_executor(
            options.executor, options.home, log_sink, ray_address=options.ray_address
        )
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._engines: dict[str, RunEngine] = {}
        self._threads: list[threading.Thread] = []
        self._claimer = threading.Thread(
            target=self._claim_loop, name="headrace-claim", daemon=True
        )

    @property
    def worker_id(self) -> str:
        return self._options.worker_id

    def start(self) -> None:
        log.info("worker %s started", self.worker_id)
        self._claimer.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop claiming, interrupt running runs (they stay RUNNING for a later resume)."""
        self._stop.set()
        if self._claimer.is_alive():
            self._claimer.join(timeout)
        with self._lock:
            engines = list(self._engines.values())
            threads = list(self._threads)
        for engine in engines:
            engine.interrupt()
        for thread in threads:
            thread.join(timeout)
        self._executor.shutdown()

    def active_runs(self) -> list[str]:
        with self._lock:
            return list(self._engines)

    def _claim_loop(self) -> None:
        while not self._stop.is_set():
            if len(self.active_runs()) >= self._options.concurrent_runs:
                self._stop.wait(self._options.poll_seconds)
                continue
            try:
                run = self._store.claim_run(self.worker_id, self._options.lease_seconds)
            except HeadraceError:
                log.exception("claiming a run failed")
                run = None
            if run is None:
                self._stop.wait(self._options.poll_seconds)
                continue
            self._begin(run.id)

    def _begin(self, run_id: str) -> None:
        engine = run_engine(
            self._store,
            self._executor,
            self._options.home,
            self._options.max_parallel,
            storage_for=self._storage_for,
            secrets=self._options.secrets,
        )
        thread = threading.Thread(
            target=self._execute,
            args=(run_id, engine),
            name=f"headrace-run-{run_id[:8]}",
            daemon=True,
        )
        with self._lock:
            self._engines[run_id] = engine
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()

    def _execute(self, run_id: str, engine: RunEngine) -> None:
        done = threading.Event()
        heartbeat = threading.Thread(
            target=self._heartbeat, args=(run_id, engine, done), daemon=True
        )
        heartbeat.start()
        try:
            final = engine.execute(run_id)
            log.info("run %s ended %s", run_id, final.state.value)
        except Exception:
            if not self._store.run_exists(run_id):
                # Its engine has stopped its tasks: nothing runs in its scratch any more.
                log.info("run %s was deleted while it ran; its tasks were stopped", run_id)
                remove_run_scratch(self._options.home, run_id)
            else:
                log.exception("run %s crashed the engine", run_id)
                self._store.set_run_state(
                    run_id, RunState.FAILED, error="internal error in Headrace"
                )
        finally:
            done.set()
            heartbeat.join()
            self._store.release_run(run_id, self.worker_id)
            with self._lock:
                self._engines.pop(run_id, None)

    def _heartbeat(self, run_id: str, engine: RunEngine, done: threading.Event) -> None:
        """Renew the lease; pass a terminate request made elsewhere on to the engine."""
        interval = self._options.lease_seconds / 3
        canceled = False
        while not done.wait(min(interval, 1.0)):
            try:
                if not self._store.renew_lease(run_id, self.worker_id, self._options.lease_seconds):
                    if not self._store.run_exists(run_id):
                        log.info("run %s was deleted: stopping its tasks", run_id)
                    else:
                        log.warning("worker %s lost the lease of run %s", self.worker_id, run_id)
                    engine.interrupt()
                    return
                if not canceled and self._store.get_run(run_id).state is RunState.CANCELING:
                    canceled = True
                    engine.cancel()
            except Exception:
                log.exception("heartbeat of run %s failed", run_id)
