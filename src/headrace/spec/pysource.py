"""Import a `.py` file that defines `@dsl.pipeline` functions and compile one with kfp."""

from __future__ import annotations

import contextlib
import importlib.util
import sys
import tempfile
import traceback
import uuid
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from kfp import compiler
from kfp.dsl import utils as kfp_utils
from kfp.dsl.graph_component import GraphComponent

from headrace.errors import PipelineLoadError


def compile_python_pipeline(path: Path, pipeline_name: str | None) -> list[Any]:
    """Compile the chosen pipeline of a Python file; return its YAML documents."""
    module = _import_file(path)
    try:
        pipeline = _choose_pipeline(module, path, pipeline_name)
        with tempfile.TemporaryDirectory(prefix="headrace-compile-") as tmp:
            target = Path(tmp) / "pipeline.yaml"
            try:
                compiler.Compiler().compile(pipeline, str(target))
            except Exception as exc:
                raise PipelineLoadError(
                    f"{path}: kfp could not compile pipeline {pipeline.name!r}: "
                    f"{type(exc).__name__}: {exc}",
                    "fix the pipeline definition; `kfp.compiler.Compiler` must accept it",
                ) from exc
            return [d for d in yaml.safe_load_all(target.read_text()) if d is not None]
    finally:
        sys.modules.pop(module.__name__, None)


def _import_file(path: Path) -> ModuleType:
    resolved = path.resolve()
    module_name = f"headrace_pipeline_{uuid.uuid4().hex}"
    spec = importlib.util.spec_from_file_location(module_name, resolved)
    if spec is None or spec.loader is None:
        raise PipelineLoadError(f"{path}: cannot import the file as a Python module")
    module = importlib.util.module_from_spec(spec)
    directory = str(resolved.parent)
    sys.path.insert(0, directory)
    sys.modules[module_name] = module
    try:
        spec.loader.exec_module(module)
    except SyntaxError as exc:
        sys.modules.pop(module_name, None)
        raise PipelineLoadError(
            f"{path}: SyntaxError at line {exc.lineno}: {exc.msg}", "fix the Python syntax"
        ) from exc
    except BaseException as exc:
        sys.modules.pop(module_name, None)
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise PipelineLoadError(
            f"{path}: importing the file raised {type(exc).__name__}"
            f"{_line_in(exc, resolved)}: {exc}",
            "fix the error so that `python FILE` imports cleanly",
        ) from exc
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(directory)
    return module


def _line_in(exc: BaseException, path: Path) -> str:
    """The line of `path` the exception passed through last, as ' at line N'."""
    line = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if Path(frame.filename) == path:
            line = frame.lineno
    return f" at line {line}" if line is not None else ""


def _choose_pipeline(module: ModuleType, path: Path, pipeline_name: str | None) -> GraphComponent:
    found: list[tuple[str, GraphComponent]] = []
    seen: set[int] = set()
    for attr, value in vars(module).items():
        if isinstance(value, GraphComponent) and id(value) not in seen:
            seen.add(id(value))
            found.append((attr, value))
    if not found:
        raise PipelineLoadError(
            f"{path}: no pipeline found",
            "define a module-level function decorated with @dsl.pipeline",
        )
    if pipeline_name is not None:
        for attr, pipeline in found:
            if pipeline_name in (attr, _function_name(pipeline), pipeline.name):
                return pipeline
        raise PipelineLoadError(
            f"{path}: no pipeline named {pipeline_name!r}; found {_names(found)}",
            "pass --pipeline with one of those names",
        )
    if len(found) == 1:
        return found[0][1]
    # A pipeline used as a sub-pipeline of another in the same file is not a candidate.
    top = [(a, p) for a, p in found if not any(_uses(o, p) for _, o in found if o is not p)]
    if len(top) == 1:
        return top[0][1]
    raise PipelineLoadError(
        f"{path}: several pipelines found: {_names(top or found)}",
        "pass --pipeline NAME to choose one",
    )


def _function_name(pipeline: GraphComponent) -> str:
    return str(getattr(pipeline.pipeline_func, "__name__", pipeline.name))


def _names(found: list[tuple[str, GraphComponent]]) -> str:
    return ", ".join(sorted(_function_name(p) for _, p in found))


def _uses(outer: GraphComponent, inner: GraphComponent) -> bool:
    graph = outer.component_spec.implementation.graph
    if graph is None:
        return False
    return kfp_utils.sanitize_component_name(inner.name) in graph.components
