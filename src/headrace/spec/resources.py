"""Resource requests of a task, parsed from the IR's container resources."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Resources:
    """What a task asked for; None means no request."""

    cpu: float | None = None
    memory_bytes: int | None = None
    accelerator_type: str | None = None
    accelerator_count: int = 0
