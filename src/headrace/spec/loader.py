"""Load a pipeline from a `.py`, `.yaml`/`.yml` or `.json` file into the IR, validated."""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from google.protobuf import json_format
from kfp.pipeline_spec import pipeline_spec_pb2

from headrace.errors import PipelineLoadError, PipelineSpecError
from headrace.spec.pysource import compile_python_pipeline
from headrace.spec.validate import validate

SUPPORTED_SCHEMA_VERSION = "2.1.0"


@dataclass(frozen=True)
class LoadedPipeline:
    """A parsed and validated pipeline IR, with the kfp-kubernetes platform spec if any."""

    spec: pipeline_spec_pb2.PipelineSpec
    platform_spec: pipeline_spec_pb2.PlatformSpec | None
    source: str
    _derived: dict[str, Any] = field(default_factory=dict, init=False, repr=False, compare=False)
    """What spec_dict, platform_dict and deployment computed, shared by copies of this one."""

    @property
    def name(self) -> str:
        """The pipeline's name, as in `pipelineInfo.name`."""
        return str(self.spec.pipeline_info.name)

    def spec_dict(self) -> dict[str, Any]:
        """The PipelineSpec as a camelCase dict, as the compiled YAML spells it.

        Converted once (protobuf's converter costs milliseconds per task in the spec) and
        shared: callers must not change it.
        """
        if "spec" not in self._derived:
            self._derived["spec"] = _to_dict(self.spec)
        found: dict[str, Any] = self._derived["spec"]
        return found

    def platform_dict(self) -> dict[str, Any] | None:
        """The PlatformSpec as a camelCase dict, or None when the pipeline has none (shared)."""
        if "platform" not in self._derived:
            platform = self.platform_spec
            self._derived["platform"] = None if platform is None else _to_dict(platform)
        found: dict[str, Any] | None = self._derived["platform"]
        return found

    def deployment(self) -> pipeline_spec_pb2.PipelineDeploymentConfig:
        """The executors (`deploymentSpec`, a Struct in the IR) as their typed message (shared)."""
        if "deployment" not in self._derived:
            self._derived["deployment"] = json_format.ParseDict(
                self.spec_dict().get("deploymentSpec") or {},
                pipeline_spec_pb2.PipelineDeploymentConfig(),
            )
        found: pipeline_spec_pb2.PipelineDeploymentConfig = self._derived["deployment"]
        return found


def load_pipeline(path: Path, pipeline_name: str | None = None) -> LoadedPipeline:
    """Load a pipeline from a Python file (compiled in-process), YAML or JSON file."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise PipelineLoadError(
            f"{source}: pipeline file not found",
            "pass the path of a .py, .yaml or .json pipeline file",
        )
    suffix = path.suffix.lower()
    if suffix == ".py":
        documents = compile_python_pipeline(path, pipeline_name)
    elif suffix in (".yaml", ".yml"):
        documents = _read_yaml_documents(path)
    elif suffix == ".json":
        documents = [_read_json(path)]
    else:
        raise PipelineLoadError(
            f"{source}: unsupported pipeline file type {suffix or '(none)'!r}",
            "pass a .py file with a @dsl.pipeline function, or a compiled .yaml or .json",
        )
    spec_doc, platform_doc = _split_documents(documents, source)
    return load_pipeline_dicts(spec_doc, platform_doc, source)


def load_pipeline_dicts(
    spec: dict[str, Any], platform_spec: dict[str, Any] | None, source: str
) -> LoadedPipeline:
    """Build a validated LoadedPipeline from the PipelineSpec and PlatformSpec dicts."""
    if not isinstance(spec, dict):
        raise PipelineSpecError(
            f"{source}: the pipeline document is a {type(spec).__name__}, not a PipelineSpec",
            "compile the pipeline with kfp 2.x (kfp.compiler.Compiler)",
        )
    _check_schema_version(spec, source)
    message = pipeline_spec_pb2.PipelineSpec()
    try:
        json_format.ParseDict(spec, message)
    except json_format.ParseError as exc:
        raise PipelineSpecError(
            f"{source}: not a valid PipelineSpec: {_first_line(str(exc))}",
            "compile the pipeline with kfp 2.x; hand edits must keep the IR's field names",
        ) from exc
    platform_message: pipeline_spec_pb2.PlatformSpec | None = None
    if platform_spec:
        platform_message = pipeline_spec_pb2.PlatformSpec()
        try:
            json_format.ParseDict(platform_spec, platform_message, ignore_unknown_fields=False)
        except json_format.ParseError as exc:
            raise PipelineSpecError(
                f"{source}: not a valid platform spec: {_first_line(str(exc))}",
                "the second document must be the kfp-kubernetes {platforms: {kubernetes: ...}}",
            ) from exc
    validate(message, source)
    return LoadedPipeline(spec=message, platform_spec=platform_message, source=source)


def load_stored_pipeline(
    spec: dict[str, Any], platform_spec: dict[str, Any] | None, source: str
) -> LoadedPipeline:
    """load_pipeline_dicts for a spec Headrace stored (a run's), parsed once per content.

    Every run of a pipeline stores the same spec; parsing and validating it costs about 10 ms
    for 30 tasks, hashing it under 1 ms. The parsed messages are shared: callers must not
    change them.
    """
    text = json.dumps([spec, platform_spec], sort_keys=True, separators=(",", ":"))
    key = hashlib.sha256(text.encode()).hexdigest()
    with _STORED_LOCK:
        known = _STORED.get(key)
        if known is not None:
            _STORED.move_to_end(key)
    if known is None:
        known = load_pipeline_dicts(spec, platform_spec, source)
        # Stored from spec_dict() when the run was created: the same dict, not converted again.
        known._derived["spec"] = spec
        with _STORED_LOCK:
            _STORED[key] = known
            while len(_STORED) > _STORED_KEPT:
                _STORED.popitem(last=False)
    loaded = LoadedPipeline(known.spec, known.platform_spec, source)
    object.__setattr__(loaded, "_derived", known._derived)
    return loaded


_STORED: OrderedDict[str, LoadedPipeline] = OrderedDict()
_STORED_LOCK = threading.Lock()
_STORED_KEPT = 16


def _to_dict(message: Any) -> dict[str, Any]:
    result: dict[str, Any] = json_format.MessageToDict(message)
    return result


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else text


def _check_schema_version(spec: dict[str, Any], source: str) -> None:
    found = spec.get("schemaVersion")
    if found != SUPPORTED_SCHEMA_VERSION:
        shown = "none" if found is None else repr(found)
        raise PipelineSpecError(
            f"{source}: schemaVersion {shown} is not supported",
            f"Headrace runs IR schema {SUPPORTED_SCHEMA_VERSION} as compiled by kfp 2.x; "
            "recompile the pipeline with kfp 2.x",
        )


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise PipelineLoadError(f"{path}: cannot read the file: {exc}") from exc


def _read_yaml_documents(path: Path) -> list[Any]:
    try:
        documents = [d for d in yaml.safe_load_all(_read_text(path)) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PipelineLoadError(
            f"{path}: malformed YAML{where}: {problem}", "fix the YAML syntax"
        ) from exc
    return documents


def _read_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise PipelineLoadError(
            f"{path}: malformed JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
            "fix the JSON syntax",
        ) from exc


def _split_documents(
    documents: list[Any], source: str
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    if not documents:
        raise PipelineSpecError(f"{source}: the file is empty", "pass a compiled pipeline")
    if len(documents) > 2:
        raise PipelineSpecError(
            f"{source}: {len(documents)} YAML documents found; expected the PipelineSpec "
            "and at most one platform spec",
            "pass the YAML written by kfp.compiler.Compiler",
        )
    spec = documents[0]
    platform = documents[1] if len(documents) == 2 else None
    if platform is not None and (not isinstance(platform, dict) or "platforms" not in platform):
        raise PipelineSpecError(
            f"{source}: the second YAML document is not a platform spec",
            "it must be the kfp-kubernetes document {platforms: {kubernetes: ...}}",
        )
    if isinstance(spec, dict) and "platforms" in spec and "schemaVersion" not in spec:
        raise PipelineSpecError(
            f"{source}: the first YAML document is a platform spec, not a PipelineSpec",
            "the PipelineSpec must come first, as kfp.compiler.Compiler writes it",
        )
    return spec, platform
