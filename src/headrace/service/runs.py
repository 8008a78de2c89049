"""Use cases around runs, shared by the CLI, the API and the scheduler."""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from headrace.engine import EngineListener, EngineOptions, RunEngine
from headrace.errors import ConfigError, PipelineSpecError
from headrace.executors import LocalExecutor, LogSink, PythonEnvCache, WarmExecutor
from headrace.executors.base import Executor
from headrace.service.namespaces import NamespaceSettings
from headrace.spec.loader import LoadedPipeline
from headrace.spec.params import resolve_parameters
from headrace.storage.layout import normalize_root
from headrace.storage.settings import StorageSettings, scheme_of
from headrace.store import Store
from headrace.store.records import DEFAULT_NAMESPACE, NewRun, RunRecord

CACHE_OFF_ENV = "KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT"


def caching_disabled_by_env() -> bool:
    """Kubeflow's switch to turn execution caching off by default."""
    return os.environ.get(CACHE_OFF_ENV, "").strip().lower() in ("1", "true", "yes")


@dataclass(frozen=True)
class RunRequest:
    pipeline: LoadedPipeline
    parameters: dict[str, Any]
    pipeline_root: str | None
    """The root this run asks for; None: its namespace's root (see `run_pipeline_root`)."""
    cache_enabled: bool = True
    display_name: str | None = None
    namespace: str = DEFAULT_NAMESPACE
    experiment_id: str | None = None
    pipeline_version_id: str | None = None
    recurring_run_id: str | None = None
    scheduled_at: datetime | None = None
    run_id: str | None = None


def check_commands(pipeline: LoadedPipeline) -> None:
    """Fail before the run starts when a container's program is not on this machine."""
    executors = pipeline.spec_dict().get("deploymentSpec", {}).get("executors", {})
    found: dict[str, bool] = {}  # every lightweight component runs `sh`: look it up once
    for label, executor in executors.items():
        container = executor.get("container")
        if container is None:
            continue
        argv = [*container.get("command", []), *container.get("args", [])]
        if not argv or "{{" in argv[0]:
            continue
        if argv[0] not in found:
            found[argv[0]] = shutil.which(argv[0]) is not None
        if found[argv[0]]:
            continue
        raise PipelineSpecError(
            f"{pipeline.source}: executor '{label}' runs '{argv[0]}', which is not on this "
            f"machine's PATH",
            f"Headrace runs containers as local processes (image "
            f"'{container.get('image', '')}' is recorded, not pulled): install '{argv[0]}'",
        )


def run_pipeline_root(request: RunRequest, namespaces: NamespaceSettings | None) -> str:
    """Where a new run writes: the root it asks for, else its namespace's override, else the
    global default. The one place that decides, for the CLI, the API and the scheduler."""
    if request.pipeline_root:
        return request.pipeline_root
    if namespaces is None:
        raise ConfigError(
            f"run of pipeline {request.pipeline.name!r} has no pipeline root",
            "give --pipeline-root or set HEADRACE_PIPELINE_ROOT",
        )
    return namespaces.storage_settings_for(request.namespace).pipeline_root


def create_run(
    store: Store, request: RunRequest, namespaces: NamespaceSettings | None = None
) -> RunRecord:
    """Validate everything about a run, then store it as PENDING; nothing is written on error.

    `namespaces` gives the pipeline root of a request that names none.
    """
    parameters = resolve_parameters(request.pipeline.spec, request.parameters)
    root = normalize_root(run_pipeline_root(request, namespaces))
    try:
        scheme_of(root)
    except ValueError as exc:
        raise ConfigError(str(exc), "set --pipeline-root or HEADRACE_PIPELINE_ROOT") from exc
    check_commands(request.pipeline)
    # Runs without an experiment join the namespace's "Default" one, as in Kubeflow.
    experiment_id = request.experiment_id or store.default_experiment(request.namespace).id
    return store.create_run(
        NewRun(
            pipeline_name=request.pipeline.name,
            display_name=request.display_name or request.pipeline.name,
            pipeline_spec=request.pipeline.spec_dict(),
            platform_spec=request.pipeline.platform_dict(),
            pipeline_root=root,
            parameters=parameters,
            namespace=request.namespace,
            cache_enabled=request.cache_enabled,
            experiment_id=experiment_id,
            pipeline_version_id=request.pipeline_version_id,
            recurring_run_id=request.recurring_run_id,
            scheduled_at=request.scheduled_at,
            id=request.run_id,
        )
    )


def check_executor_settings(kind: str, ray_address: str = "") -> None:
    """Fail before a run is stored when the chosen executor cannot work (package, address)."""
    if kind == "ray":
        from headrace.executors.ray_tasks import check_ray_settings

        check_ray_settings(ray_address or None)


def make_executor(
    kind: str, home: Path, log_sink: LogSink | None = None, ray_address: str = ""
) -> Executor:
    """The executor backend a setting names: `warm` (forked from pre-imported processes for
    lightweight Python components, plain processes otherwise), `local` (plain processes) or
    `ray` (one Ray task per attempt on the cluster at `ray_address`; empty: RAY_ADDRESS or a
    Ray started on this machine)."""
    if kind == "ray":
        from headrace.executors.ray_tasks import RayExecutor

        return RayExecutor(home=home, address=ray_address or None, log_sink=log_sink)
    envs = PythonEnvCache(home / "envs")
    if kind == "local":
        return LocalExecutor(log_sink=log_sink, envs=envs)
    if kind == "warm":
        return WarmExecutor(log_sink=log_sink, envs=envs)
    raise ConfigError(f"unknown executor '{kind}'", "use --executor warm, local or ray")


def run_engine(
    store: Store,
    executor: Executor,
    home: Path,
    max_parallel: int,
    listener: EngineListener | None = None,
    storage_for: Callable[[str], StorageSettings] | None = None,
    secrets: Mapping[str, Mapping[str, str]] | None = None,
) -> RunEngine:
    """An engine ready to execute stored runs; `storage_for(namespace)` says where a namespace's
    artifacts and logs go (None: default endpoints); `secrets` are the named secrets tasks may
    read as environment variables."""
    options = EngineOptions(
        home=home, max_parallel=max_parallel, storage_for=storage_for, secrets=secrets or {}
    )
    return RunEngine(store, executor, options, listener)
