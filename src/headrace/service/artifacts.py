"""Artifacts for the API: metadata with lineage, a file's bytes, a directory's entries.

Each artifact is read with the storage settings of its namespace (the namespace of the run that
produced it), and is visible only in that namespace.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass

from headrace.errors import NotFoundError
from headrace.service.namespaces import NamespaceSettings
from headrace.storage import artifacts as storage_artifacts
from headrace.storage.artifacts import ArtifactEntry, ArtifactFile, Listing
from headrace.storage.settings import StorageSettings
from headrace.store import Store
from headrace.store.records import ArtifactLink, ArtifactRecord

# Types KFP writes to a file without an extension (`.../markdown_artifact`).
_TYPES_BY_SCHEMA = {
    "system.Markdown": "text/markdown; charset=utf-8",
    "system.HTML": "text/html; charset=utf-8",
}


@dataclass(frozen=True)
class ArtifactDetails:
    artifact: ArtifactRecord
    namespace: str
    producer: ArtifactLink | None
    consumers: list[ArtifactLink]
    content: ArtifactEntry | None
    """What is stored at the URI; None for a metadata-only artifact or a missing output."""


@dataclass(frozen=True)
class ArtifactContent:
    file: ArtifactFile
    content_type: str


def content_type(name: str, schema_title: str) -> str:
    """The media type of a file: from its name, else from the artifact type, else bytes."""
    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed is not None:
        if guessed.startswith("text/"):
            guessed += "; charset=utf-8"
        return guessed
    return _TYPES_BY_SCHEMA.get(schema_title, "application/octet-stream")


class Artifacts:
    """Reads artifacts, scoped to their namespace; 404 for one outside the namespace asked."""

    def __init__(self, store: Store, namespaces: NamespaceSettings) -> None:
        self._store = store
        self._namespaces = namespaces

    def _find(
        self, artifact_id: str, namespace: str | None
    ) -> tuple[ArtifactRecord, str, list[ArtifactLink]]:
        artifact = self._store.get_artifact(artifact_id)
        links = self._store.artifact_links(artifact_id)
        if artifact.run_id is not None:
            owner = self._store.get_run(artifact.run_id).namespace
        elif links:  # its run is deleted; the runs that reuse it (cache hits) keep it
            owner = links[0].namespace
        else:
            raise NotFoundError(f"artifact {artifact_id!r} not found")
        if namespace and namespace != owner:
            # The same answer as for an unknown id: existence is not leaked across namespaces.
            raise NotFoundError(f"artifact {artifact_id!r} not found")
        return artifact, owner, links

    def _storage(self, namespace: str) -> StorageSettings:
        return self._namespaces.storage_settings_for(namespace)

    def details(self, artifact_id: str, namespace: str | None = None) -> ArtifactDetails:
        """The artifact's record, who produced and consumed it, and what is stored."""
        artifact, owner, links = self._find(artifact_id, namespace)
        outputs = [link for link in links if link.direction == "OUTPUT"]
        producer = next(
            (link for link in outputs if link.task_id == artifact.producer_task_id),
            outputs[0] if outputs else None,
        )
        consumers = [link for link in links if link.direction == "INPUT"]
        content = storage_artifacts.stat(artifact.uri, self._storage(owner))
        return ArtifactDetails(artifact, owner, producer, consumers, content)

    def open(
        self, artifact_id: str, path: str | None = None, namespace: str | None = None
    ) -> ArtifactContent:
        """The file artifact, or the file `path` inside a directory artifact."""
        artifact, owner, _ = self._find(artifact_id, namespace)
        file = storage_artifacts.open_file(artifact.uri, self._storage(owner), path)
        # The artifact's type says what the artifact is, not what the files inside it are.
        schema_title = "" if file.path else artifact.schema_title
        return ArtifactContent(file, content_type(file.name, schema_title))

    def files(
        self,
        artifact_id: str,
        path: str | None = None,
        namespace: str | None = None,
        *,
        recursive: bool = False,
    ) -> Listing:
        """The entries of a directory artifact (or of a directory inside it)."""
        artifact, owner, _ = self._find(artifact_id, namespace)
        return storage_artifacts.list_files(
            artifact.uri, self._storage(owner), path, recursive=recursive
        )
