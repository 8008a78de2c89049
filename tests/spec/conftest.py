"""Fixtures that compile real kfp pipelines for the spec tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kfp import compiler

from headrace.spec.loader import LoadedPipeline, load_pipeline

Compile = Callable[[Any], LoadedPipeline]


@pytest.fixture
def compile_pipeline(tmp_path: Path) -> Compile:
    """Compile a @dsl.pipeline to YAML with kfp and load it with Headrace."""
    counter = iter(range(1_000_000))

    def run(pipeline: Any) -> LoadedPipeline:
        target = tmp_path / f"compiled-{next(counter)}.yaml"
        compiler.Compiler().compile(pipeline, str(target))
        return load_pipeline(target)

    return run


@pytest.fixture
def write_yaml(tmp_path: Path) -> Callable[..., Path]:
    """Write one or more YAML documents to a file and return its path."""

    def run(*documents: Any, name: str = "pipeline.yaml") -> Path:
        path = tmp_path / name
        path.write_text(yaml.safe_dump_all(documents, sort_keys=False))
        return path

    return run
