"""Where a run's artifacts, logs and scratch files live on the local filesystem."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def normalize_root(root: str) -> str:
    """Turn a `file://` or relative pipeline root into an absolute local path."""
    if root.startswith("file://"):
        root = root[len("file://") :]
    if "://" in root:
        return root.rstrip("/")
    return str(Path(root).expanduser().resolve())


def _safe(part: str) -> str:
    return _UNSAFE.sub("_", part) or "_"


@dataclass(frozen=True)
class RunLayout:
    """Paths for one run: artifacts under the pipeline root, logs and work dirs under home."""

    home: Path
    pipeline_root: str
    pipeline_name: str
    run_id: str

    def output_uri(self, task_path: str, execution_id: str, name: str) -> str:
        """A URI unique to one execution, so iterations and retries never overwrite each other."""
        parts = [self.pipeline_name, self.run_id, *task_path.split("/"), execution_id, name]
        return "/".join([self.pipeline_root, *(_safe(p) for p in parts)])

    def attempt_dir(self, task_id: str, attempt: int) -> Path:
        return self.home / "work" / self.run_id / task_id / str(attempt)

    def log_path(self, task_id: str, attempt: int) -> Path:
        return self.home / "logs" / self.run_id / task_id / f"{attempt}.log"


def read_log(path: str) -> str:
    """The text of an attempt's log; empty when the attempt printed nothing."""
    p = Path(path)
    return p.read_text(encoding="utf-8", errors="replace") if p.exists() else ""
