"""collect_outputs: how a finished task's output file and parameter files become outputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from headrace.executors import OutputArtifact, OutputError, collect_outputs


def _executor_input(tmp_path: Path, *params: str, artifact: bool = False) -> dict[str, Any]:
    outputs: dict[str, Any] = {
        "parameters": {p: {"outputFile": str(tmp_path / "params" / p)} for p in params},
        "outputFile": str(tmp_path / "executor_output.json"),
    }
    if artifact:
        outputs["artifacts"] = {
            "model": {
                "artifacts": [
                    {
                        "name": "model",
                        "type": {"schemaTitle": "system.Model"},
                        "uri": str(tmp_path / "model"),
                        "metadata": {"framework": "none"},
                    }
                ]
            }
        }
    return {"outputs": outputs}


def _write_param(tmp_path: Path, name: str, text: str) -> None:
    (tmp_path / "params").mkdir(exist_ok=True)
    (tmp_path / "params" / name).write_text(text)


def test_output_file_wins_over_parameter_files(tmp_path: Path) -> None:
    ei = _executor_input(tmp_path, "count")
    _write_param(tmp_path, "count", "1")
    (tmp_path / "executor_output.json").write_text(json.dumps({"parameterValues": {"count": 2}}))
    params, _ = collect_outputs(ei, {"count": "NUMBER_INTEGER"})
    assert params == {"count": 2}


def test_integer_from_output_file_is_an_int_even_when_written_as_a_float(tmp_path: Path) -> None:
    ei = _executor_input(tmp_path, "count")
    (tmp_path / "executor_output.json").write_text(json.dumps({"parameterValues": {"count": 3.0}}))
    params, _ = collect_outputs(ei, {"count": "NUMBER_INTEGER"})
    assert params["count"] == 3 and isinstance(params["count"], int)


def test_parameter_files_are_read_and_converted_by_declared_type(tmp_path: Path) -> None:
    types = {
        "i": "NUMBER_INTEGER",
        "f": "NUMBER_DOUBLE",
        "b": "BOOLEAN",
        "l": "LIST",
        "s": "STRUCT",
        "t": "STRING",
    }
    ei = _executor_input(tmp_path, *types)
    texts = {"i": "42\n", "f": "2.5", "b": "True", "l": "[1, 2]", "s": '{"a": 1}', "t": " as is \n"}
    for name, text in texts.items():
        _write_param(tmp_path, name, text)
    params, _ = collect_outputs(ei, types)
    assert params == {"i": 42, "f": 2.5, "b": True, "l": [1, 2], "s": {"a": 1}, "t": " as is \n"}


def test_missing_output_parameter_is_an_error_naming_it(tmp_path: Path) -> None:
    ei = _executor_input(tmp_path, "written", "forgotten")
    _write_param(tmp_path, "written", "x")
    with pytest.raises(OutputError, match="'forgotten'"):
        collect_outputs(ei, {"written": "STRING", "forgotten": "STRING"})


def test_parameter_file_of_the_wrong_type_is_an_error_naming_it(tmp_path: Path) -> None:
    ei = _executor_input(tmp_path, "n")
    _write_param(tmp_path, "n", "many")
    with pytest.raises(OutputError, match=r"'n'.*NUMBER_INTEGER"):
        collect_outputs(ei, {"n": "NUMBER_INTEGER"})


def test_malformed_executor_output_is_an_error_naming_the_file(tmp_path: Path) -> None:
    ei = _executor_input(tmp_path)
    (tmp_path / "executor_output.json").write_text("{not json")
    with pytest.raises(OutputError, match=r"executor_output\.json"):
        collect_outputs(ei, {})


def test_artifacts_default_to_executor_input(tmp_path: Path) -> None:
    _, artifacts = collect_outputs(_executor_input(tmp_path, artifact=True), {})
    assert artifacts == {
        "model": [OutputArtifact("model", str(tmp_path / "model"), {"framework": "none"})]
    }


def test_artifacts_in_the_output_file_override_executor_input(tmp_path: Path) -> None:
    ei = _executor_input(tmp_path, artifact=True)
    written = {"name": "model", "uri": "s3://bucket/moved", "metadata": {"accuracy": 0.9}}
    (tmp_path / "executor_output.json").write_text(
        json.dumps({"artifacts": {"model": {"artifacts": [written]}}})
    )
    _, artifacts = collect_outputs(ei, {})
    assert artifacts["model"] == [OutputArtifact("model", "s3://bucket/moved", {"accuracy": 0.9})]
