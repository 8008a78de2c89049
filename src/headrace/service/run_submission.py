"""Create runs the way the v2beta1 API does: from an inline spec or a stored pipeline version."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from headrace.errors import ConfigError, InvalidArgumentError
from headrace.service import _store_gaps
from headrace.service.pipelines import load_spec_object
from headrace.service.runs import caching_disabled_by_env, check_commands
from headrace.service.runtime_placeholders import expand_parameters
from headrace.spec.loader import LoadedPipeline, load_pipeline_dicts
from headrace.spec.params import resolve_parameters
from headrace.storage.layout import normalize_root
from headrace.store import Store
from headrace.store.records import DEFAULT_NAMESPACE, NewRun, PipelineVersionRecord, RunRecord

RUN_UUID = "[[RunUUID]]"


@dataclass(frozen=True)
class RunSubmission:
    """A run to create. The source is `pipeline_spec` XOR a pipeline and/or version id."""

    display_name: str
    namespace: str | None = None
    experiment_id: str | None = None
    pipeline_spec: dict[str, Any] | None = None
    pipeline_id: str | None = None
    pipeline_version_id: str | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    pipeline_root: str | None = None
    # Set by the scheduler for the runs of a recurring run.
    recurring_run_id: str | None = None
    scheduled_at: datetime | None = None
    index: int | None = None


@dataclass(frozen=True)
class ResolvedSource:
    pipeline: LoadedPipeline
    version: PipelineVersionRecord | None


def resolve_source(store: Store, submission: RunSubmission) -> ResolvedSource:
    """The pipeline to run: inline, a pinned version, or the pipeline's latest version."""
    by_reference = submission.pipeline_id or submission.pipeline_version_id
    if (submission.pipeline_spec is not None) == bool(by_reference):
        raise InvalidArgumentError(
            f"run {submission.display_name!r} needs exactly one pipeline source",
            "give pipeline_spec, or pipeline_version_reference with a pipeline_id "
            "(and optionally a pipeline_version_id)",
        )
    if submission.pipeline_spec is not None:
        return ResolvedSource(load_spec_object(submission.pipeline_spec, "pipeline_spec"), None)
    if submission.pipeline_version_id:
        version = store.get_pipeline_version(submission.pipeline_version_id)
        if submission.pipeline_id and submission.pipeline_id != version.pipeline_id:
            raise InvalidArgumentError(
                f"pipeline version {version.id!r} is not a version of pipeline "
                f"{submission.pipeline_id!r}",
                "check pipeline_version_reference",
            )
    else:
        assert submission.pipeline_id is not None
        version = store.latest_pipeline_version(submission.pipeline_id)
    source = f"pipeline version {version.display_name!r} ({version.id})"
    loaded = load_pipeline_dicts(version.pipeline_spec, version.platform_spec, source)
    return ResolvedSource(loaded, version)


def submit_run(store: Store, submission: RunSubmission, default_pipeline_root: str) -> RunRecord:
    """Validate a run and store it PENDING for a worker; nothing is stored when it is invalid.

    Without an experiment the run joins its namespace's "Default" experiment, as in Kubeflow.
    """
    source = resolve_source(store, submission)
    if submission.experiment_id:
        experiment = store.get_experiment(submission.experiment_id)
        namespace = experiment.namespace
        if submission.namespace and submission.namespace != namespace:
            raise InvalidArgumentError(
                f"experiment {experiment.id!r} is in namespace {namespace!r}, "
                f"not {submission.namespace!r}"
            )
    else:
        namespace = submission.namespace or DEFAULT_NAMESPACE
    now = datetime.now(UTC)
    # [[RunUUID]] stays until the run has its id.
    given = expand_parameters(
        submission.parameters,
        scheduled=submission.scheduled_at or now,
        now=now,
        index=submission.index,
    )
    parameters = resolve_parameters(source.pipeline.spec, given)
    root = _local_root(submission.pipeline_root or default_pipeline_root)
    check_commands(source.pipeline)
    experiment_id = submission.experiment_id or store.default_experiment(namespace).id
    record = store.create_run(
        NewRun(
            pipeline_name=source.pipeline.name,
            display_name=submission.display_name or source.pipeline.name,
            pipeline_spec=source.pipeline.spec_dict(),
            platform_spec=source.pipeline.platform_dict(),
            pipeline_root=root,
            parameters=parameters,
            namespace=namespace,
            experiment_id=experiment_id,
            pipeline_version_id=None if source.version is None else source.version.id,
            cache_enabled=not caching_disabled_by_env(),
            recurring_run_id=submission.recurring_run_id,
            scheduled_at=submission.scheduled_at,
        )
    )
    if _mentions_run_uuid(parameters):
        expanded = _replace_run_uuid(parameters, record.id)
        _store_gaps.set_run_parameters(store, record.id, expanded)
        record = store.get_run(record.id)
    return record


def _mentions_run_uuid(values: dict[str, Any]) -> bool:
    return any(isinstance(v, str) and RUN_UUID in v for v in values.values())


def _replace_run_uuid(values: dict[str, Any], run_id: str) -> dict[str, Any]:
    return {k: v.replace(RUN_UUID, run_id) if isinstance(v, str) else v for k, v in values.items()}


def _local_root(pipeline_root: str) -> str:
    root = normalize_root(pipeline_root)
    if "://" in root:
        raise ConfigError(
            f"pipeline root {pipeline_root!r} is not a local directory",
            "object-store roots are not supported yet; use a local path or file:// URI",
        )
    return root
