"""The `headrace` command line: run pipelines; list, inspect, resume and delete runs; read logs."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.live import Live
from rich.markup import escape

from headrace._gc import tune_for_engines
from headrace.cli._progress import RunProgress
from headrace.cli._views import run_detail_json, run_json, runs_table, summary_table
from headrace.config import Settings, load_settings
from headrace.errors import HeadraceError, NotFoundError
from headrace.service import run_queries
from headrace.service.logs import attempt_log
from headrace.service.namespaces import NamespaceSettings
from headrace.service.runs import (
    RunRequest,
    caching_disabled_by_env,
    check_executor_settings,
    create_run,
    make_executor,
    run_engine,
)
from headrace.spec.loader import load_pipeline
from headrace.spec.params import load_params_file, parse_param_assignments
from headrace.states import AttemptState, RunState
from headrace.storage.logs import LogLocation, follow_log
from headrace.store import Store
from headrace.store.records import DEFAULT_NAMESPACE, AttemptRecord

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
runs_app = typer.Typer(no_args_is_help=True, help="List, inspect, resume and delete runs.")
app.add_typer(runs_app, name="runs")

_CLI_LEASE_SECONDS = 100 * 365 * 24 * 3600.0

console = Console()
err_console = Console(stderr=True)


class _State:
    debug = False
    config: Path | None = None


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks on errors.")] = False,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="Config file (default: $HEADRACE_CONFIG or $HEADRACE_HOME/config.toml).",
        ),
    ] = None,
) -> None:
    """Headrace: run Kubeflow pipelines anywhere Python runs."""
    _State.debug = debug
    _State.config = config
    logging.basicConfig(level=logging.DEBUG if debug else logging.WARNING)


def cli_settings(**flags: object) -> Settings:
    """This command's settings: its flags (None: not given) over environment, file, defaults."""
    return load_settings(flags, config_file=_State.config)


def _open_store(settings: Settings) -> Store:
    return Store.connect(settings.resolved_database_url())


@app.command()
def run(
    pipeline: Annotated[
        Path, typer.Argument(help="A .py file with @dsl.pipeline, or IR .yaml/.json")
    ],
    pipeline_name: Annotated[
        str | None, typer.Option("--pipeline", help="Which pipeline, when the file has several.")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="NAME=VALUE, repeatable.")
    ] = None,
    params_file: Annotated[
        Path | None, typer.Option("--params-file", help="YAML or JSON mapping of parameters.")
    ] = None,
    pipeline_root: Annotated[
        str | None, typer.Option("--pipeline-root", help="Where artifacts are written.")
    ] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Run every task.")] = False,
    max_parallel: Annotated[
        int | None, typer.Option("--max-parallel", min=1, help="Task slots (default: CPUs).")
    ] = None,
    name: Annotated[str | None, typer.Option("--name", help="Display name of the run.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not stream task logs.")] = False,
    executor: Annotated[
        str | None, typer.Option("--executor", help="warm (default), local or ray.")
    ] = None,
    ray_address: Annotated[
        str | None,
        typer.Option("--ray-address", help="Ray cluster for --executor ray (head:6379)."),
    ] = None,
    namespace: Annotated[
        str,
        typer.Option(
            "--namespace",
            help="The run's namespace: its storage settings (pipeline root) apply.",
        ),
    ] = DEFAULT_NAMESPACE,
) -> None:
    """Run a pipeline to completion (on this machine, or on a Ray cluster)."""
    settings = cli_settings(
        executor=executor,
        pipeline_root=pipeline_root,
        max_parallel=max_parallel,
        ray_address=ray_address,
    )
    check_executor_settings(settings.executor, settings.ray_address)
    loaded = load_pipeline(pipeline, pipeline_name)
    values: dict[str, Any] = load_params_file(params_file) if params_file else {}
    values.update(parse_param_assignments(loaded.spec, param or []))
    store = _open_store(settings)
    record = create_run(
        store,
        RunRequest(
            pipeline=loaded,
            parameters=values,
            # Only --pipeline-root beats the namespace's root; the global setting does not.
            pipeline_root=pipeline_root,
            cache_enabled=not (no_cache or caching_disabled_by_env()),
            display_name=name,
            namespace=namespace.strip() or DEFAULT_NAMESPACE,
        ),
        NamespaceSettings(store, settings),
    )
    # Hold the run for good, so that a server's workers sharing this database never take it.
    store.claim_run(f"cli-{os.getpid()}", _CLI_LEASE_SECONDS, run_id=record.id)
    console.print(f"run [bold]{record.id}[/] of pipeline [bold]{loaded.name}[/]")
    _execute(store, settings, record.id, quiet, settings.max_parallel)


def _execute(store: Store, settings: Settings, run_id: str, quiet: bool, max_parallel: int) -> None:
    """Execute a stored run with live progress; exit 1 unless it succeeds."""
    progress = RunProgress(console, quiet)
    executor = make_executor(
        settings.executor, settings.home, progress.log_line, ray_address=settings.ray_address
    )
    namespaces = NamespaceSettings(store, settings)
    engine = run_engine(
        store,
        executor,
        settings.home,
        max_parallel,
        progress,
        storage_for=namespaces.storage_settings_for,
        secrets=settings.secret_values(),
    )
    result: dict[str, Any] = {}
    finished = threading.Event()

    def work() -> None:
        try:
            result["run"] = engine.execute(run_id)
        except BaseException as exc:  # re-raised in the main thread
            result["error"] = exc
        finally:
            finished.set()

    thread = threading.Thread(target=work, name="headrace-engine", daemon=True)
    try:
        with Live(progress, console=console, refresh_per_second=4, transient=True):
            thread.start()
            _wait(finished, engine)
    finally:
        executor.shutdown()
    if "error" in result:
        if isinstance(result["error"], Exception) and not store.run_exists(run_id):
            message = f"run {run_id} was deleted while it ran; its tasks were stopped"
            err_console.print(message, soft_wrap=True, highlight=False)
            raise typer.Exit(1)
        raise result["error"]
    final = result["run"]
    console.print(summary_table(store.list_tasks(final.id)))
    _print_outcome(final)
    store.close()
    if final.state is not RunState.SUCCEEDED:
        raise typer.Exit(1)


def _wait(finished: threading.Event, engine: Any) -> None:
    """Wait for the engine thread; the first Ctrl-C cancels the run, the second quits."""
    interrupted = False
    while not finished.is_set():
        try:
            finished.wait(0.2)
        except KeyboardInterrupt:
            if interrupted:
                raise
            interrupted = True
            err_console.print("canceling the run (Ctrl-C again to quit at once)...")
            engine.cancel()


def _print_outcome(run: Any) -> None:
    style = {"SUCCEEDED": "green", "FAILED": "red"}.get(run.state.value, "yellow")
    console.print(f"run {run.id} [{style}]{run.state.value}[/]")
    if run.error:
        console.print(f"[red]{run.error}[/]")
    console.print(f"details: headrace runs show {run.id}   logs: headrace logs {run.id}")


@runs_app.command("list")
def runs_list(
    output: Annotated[str, typer.Option("--output", "-o", help="table or json")] = "table",
    limit: Annotated[int, typer.Option("--limit", min=1)] = 50,
) -> None:
    """The newest runs first."""
    store = _open_store(cli_settings())
    runs = store.list_runs(limit=limit)
    if _format(output) == "json":
        print(json.dumps([run_json(r) for r in runs], indent=2))
    else:
        console.print(runs_table(runs))


@runs_app.command("show")
def runs_show(
    run_id: Annotated[str, typer.Argument(help="A run id or a unique prefix of one.")],
    output: Annotated[str, typer.Option("--output", "-o", help="table or json")] = "table",
) -> None:
    """A run's tasks with states, inputs, outputs and artifact URIs."""
    store = _open_store(cli_settings())
    detail = run_detail_json(store, store.get_run(run_id))
    if _format(output) == "json":
        print(json.dumps(detail, indent=2, default=str))
        return
    console.print(f"run [bold]{detail['id']}[/] {detail['name']}: {detail['state']}")
    if detail["error"]:
        console.print(f"[red]{detail['error']}[/]")
    for task in detail["tasks"]:
        depth = task["path"].count("/")
        line = f"{'  ' * depth}{task['name']} [{task['kind'].lower()}] {task['state']}"
        if task["attempts"] > 1:
            line += f" ({task['attempts']} attempts)"
        console.print(line, highlight=False, markup=False)
        pad = "  " * (depth + 1)
        if task["kind"] in ("CONTAINER", "IMPORTER"):
            for key, value in task["inputs"].items():
                console.print(f"{pad}in  {key} = {json.dumps(value)}", markup=False)
            for key, value in task["outputs"].items():
                console.print(f"{pad}out {key} = {json.dumps(value)}", markup=False)
            for key, uris in task["artifacts"].items():
                console.print(
                    f"{pad}artifact {key}: {', '.join(uris)}", markup=False, soft_wrap=True
                )
        if task["error"] and task["state"] == "FAILED":
            console.print(f"{pad}error: {task['error']}", markup=False, style="red")


@runs_app.command("resume")
def runs_resume(
    run_id: Annotated[str, typer.Argument(help="A run id or a unique prefix of one.")],
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Do not stream task logs.")] = False,
    max_parallel: Annotated[
        int | None, typer.Option("--max-parallel", min=1, help="Task slots (default: CPUs).")
    ] = None,
) -> None:
    """Finish a run whose process died: finished tasks are kept, the rest runs."""
    settings = cli_settings(max_parallel=max_parallel)
    store = _open_store(settings)
    record = store.get_run(run_id)
    if record.state.is_final:
        raise HeadraceError(
            f"run {record.id} already ended {record.state.value}",
            "only a run that is PENDING or was interrupted while RUNNING can be resumed",
        )
    console.print(f"resuming run [bold]{record.id}[/] of pipeline [bold]{record.pipeline_name}[/]")
    _execute(store, settings, record.id, quiet, settings.max_parallel)


@runs_app.command("delete")
def runs_delete(
    run_id: Annotated[str, typer.Argument(help="A run id or a unique prefix of one.")],
    force: Annotated[
        bool,
        typer.Option("--force", help="Delete a run that has not ended; its tasks are stopped."),
    ] = False,
) -> None:
    """Delete an ended run: its records, and the scratch its failed attempts left."""
    settings = cli_settings()
    store = _open_store(settings)
    record = store.get_run(run_id)
    if not record.state.is_final and not force:
        raise HeadraceError(
            f"run {record.id} is {record.state.value}: a process may still be running it",
            "wait for it to end, `headrace runs resume` it if its process died, or delete it "
            "anyway with --force",
        )
    run_queries.delete_run(store, settings.home, record)
    console.print(f"deleted run {record.id}", highlight=False)


@app.command()
def logs(
    run_id: Annotated[str, typer.Argument(help="A run id or a unique prefix of one.")],
    task: Annotated[
        str | None, typer.Argument(help="Task path or name; all when left out.")
    ] = None,
    attempt: Annotated[
        int | None, typer.Option("--attempt", help="Attempt number (0-based).")
    ] = None,
    follow: Annotated[
        bool,
        typer.Option("--follow", "-f", help="Keep printing a running attempt's log until it ends."),
    ] = False,
) -> None:
    """Print the logs of a run's task attempts: live while they run, archived afterwards."""
    settings = cli_settings()
    store = _open_store(settings)
    run_record = store.get_run(run_id)
    storage = NamespaceSettings(store, settings).storage_settings_for(run_record.namespace)
    tasks = {t.id: t for t in store.list_tasks(run_record.id)}
    if task is not None:
        matches = [t for t in tasks.values() if t.path == task] or [
            t for t in tasks.values() if t.name == task
        ]
        if not matches:
            raise NotFoundError(
                f"run {run_record.id} has no task '{task}'",
                "see the task paths with `headrace runs show RUN_ID`",
            )
        wanted = {t.id for t in matches}
    else:
        wanted = set(tasks)
    attempts = [a for a in store.list_attempts(run_id=run_record.id) if a.task_id in wanted]
    if attempt is not None:
        attempts = [a for a in attempts if a.number == attempt]
    if not attempts:
        raise NotFoundError(f"no attempt logs match in run {run_record.id}")
    for a in attempts:
        header = f"==> {tasks[a.task_id].path} attempt {a.number} ({a.state.value}"
        header += f", exit code {a.exit_code})" if a.exit_code is not None else ")"
        if len(attempts) > 1:
            print(header)
        if follow and a.state is AttemptState.RUNNING:
            location = LogLocation(a.log_path, a.log_uri)
            for chunk in follow_log(location, storage, is_live=_still_running(store, a)):
                print(chunk, end="", flush=True)
        else:
            print(attempt_log(a, storage), end="")


def _still_running(store: Store, attempt: AttemptRecord) -> Callable[[], bool]:
    def check() -> bool:
        for a in store.list_attempts(task_id=attempt.task_id):
            if a.id == attempt.id:
                return a.state is AttemptState.RUNNING
        return False

    return check


def _format(output: str) -> str:
    if output not in ("table", "json"):
        raise HeadraceError(f"unknown --output '{output}'", "use --output table or --output json")
    return output


def main() -> None:
    """Entry point: user errors become one line and exit code 2, unless --debug."""
    tune_for_engines()
    try:
        app()
    except HeadraceError as exc:
        if _State.debug:
            raise
        # Messages are plain text: `headrace[ray]` is not console markup.
        err_console.print(f"[red]error:[/] {escape(exc.message)}", highlight=False)
        if exc.hint:
            err_console.print(f"  {exc.hint}", highlight=False, markup=False)
        raise SystemExit(2) from None
