"""Cache fingerprints: a task attempt with the same fingerprint may reuse earlier outputs."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from typing import Any


def cache_fingerprint(
    *,
    component_name: str,
    image: str,
    command: Sequence[str],
    args: Sequence[str],
    input_parameters: Mapping[str, Any],
    input_artifacts: Mapping[str, Sequence[str]],
    output_definitions: Mapping[str, Any],
    cache_key: str | None,
) -> str:
    """The sha256 hex digest that identifies a task's work for caching.

    A non-empty `cache_key` (the task's `cachingOptions.cacheKey`) replaces everything
    else, as Kubeflow does: only the component name and the key count.
    """
    if cache_key:
        return hashlib.sha256(f"{component_name}\0{cache_key}".encode()).hexdigest()
    document = {
        "image": image,
        "command": list(command),
        "args": list(args),
        "inputParameters": dict(input_parameters),
        "inputArtifacts": {name: list(ids) for name, ids in input_artifacts.items()},
        "outputDefinitions": dict(output_definitions),
    }
    canonical = json.dumps(
        document, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str
    )
    return hashlib.sha256(canonical.encode()).hexdigest()
