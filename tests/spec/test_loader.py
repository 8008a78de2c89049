"""Loading pipelines from .py, .yaml and .json files, and the errors users see."""

import json
import textwrap
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from kfp import compiler, dsl, kubernetes

from headrace.errors import PipelineLoadError, PipelineSpecError
from headrace.spec.loader import load_pipeline, load_pipeline_dicts

PIPELINE_SOURCE = """
from kfp import dsl


@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    return a + b


@dsl.pipeline
def adder(x: int = 1):
    add(a=x, b=2)
"""


@dsl.component(base_image="python:3.11")
def echo(text: str) -> str:
    return text


@dsl.pipeline(name="echo-pipeline")
def echo_pipeline(text: str = "hi") -> None:
    echo(text=text)


def _write(tmp_path: Path, source: str, name: str = "pipe.py") -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return path


def test_python_file_with_one_pipeline_is_compiled_and_loaded(tmp_path: Path) -> None:
    loaded = load_pipeline(_write(tmp_path, PIPELINE_SOURCE))
    assert loaded.name == "adder"
    assert loaded.source == str(tmp_path / "pipe.py")
    assert loaded.spec_dict()["schemaVersion"] == "2.1.0"
    assert "comp-add" in loaded.spec_dict()["components"]
    assert loaded.platform_spec is None
    assert loaded.platform_dict() is None


def test_python_file_can_import_modules_next_to_it(tmp_path: Path) -> None:
    _write(tmp_path, "from kfp import dsl\nGREETING = 'hello'\n", name="helpers_for_pipe.py")
    source = PIPELINE_SOURCE.replace(
        "from kfp import dsl", "from kfp import dsl\nfrom helpers_for_pipe import GREETING"
    )
    assert load_pipeline(_write(tmp_path, source)).name == "adder"


def test_several_pipelines_without_a_name_is_an_error_listing_them(tmp_path: Path) -> None:
    source = (
        PIPELINE_SOURCE + "\n\n@dsl.pipeline(name='other-name')\ndef second():\n    add(a=1, b=1)\n"
    )
    path = _write(tmp_path, source)
    with pytest.raises(PipelineLoadError) as err:
        load_pipeline(path)
    assert "adder" in str(err.value) and "second" in str(err.value)
    assert "--pipeline" in str(err.value)


def test_pipeline_name_matches_function_name_or_pipeline_name(tmp_path: Path) -> None:
    source = (
        PIPELINE_SOURCE + "\n\n@dsl.pipeline(name='other-name')\ndef second():\n    add(a=1, b=1)\n"
    )
    path = _write(tmp_path, source)
    assert load_pipeline(path, "adder").name == "adder"
    assert load_pipeline(path, "second").name == "other-name"
    assert load_pipeline(path, "other-name").name == "other-name"
    with pytest.raises(PipelineLoadError, match=r"'nope'"):
        load_pipeline(path, "nope")


def test_a_sub_pipeline_used_by_another_is_not_a_candidate(tmp_path: Path) -> None:
    source = PIPELINE_SOURCE + "\n\n@dsl.pipeline\ndef outer():\n    adder(x=5)\n"
    assert load_pipeline(_write(tmp_path, source)).name == "outer"


def test_python_file_that_raises_on_import_names_exception_and_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "from kfp import dsl\n\nx = 1\ny = x / 0\n")
    with pytest.raises(PipelineLoadError) as err:
        load_pipeline(path)
    assert "ZeroDivisionError" in str(err.value)
    assert "line 4" in str(err.value)
    assert str(path) in str(err.value)


def test_python_syntax_error_names_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, "from kfp import dsl\n\ndef broken(:\n    pass\n")
    with pytest.raises(PipelineLoadError, match=r"SyntaxError at line 3"):
        load_pipeline(path)


def test_python_file_without_pipeline_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "x = 1\n")
    with pytest.raises(PipelineLoadError, match=r"no pipeline found"):
        load_pipeline(path)


def test_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "absent.yaml"
    with pytest.raises(PipelineLoadError, match=r"absent\.yaml"):
        load_pipeline(path)


def test_compiled_yaml_and_json_load_to_the_same_spec(tmp_path: Path) -> None:
    yaml_path = tmp_path / "echo.yaml"
    compiler.Compiler().compile(echo_pipeline, str(yaml_path))
    json_path = tmp_path / "echo.json"
    json_path.write_text(json.dumps(yaml.safe_load(yaml_path.read_text())))
    from_yaml = load_pipeline(yaml_path)
    from_json = load_pipeline(json_path)
    assert from_yaml.name == "echo-pipeline"
    assert from_yaml.spec == from_json.spec


def test_spec_dict_round_trips_through_load_pipeline_dicts(
    compile_pipeline: Callable[[Any], Any],
) -> None:
    loaded = compile_pipeline(echo_pipeline)
    again = load_pipeline_dicts(loaded.spec_dict(), None, "<api>")
    assert again.spec == loaded.spec
    assert again.source == "<api>"


def test_kubernetes_platform_spec_is_read_from_the_second_document(tmp_path: Path) -> None:
    @dsl.pipeline
    def with_secret() -> None:
        task = echo(text="x")
        kubernetes.use_secret_as_env(task, secret_name="s", secret_key_to_env={"k": "K"})

    path = tmp_path / "k8s.yaml"
    compiler.Compiler().compile(with_secret, str(path))
    loaded = load_pipeline(path)
    platform = loaded.platform_dict()
    assert platform is not None
    assert "kubernetes" in platform["platforms"]


def test_malformed_yaml_reports_the_line(write_yaml: Callable[..., Path], tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("schemaVersion: 2.1.0\nroot:\n  dag: [unclosed\n")
    with pytest.raises(PipelineLoadError) as err:
        load_pipeline(path)
    assert "bad.yaml" in str(err.value) and "line" in str(err.value)


def test_malformed_json_reports_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "schemaVersion": "2.1.0",\n  oops\n}')
    with pytest.raises(PipelineLoadError, match=r"line 3"):
        load_pipeline(path)


def test_unknown_field_is_not_a_pipeline_spec(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml({"schemaVersion": "2.1.0", "pipelineInfo": {"name": "p"}, "bogus": 1})
    with pytest.raises(PipelineSpecError, match=r"bogus"):
        load_pipeline(path)


def test_other_schema_version_is_rejected_naming_both_versions(
    write_yaml: Callable[..., Path],
) -> None:
    path = write_yaml({"schemaVersion": "2.0.0", "pipelineInfo": {"name": "p"}})
    with pytest.raises(PipelineSpecError) as err:
        load_pipeline(path)
    assert "'2.0.0'" in str(err.value) and "2.1.0" in str(err.value)


def test_second_document_must_be_a_platform_spec(write_yaml: Callable[..., Path]) -> None:
    path = write_yaml({"schemaVersion": "2.1.0", "pipelineInfo": {"name": "p"}}, {"a": 1})
    with pytest.raises(PipelineSpecError, match=r"second YAML document"):
        load_pipeline(path)


def test_unsupported_file_type_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "pipe.txt"
    path.write_text("x")
    with pytest.raises(PipelineLoadError, match=r"'\.txt'"):
        load_pipeline(path)
