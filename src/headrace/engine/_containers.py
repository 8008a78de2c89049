"""Leaf tasks: cache lookups, building executor_input, launching attempts, recording outputs."""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from google.protobuf import json_format

from headrace.engine._inputs import display_name, parameter_types
from headrace.engine._nodes import ArtifactRef, Node
from headrace.errors import PipelineSpecError
from headrace.executors.base import AttemptHandle, AttemptOutcome, AttemptSpec, Transfer
from headrace.spec.fingerprint import cache_fingerprint
from headrace.spec.loader import LoadedPipeline
from headrace.spec.placeholders import (
    PipelineContext,
    program_view,
    resolve_arguments,
    resolve_string,
)
from headrace.spec.placement import Placement, placement_for, secret_env
from headrace.spec.resources import Resources, parse_resources
from headrace.states import TaskKind
from headrace.storage.layout import RunLayout, normalize_root, staged_path
from headrace.storage.settings import is_remote
from headrace.store import Store
from headrace.store.records import NewArtifact, RunRecord, TaskUpdate


@dataclass
class Launch:
    """An attempt as the engine tracks it: recorded first, then started (`handle` set)."""

    attempt_id: str
    weight: int
    spec: AttemptSpec
    handle: AttemptHandle | None = None


_CONTEXT_PLACEHOLDER = re.compile(r"\{\{\$\.(?:pipeline_[a-z_]+|workspace_path)\}\}")


def _iso(value: Any) -> str:
    return str(value.isoformat().replace("+00:00", "Z"))


class ContainerLauncher:
    """Turns a ready leaf task into an executor attempt, and its outcome into stored outputs."""

    def __init__(
        self,
        store: Store,
        run: RunRecord,
        pipeline: LoadedPipeline,
        layout: RunLayout,
        write_task: Callable[[str, TaskUpdate], None],
        secrets: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self._store = store
        self._secrets = secrets or {}
        self._write_task = write_task
        self._run = run
        self._spec = pipeline.spec
        self._deploy = pipeline.deployment()
        self._layout = layout
        self._created = _iso(run.created_at)
        self._resources: dict[Node, Resources] = {}
        # What does not change from one task of a component to the next, read once.
        self._resource_specs: dict[str, dict[str, Any]] = {}
        self._placements: dict[str, Placement] = {}
        self._output_types: dict[str, dict[str, str]] = {}

    def _component(self, node: Node) -> Any:
        return self._spec.components[node.component_name]

    def _executor_spec(self, node: Node) -> Any:
        return self._deploy.executors[self._component(node).executor_label]

    def _resource_spec(self, label: str) -> dict[str, Any]:
        """The part of a container executor's spec that `parse_resources` reads, as a dict."""
        if label not in self._resource_specs:
            container = self._deploy.executors[label].container
            self._resource_specs[label] = (
                {"resources": json_format.MessageToDict(container.resources)}
                if container.HasField("resources")
                else {}
            )
        return self._resource_specs[label]

    def _placement(self, label: str) -> Placement:
        if label not in self._placements:
            self._placements[label] = placement_for(self._run.platform_spec, label)
        return self._placements[label]

    def _output_parameter_types(self, node: Node) -> dict[str, str]:
        name = node.component_name
        if name not in self._output_types:
            outputs = self._component(node).output_definitions
            self._output_types[name] = parameter_types(outputs)
        return self._output_types[name]

    def _task_resources(self, node: Node) -> Resources:
        """A task's resources (its inputs may set them), read once for all its attempts."""
        if node not in self._resources:
            label = self._component(node).executor_label
            self._resources[node] = parse_resources(self._resource_spec(label), node.params)
        return self._resources[node]

    def executor_kind(self, label: str) -> TaskKind:
        executor = self._deploy.executors[label]
        kind = executor.WhichOneof("spec")
        if kind == "importer":
            return TaskKind.IMPORTER
        if kind == "container":
            return TaskKind.CONTAINER
        raise PipelineSpecError(
            f"executor '{label}' is a {kind} executor, which Headrace does not run",
            "use container components, lightweight Python components or dsl.importer",
        )

    def weight(self, node: Node, budget: int) -> int:
        """How many of the `--max-parallel` slots a task takes: its CPU request, at least one."""
        cpu = self._task_resources(node).cpu or 1.0
        return max(1, min(budget, math.ceil(cpu)))

    # ---- cache ------------------------------------------------------------------------------

    def cache_lookup(
        self, node: Node
    ) -> tuple[dict[str, Any], dict[str, list[ArtifactRef]]] | None:
        """Reuse the outputs of an earlier identical execution, when caching is on for the task."""
        options = node.task_spec.caching_options
        if not self._run.cache_enabled or not options.enable_cache:
            return None
        container = self._executor_spec(node).container
        fingerprint = cache_fingerprint(
            component_name=node.task_spec.component_ref.name,
            image=container.image,
            command=list(container.command),
            args=list(container.args),
            input_parameters=node.params,
            input_artifacts={k: [a.id for a in refs] for k, refs in node.artifacts.items()},
            output_definitions=json_format.MessageToDict(self._component(node).output_definitions),
            cache_key=options.cache_key or None,
        )
        hit = self._store.find_cache_hit(fingerprint, self._run.pipeline_name, self._run.namespace)
        self._write_task(
            node.task_id,
            TaskUpdate(
                cache_fingerprint=fingerprint,
                cached_from_task_id=hit.id if hit is not None else None,
            ),
        )
        if hit is None:
            return None
        artifacts: dict[str, list[ArtifactRef]] = {}
        for event in self._store.task_events(hit.id, "OUTPUT"):
            a = event.artifact
            artifacts.setdefault(event.key, []).append(
                ArtifactRef(a.id, a.name, a.uri, a.schema_title, a.schema_version, a.metadata)
            )
        return dict(hit.outputs), artifacts

    # ---- attempts ---------------------------------------------------------------------------

    def _executor_input(self, node: Node, attempt_dir: str) -> dict[str, Any]:
        # Paths as strings: pathlib costs more than the rest of the dict. The executor creates
        # the directories of the output files (it does so wherever the attempt runs).
        component = self._component(node)
        execution = uuid.uuid4().hex[:12]
        # Beside `work/` in the attempt's directory, not in a directory of their own: one mkdir
        # (and one rmdir) less per attempt. The suffix keeps them apart from the other entries.
        out_params = {
            name: {"outputFile": f"{attempt_dir}/{name}.out"}
            for name in component.output_definitions.parameters
        }
        out_artifacts: dict[str, Any] = {}
        for name, definition in component.output_definitions.artifacts.items():
            out_artifacts[name] = {
                "artifacts": [
                    {
                        "name": name,
                        "type": {
                            "schemaTitle": definition.artifact_type.schema_title,
                            "schemaVersion": definition.artifact_type.schema_version or "0.0.1",
                        },
                        "uri": self._layout.output_uri(node.path, execution, name),
                        "metadata": {},
                    }
                ]
            }
        return {
            "inputs": {
                "parameterValues": node.params,
                "artifacts": {
                    name: {"artifacts": [ref.executor_form() for ref in refs]}
                    for name, refs in node.artifacts.items()
                },
            },
            "outputs": {
                "parameters": out_params,
                "artifacts": out_artifacts,
                "outputFile": f"{attempt_dir}/executor_output.json",
            },
        }

    def _context(self, node: Node, staged: dict[str, str] | None = None) -> PipelineContext:
        created = self._created
        return PipelineContext(
            job_name=self._run.display_name,
            job_resource_name=self._run.id,
            job_uuid=self._run.id,
            task_name=display_name(node),
            task_uuid=node.task_id,
            create_time_utc=created,
            schedule_time_utc=created,
            pipeline_root=self._layout.pipeline_root,
            staged_paths=staged or {},
        )

    def fill_context(self, node: Node) -> None:
        """Resolve `{{$.pipeline_job_name}}` and its kin in string parameter values.

        Kubeflow's driver does this for input values, so a component parameter defaulting to
        `dsl.PIPELINE_JOB_NAME_PLACEHOLDER` receives the run's name.
        """
        if not any(isinstance(v, str) and "{{$." in v for v in node.params.values()):
            return  # the common case, without building the context
        ctx = self._context(node)
        for name, value in node.params.items():
            if isinstance(value, str) and "{{$." in value:
                node.params[name] = _CONTEXT_PLACEHOLDER.sub(
                    lambda m: resolve_string(m.group(0), {}, ctx), value
                )

    def prepare(self, node: Node, weight: int) -> Launch:
        """Record the next attempt of a container task; the engine starts it once committed."""
        attempt = node.attempts
        label = self._component(node).executor_label
        container = self._deploy.executors[label].container
        placement = self._placement(label)
        secret_vars = secret_env(node.path, placement.env_from, self._secrets)
        attempt_dir = self._layout.attempt_dir(node.task_id, attempt)
        executor_input = self._executor_input(node, str(attempt_dir))
        downloads, uploads = _transfers(
            executor_input, lambda: self._layout.mount_root(node.task_id, attempt)
        )
        staged = {t.uri: str(t.local) for t in (*downloads, *uploads)}
        ctx = self._context(node, staged)
        argv = resolve_arguments([*container.command, *container.args], executor_input, ctx)
        env = {e.name: resolve_string(e.value, executor_input, ctx) for e in container.env}
        env.update(secret_vars)
        env["KFP_RETRY_INDEX"] = str(attempt)
        log_path = self._layout.log_path(node.task_id, attempt)
        log_uri = self._layout.log_archive_uri(node.path, node.task_id, attempt)
        record = self._store.create_attempt(
            node.task_id, self._run.id, attempt, str(log_path), log_uri=log_uri
        )
        self._write_task(
            node.task_id,
            TaskUpdate(image=container.image, command=argv, attempt_count=attempt + 1),
        )
        spec = AttemptSpec(
            run_id=self._run.id,
            task_id=node.task_id,
            task_path=node.path,
            attempt_number=attempt,
            image=container.image,
            argv=argv,
            env=env,
            workdir=attempt_dir / "work",
            log_path=log_path,
            executor_input=program_view(executor_input, staged),
            output_parameter_types=self._output_parameter_types(node),
            resources=self._task_resources(node),
            storage=self._layout.storage,
            downloads=downloads,
            uploads=uploads,
            log_archive_uri=log_uri,
            placement=placement,
            scratch=attempt_dir,
        )
        return Launch(record.id, weight, spec)

    def record_outputs(
        self, node: Node, launch: Launch, outcome: AttemptOutcome
    ) -> tuple[dict[str, Any], dict[str, list[ArtifactRef]]]:
        """Store the artifacts an attempt produced; return its parameters and artifacts."""
        definitions = self._component(node).output_definitions.artifacts
        refs: dict[str, list[ArtifactRef]] = {}
        for name, produced in outcome.output_artifacts.items():
            if name not in definitions:
                continue
            schema = definitions[name].artifact_type
            for art in produced:
                record = self._store.create_artifact(
                    NewArtifact(
                        run_id=self._run.id,
                        name=name,
                        uri=art.uri,
                        schema_title=schema.schema_title,
                        schema_version=schema.schema_version or "0.0.1",
                        metadata=art.metadata,
                        producer_task_id=node.task_id,
                    )
                )
                refs.setdefault(name, []).append(_ref(record))
        return dict(outcome.output_parameters), refs

    def import_artifact(self, node: Node) -> ArtifactRef:
        """Run a `dsl.importer` task: register the artifact at the given URI."""
        importer = self._executor_spec(node).importer
        source = importer.artifact_uri
        if source.WhichOneof("value") == "runtime_parameter":
            uri = node.params.get(source.runtime_parameter)
        else:
            uri = json_format.MessageToDict(source.constant) or source.constant_value.string_value
        if not isinstance(uri, str) or not uri:
            raise PipelineSpecError(f"importer '{node.path}': no artifact URI was given")
        metadata = json_format.MessageToDict(importer.metadata)
        executor_input = {"inputs": {"parameterValues": node.params}}
        ctx = self._context(node)
        metadata = {
            k: resolve_string(v, executor_input, ctx) if isinstance(v, str) else v
            for k, v in metadata.items()
        }
        local = normalize_root(uri) if uri.startswith("file://") else uri
        schema = importer.type_schema
        title = schema.schema_title or "system.Artifact"
        if not importer.reimport:
            earlier = self._earlier_import(local, title)
            if earlier is not None:
                return earlier
        record = self._store.create_artifact(
            NewArtifact(
                run_id=self._run.id,
                name="artifact",
                uri=local,
                schema_title=title,
                schema_version=schema.schema_version or "0.0.1",
                metadata=metadata,
                producer_task_id=node.task_id,
            )
        )
        return _ref(record)

    def _earlier_import(self, uri: str, schema_title: str) -> ArtifactRef | None:
        """With `reimport=False`, Kubeflow reuses the artifact already registered for the URI.

        Reusing its identity is what lets the tasks that read it hit the cache in later runs.
        """
        found = self._store.find_artifact_by_uri(uri, schema_title)
        return _ref(found) if found is not None else None


def _transfers(
    executor_input: dict[str, Any], mount_root: Callable[[], Path]
) -> tuple[tuple[Transfer, ...], tuple[Transfer, ...]]:
    """The object-store artifacts an attempt stages (inputs) and uploads (outputs).

    `mount_root` is asked for only when there are some: most tasks have none, and the path
    costs as much as the rest of this.
    """
    found: list[tuple[Transfer, ...]] = []
    for direction in ("inputs", "outputs"):
        transfers: dict[str, Transfer] = {}
        for entry in (executor_input.get(direction, {}).get("artifacts") or {}).values():
            for artifact in (entry or {}).get("artifacts") or []:
                uri = str(artifact.get("uri") or "")
                if is_remote(uri) and uri not in transfers:
                    transfers[uri] = Transfer(uri, staged_path(uri, mount_root()))
        found.append(tuple(transfers.values()))
    return found[0], found[1]


def _ref(record: Any) -> ArtifactRef:
    return ArtifactRef(
        record.id,
        record.name,
        record.uri,
        record.schema_title,
        record.schema_version,
        record.metadata,
    )
