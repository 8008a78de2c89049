"""`headrace server`, `headrace worker` and `headrace db upgrade`."""

from __future__ import annotations

import logging
import signal
import threading
from typing import Annotated

import typer

from headrace import __version__
from headrace.cli._app import app, cli_settings, console, err_console
from headrace.config import Settings
from headrace.errors import ConfigError
from headrace.service.namespaces import NamespaceSettings
from headrace.store import Store
from headrace.worker import Worker, WorkerOptions

db_app = typer.Typer(no_args_is_help=True, help="Manage the database schema.")
app.add_typer(db_app, name="db")

DatabaseOption = Annotated[
    str | None,
    typer.Option("--database-url", help="SQLAlchemy URL (default: SQLite in HEADRACE_HOME)."),
]


def _open_current(settings: Settings) -> Store:
    """Connect without migrating; refuse a database that is behind the code."""
    url = settings.resolved_database_url()
    if url.startswith("sqlite"):
        return Store.connect(url)  # the embedded default migrates itself
    problem = Store.check_schema(url)
    if problem is not None:
        raise ConfigError(problem, "run `headrace db upgrade --database-url URL` first")
    return Store.connect(url, migrate=False)


@db_app.command("upgrade")
def db_upgrade(database_url: DatabaseOption = None) -> None:
    """Migrate the database to the schema this Headrace needs."""
    settings = cli_settings(database_url=database_url or None)
    Store.connect(settings.resolved_database_url()).close()
    console.print("database is up to date")


def _worker(store: Store, settings: Settings, concurrent_runs: int) -> Worker:
    options = WorkerOptions(
        home=settings.home,
        max_parallel=settings.max_parallel,
        concurrent_runs=concurrent_runs,
        lease_seconds=settings.lease_seconds,
        executor=settings.executor,
        ray_address=settings.ray_address,
        secrets=settings.secret_values(),
    )
    return Worker(
        store, options, storage_for=NamespaceSettings(store, settings).storage_settings_for
    )


def _wait_for_signal() -> None:
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    while not stop.wait(1.0):
        pass


@app.command()
def worker(
    database_url: DatabaseOption = None,
    concurrent_runs: Annotated[int, typer.Option("--concurrent-runs", min=1)] = 4,
) -> None:
    """Execute runs from the shared database until stopped (Ctrl-C or SIGTERM)."""
    settings = cli_settings(database_url=database_url or None)
    store = _open_current(settings)
    logging.getLogger("headrace").setLevel(logging.INFO)
    w = _worker(store, settings, concurrent_runs)
    w.start()
    err_console.print(f"worker {w.worker_id} waiting for runs (Ctrl-C to stop)")
    try:
        _wait_for_signal()
    finally:
        w.stop()
        store.close()


@app.command()
def server(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535)] = 8888,
    database_url: DatabaseOption = None,
    concurrent_runs: Annotated[int, typer.Option("--concurrent-runs", min=0)] = 4,
) -> None:
    """The Kubeflow Pipelines REST API, run workers and the recurring-run scheduler."""
    import uvicorn

    from headrace.api import create_app
    from headrace.scheduler import Scheduler, SchedulerLoop
    from headrace.ui import mount_ui

    settings = cli_settings(database_url=database_url or None)
    store = _open_current(settings)
    pipeline_root = settings.resolved_pipeline_root()
    api = create_app(
        store,
        home=settings.home,
        pipeline_root=pipeline_root,
        version=__version__,
        settings=settings,
    )
    mount_ui(api)
    w = _worker(store, settings, concurrent_runs) if concurrent_runs else None
    scheduler = Scheduler(
        store,
        home=settings.home,
        pipeline_root=pipeline_root,
        namespaces=NamespaceSettings(store, settings),
    )
    loop = SchedulerLoop(scheduler)
    if w is not None:
        w.start()
    loop.start()
    err_console.print(
        f"Headrace {__version__} serving http://{host}:{port} (web UI at /, API at /apis/v2beta1;"
        " Ctrl-C to stop)"
    )
    try:
        uvicorn.run(api, host=host, port=port, log_level="warning")
    finally:
        loop.stop()
        if w is not None:
            w.stop()
        store.close()
