"""Use cases around pipelines and versions: read an uploaded package, validate it, store it."""

from __future__ import annotations

import io
import json
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import yaml

from headrace.errors import InvalidArgumentError, PipelineLoadError, PipelineSpecError
from headrace.spec.loader import LoadedPipeline, load_pipeline_dicts
from headrace.store import Store
from headrace.store.records import PipelineRecord, PipelineVersionRecord

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"


def load_package(data: bytes, source: str) -> LoadedPipeline:
    """Validate an uploaded package: YAML (IR and optional platform spec), JSON, .tar.gz or .zip."""
    if not data.strip():
        raise PipelineLoadError(
            f"{source}: the uploaded file is empty", "upload a compiled pipeline"
        )
    if data.startswith(_GZIP_MAGIC):
        data = _from_tar(data, source)
    elif data.startswith(_ZIP_MAGIC):
        data = _from_zip(data, source)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PipelineLoadError(
            f"{source}: the uploaded file is not UTF-8 text", "upload the compiled YAML or JSON"
        ) from exc
    documents = _parse_documents(text, source)
    spec, platform = _split(documents, source)
    return load_pipeline_dicts(spec, platform, source)


def load_spec_object(document: Any, source: str) -> LoadedPipeline:
    """Validate a JSON spec: the bare IR, or `{"pipeline_spec": IR, "platform_spec": ...}`."""
    if not isinstance(document, dict):
        raise PipelineSpecError(f"{source}: the pipeline spec must be a JSON object")
    if "pipeline_spec" in document and "schemaVersion" not in document:
        unknown = set(document) - {"pipeline_spec", "platform_spec"}
        if unknown:
            raise InvalidArgumentError(
                f"{source}: unknown field(s) {', '.join(sorted(unknown))} next to pipeline_spec",
                "give the IR, or an object with only pipeline_spec and platform_spec",
            )
        platform = document.get("platform_spec") or None
        return load_pipeline_dicts(document["pipeline_spec"], platform, source)
    return load_pipeline_dicts(document, None, source)


def spec_object(spec: dict[str, Any], platform_spec: dict[str, Any] | None) -> dict[str, Any]:
    """What the API returns as `pipeline_spec`: the IR, wrapped with a platform spec if any."""
    if platform_spec:
        return {"pipeline_spec": spec, "platform_spec": platform_spec}
    return spec


@dataclass(frozen=True)
class NewPipeline:
    namespace: str
    display_name: str | None
    description: str = ""
    version_display_name: str | None = None
    version_description: str | None = None


def create_pipeline_with_version(
    store: Store, new: NewPipeline, pipeline: LoadedPipeline
) -> tuple[PipelineRecord, PipelineVersionRecord]:
    """Store a pipeline and its first version (named like the pipeline unless told)."""
    name = _name(new.display_name, pipeline.name, "pipeline")
    return store.create_pipeline_with_version(
        new.namespace,
        name,
        new.description,
        pipeline.spec_dict(),
        pipeline.platform_dict(),
        version_display_name=new.version_display_name or name,
        version_description=new.version_description,
    )


def create_version(
    store: Store,
    pipeline_id: str,
    display_name: str | None,
    description: str,
    pipeline: LoadedPipeline,
) -> PipelineVersionRecord:
    """Store a new version of a pipeline; without a name it is named after its upload time."""
    store.get_pipeline(pipeline_id)
    stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
    name = display_name or f"{pipeline.name}-{stamp}"
    return store.create_pipeline_version(
        pipeline_id, name, description, pipeline.spec_dict(), pipeline.platform_dict()
    )


def _name(given: str | None, fallback: str, what: str) -> str:
    name = (given or "").strip() or fallback
    if not name:
        raise InvalidArgumentError(f"the {what} has no name", f"give the {what} a display_name")
    return name


def _parse_documents(text: str, source: str) -> list[Any]:
    if text.lstrip().startswith("{"):
        try:
            return [json.loads(text)]
        except json.JSONDecodeError:
            pass  # YAML flow style can start with "{" too
    try:
        return [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise PipelineLoadError(
            f"{source}: malformed YAML{where}: {problem}", "upload the YAML kfp compiled"
        ) from exc


def _split(documents: list[Any], source: str) -> tuple[Any, dict[str, Any] | None]:
    if not documents:
        raise PipelineLoadError(f"{source}: the uploaded file is empty")
    if len(documents) > 2:
        raise PipelineSpecError(
            f"{source}: {len(documents)} YAML documents found; expected the PipelineSpec and at "
            "most one platform spec",
            "upload the YAML written by kfp.compiler.Compiler",
        )
    platform = documents[1] if len(documents) == 2 else None
    if platform is not None and (not isinstance(platform, dict) or "platforms" not in platform):
        raise PipelineSpecError(
            f"{source}: the second YAML document is not a platform spec",
            "it must be the kfp-kubernetes document {platforms: {kubernetes: ...}}",
        )
    return documents[0], platform


def _choose(names: list[str], source: str) -> str:
    candidates = [n for n in names if n.endswith((".yaml", ".yml", ".json"))]
    if "pipeline.yaml" in candidates:
        return "pipeline.yaml"
    if len(candidates) != 1:
        raise PipelineLoadError(
            f"{source}: the archive holds {len(candidates)} pipeline files",
            "put exactly one .yaml file (or pipeline.yaml) in the archive",
        )
    return candidates[0]


def _from_tar(data: bytes, source: str) -> bytes:
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as tar:
            members = {m.name: m for m in tar.getmembers() if m.isfile()}
            extracted = tar.extractfile(members[_choose(list(members), source)])
            assert extracted is not None
            return extracted.read()
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise PipelineLoadError(f"{source}: not a readable .tar.gz archive: {exc}") from exc


def _from_zip(data: bytes, source: str) -> bytes:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return archive.read(_choose(archive.namelist(), source))
    except (zipfile.BadZipFile, OSError, KeyError) as exc:
        raise PipelineLoadError(f"{source}: not a readable .zip archive: {exc}") from exc
