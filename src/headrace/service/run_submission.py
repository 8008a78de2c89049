"""Create runs the way the v2beta1 API does: from an inline spec or a stored pipeline version."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from headrace.errors import InvalidArgumentError
from headrace.service.namespaces import NamespaceSettings
from headrace.service.pipelines import load_spec_object
from headrace.service.runs import RunRequest, caching_disabled_by_env, create_run
from headrace.service.runtime_placeholders import expand_parameters
from headrace.spec.loader import LoadedPipeline, load_pipeline_dicts
from headrace.store import Store
from headrace.store.records import DEFAULT_NAMESPACE, PipelineVersionRecord, RunRecord


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


def submit_run(store: Store, submission: RunSubmission, namespaces: NamespaceSettings) -> RunRecord:
    """Validate a run and store it PENDING for a worker; nothing is stored when it is invalid.

    Without an experiment the run joins its namespace's "Default" experiment, as in Kubeflow.
    Without a pipeline root it writes to its namespace's root (`namespaces`).
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
    run_id = str(uuid.uuid4())  # chosen here so that [[RunUUID]] can name it
    given = expand_parameters(
        submission.parameters,
        scheduled=submission.scheduled_at or now,
        now=now,
        index=submission.index,
        run_id=run_id,
    )
    return create_run(
        store,
        RunRequest(
            pipeline=source.pipeline,
            parameters=given,
            pipeline_root=submission.pipeline_root or None,
            cache_enabled=not caching_disabled_by_env(),
            display_name=submission.display_name or None,
            namespace=namespace,
            experiment_id=submission.experiment_id,
            pipeline_version_id=None if source.version is None else source.version.id,
            recurring_run_id=submission.recurring_run_id,
            scheduled_at=submission.scheduled_at,
            run_id=run_id,
        ),
        namespaces,
    )
