"""Read an artifact's bytes and list a directory artifact, never reaching outside the artifact.

Paths inside an artifact are relative (`weights/w.bin`). A path with `..`, a leading `/` or a
backslash is refused before any store is asked; on a local root a path whose real location
(symlinks resolved) is outside the artifact is refused too, and such entries are not listed.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import fsspec
from fsspec.implementations.local import LocalFileSystem

from headrace.errors import HeadraceError, InvalidArgumentError, NotFoundError, StorageError
from headrace.storage.filesystems import filesystem_for, storage_errors
from headrace.storage.settings import StorageSettings

CHUNK_BYTES = 1024 * 1024
MAX_LISTED = 10_000
"""Entries one listing returns at most (a symlink loop or a huge tree stops here)."""


@dataclass(frozen=True)
class ArtifactEntry:
    """A file or directory of an artifact; `path` is relative to the artifact ("" is itself)."""

    path: str
    is_dir: bool
    size_bytes: int | None


@dataclass(frozen=True)
class Listing:
    entries: list[ArtifactEntry]
    truncated: bool


def relative_path(path: str | None) -> str:
    """`path` as clean `a/b` segments inside an artifact; InvalidArgumentError when it escapes."""
    if not path:
        return ""
    if path.startswith("/") or "\\" in path or "\x00" in path:
        raise InvalidArgumentError(
            f"path {path!r} is not a relative path inside the artifact",
            "give a path relative to the artifact, with / between segments",
        )
    parts = [p for p in path.split("/") if p not in ("", ".")]
    if ".." in parts:
        raise InvalidArgumentError(
            f"path {path!r} leads outside the artifact ('..' is not allowed)",
            "give a path relative to the artifact without '..'",
        )
    return "/".join(parts)


@dataclass(frozen=True)
class _Located:
    uri: str
    fs: fsspec.AbstractFileSystem
    root: str
    target: str
    rel: str

    @property
    def local(self) -> bool:
        return isinstance(self.fs, LocalFileSystem)

    def inside(self, path: str) -> bool:
        """Whether `path` really lies in the artifact (local symlinks resolved)."""
        if not self.local:
            return True
        real_root = os.path.realpath(self.root)
        real = os.path.realpath(path)
        return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)

    def relative(self, name: str) -> str:
        name = name.rstrip("/")
        if name == self.root:
            return ""
        return name.removeprefix(self.root + "/")


def _locate(uri: str, path: str | None, settings: StorageSettings) -> _Located:
    rel = relative_path(path)
    try:
        fs, root = filesystem_for(uri, settings)
    except ValueError as exc:
        raise StorageError(
            f"artifact URI {uri!r} is not in a store Headrace reads",
            "only file://, s3://, minio:// and gs:// artifacts can be read",
        ) from exc
    if isinstance(fs, LocalFileSystem):
        root = os.path.abspath(root)
    root = root.rstrip("/") or "/"
    located = _Located(uri, fs, root, f"{root}/{rel}" if rel else root, rel)
    if not located.inside(located.target):
        raise InvalidArgumentError(
            f"path {path!r} leads outside the artifact (a symlink points elsewhere)",
            "only files inside the artifact can be read",
        )
    return located


def _entry(located: _Located, info: dict[str, Any]) -> ArtifactEntry:
    is_dir = info.get("type") == "directory"
    size = info.get("size")
    return ArtifactEntry(
        path=located.relative(str(info["name"])),
        is_dir=is_dir,
        size_bytes=None if is_dir or size is None else int(size),
    )


def _info(located: _Located) -> dict[str, Any] | None:
    try:
        info: dict[str, Any] = located.fs.info(located.target)
    except (FileNotFoundError, NotADirectoryError):  # the second: a path below a local file
        return None
    return {**info, "name": located.target}


def stat(uri: str, settings: StorageSettings, path: str | None = None) -> ArtifactEntry | None:
    """What is stored at the artifact (or at `path` inside it); None when nothing is."""
    located = _locate(uri, path, settings)
    with storage_errors("look up", uri, settings):
        info = _info(located)
    return None if info is None else _entry(located, info)


def _missing(located: _Located) -> HeadraceError:
    """Nothing at the target: a path given inside a file artifact is the caller's mistake."""
    if located.rel:
        try:
            root = located.fs.info(located.root)
        except FileNotFoundError:
            root = {}
        if root.get("type") == "file":
            return InvalidArgumentError(
                f"artifact {located.uri} is a file: it has no path {located.rel!r} inside",
                "leave out ?path= to read the artifact itself",
            )
        return NotFoundError(f"artifact {located.uri} has no file {located.rel!r}")
    return NotFoundError(
        f"nothing is stored at {located.uri}",
        "a metadata-only artifact, or an output its task never wrote, has no content",
    )


def list_files(
    uri: str, settings: StorageSettings, path: str | None = None, *, recursive: bool = False
) -> Listing:
    """The entries of a directory artifact (or of the directory `path` inside it), by path."""
    located = _locate(uri, path, settings)
    with storage_errors("list", uri, settings):
        info = _info(located)
        if info is None:
            raise _missing(located)
        if info.get("type") != "directory":
            what = f"{located.rel!r} in artifact {uri}" if located.rel else f"artifact {uri}"
            raise InvalidArgumentError(
                f"{what} is a file, not a directory", "read its bytes with /content instead"
            )
        entries: list[ArtifactEntry] = []
        pending = [located.target]
        while pending and len(entries) < MAX_LISTED:
            folder = pending.pop(0)
            for child in sorted(located.fs.ls(folder, detail=True), key=lambda i: str(i["name"])):
                name = str(child["name"]).rstrip("/")
                if name == folder or not located.inside(name):
                    continue
                entry = _entry(located, {**child, "name": name})
                entries.append(entry)
                if recursive and entry.is_dir:
                    pending.append(name)
    truncated = len(entries) >= MAX_LISTED and bool(pending)
    return Listing(sorted(entries[:MAX_LISTED], key=lambda e: e.path), truncated)


@dataclass(frozen=True)
class ArtifactFile:
    """One file of an artifact, ready to be read in ranges."""

    uri: str
    path: str
    """Relative to the artifact; "" when the artifact is this file."""
    name: str
    size_bytes: int
    _located: _Located
    _settings: StorageSettings

    def chunks(self, start: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The bytes from `start`, `length` of them (all when None), in chunks."""
        end = self.size_bytes if length is None else min(self.size_bytes, start + length)
        fs, target = self._located.fs, self._located.target
        offset = start
        while offset < end:
            stop = min(end, offset + CHUNK_BYTES)
            with storage_errors("read", self.uri, self._settings):
                data: bytes = fs.cat_file(target, start=offset, end=stop)
            if not data:  # the object shrank while being read
                return
            yield data
            offset += len(data)


def open_file(uri: str, settings: StorageSettings, path: str | None = None) -> ArtifactFile:
    """The file artifact, or the file `path` of a directory artifact."""
    located = _locate(uri, path, settings)
    with storage_errors("look up", uri, settings):
        info = _info(located)
        if info is None:
            raise _missing(located)
    if info.get("type") == "directory":
        what = f"{located.rel!r} in artifact {uri}" if located.rel else f"artifact {uri}"
        raise InvalidArgumentError(
            f"{what} is a directory",
            "list its files with /files, and read one with ?path=<file path>",
        )
    name = (located.rel or located.root).rsplit("/", 1)[-1]
    return ArtifactFile(
        uri=uri,
        path=located.rel,
        name=name,
        size_bytes=int(info.get("size") or 0),
        _located=located,
        _settings=settings,
    )
