"""Where a run's artifacts, logs and scratch files live, locally and in the pipeline root."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from headrace.storage.settings import StorageSettings, is_remote, scheme_of

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")

# kfp's mount points (`Artifact.path` of `s3://b/k` is `/s3/b/k`); staged copies use the same
# names under the attempt's directory instead of the filesystem root.
_MOUNT_NAMES = {"s3": "s3", "minio": "minio", "gs": "gcs"}


def normalize_root(root: str) -> str:
    """Turn a `file://` or relative pipeline root into an absolute local path."""
    if root.startswith("file://"):
        root = root[len("file://") :]
    if "://" in root:
        return root.rstrip("/")
    return str(Path(root).expanduser().resolve())


def _safe(part: str) -> str:
    return _UNSAFE.sub("_", part) or "_"


def _safe_parts(text: str) -> list[str]:
    return [_safe(p) for p in text.split("/") if p]


def staged_path(uri: str, mount_root: Path) -> Path:
    """Where an attempt sees the object-store artifact `uri`: `<mount_root>/s3/bucket/key`."""
    scheme = scheme_of(uri)
    return mount_root / _MOUNT_NAMES[scheme] / uri.split("://", 1)[1].strip("/")


def run_scratch_dir(home: Path, run_id: str) -> Path:
    """Where a run's attempts keep their scratch directories on this machine."""
    return home / "work" / run_id


@dataclass(frozen=True)
class RunLayout:
    """Paths for one run: artifacts and archived logs under the roots, scratch under home."""

    home: Path
    storage: StorageSettings
    pipeline_name: str
    run_id: str
    namespace: str = ""

    @property
    def pipeline_root(self) -> str:
        return self.storage.pipeline_root

    def _prefix(self) -> list[str]:
        prefix = self.storage.key_prefix_for(
            namespace=self.namespace, pipeline_name=self.pipeline_name, run_id=self.run_id
        )
        return _safe_parts(prefix)

    def output_uri(self, task_path: str, execution_id: str, name: str) -> str:
        """A URI unique to one execution, so iterations and retries never overwrite each other."""
        parts = [*self._prefix(), *_safe_parts(task_path), _safe(execution_id), _safe(name)]
        return "/".join([self.pipeline_root.rstrip("/"), *parts])

    # One directory level per attempt, not one per task and one per attempt: each `mkdir` on
    # ext4 costs tens of microseconds, which counted in a task's few milliseconds (issue 5).
    def attempt_dir(self, task_id: str, attempt: int) -> Path:
        return run_scratch_dir(self.home, self.run_id) / f"{task_id}.{attempt}"

    def mount_root(self, task_id: str, attempt: int) -> Path:
        """Where an attempt's object-store inputs and outputs are staged."""
        return self.attempt_dir(task_id, attempt) / "mnt"

    def log_path(self, task_id: str, attempt: int) -> Path:
        return self.home / "logs" / self.run_id / f"{task_id}.{attempt}.log"

    def log_archive_uri(self, task_path: str, task_id: str, attempt: int) -> str | None:
        """Where an attempt's log is archived when it ends; None keeps it in `log_path` only.

        Logs are archived when the log root is an object store, or when one is configured
        explicitly: a local default root would only copy the file beside itself.
        """
        if self.storage.log_root is None and not is_remote(self.pipeline_root):
            return None
        root = normalize_root(self.storage.resolved_log_root())
        parts = [*self._prefix(), *_safe_parts(task_path), _safe(task_id), f"{attempt}.log"]
        return "/".join([root.rstrip("/"), *parts])


def read_log(path: str) -> str:
    """The text of an attempt's local log file; empty when the attempt printed nothing."""
    p = Path(path)
    return p.read_text(encoding="utf-8", errors="replace") if p.exists() else ""
