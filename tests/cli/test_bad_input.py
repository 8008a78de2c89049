"""Bad input: one line naming the culprit, exit code 2, no traceback, nothing stored."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
import yaml
from kfp import compiler, dsl

from tests.cli.conftest import Cli

PIPELINES = str(Path(__file__).with_name("pipelines.py"))


@dsl.container_component
def missing_tool():
    return dsl.ContainerSpec(image="alpine:3", command=["no-such-tool-xyz"], args=["--go"])


@dsl.pipeline(name="needs-a-tool")
def needs_tool():
    missing_tool()


def _assert_clean_error(cli: Cli, result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stdout
    err = result.stderr
    assert "Traceback" not in err
    for needle in needles:
        assert needle in err, err
    assert cli.json("runs", "list") == []  # nothing half-written in the store


def _compiled(tmp_path: Path) -> dict[str, object]:
    from tests.cli import pipelines

    path = tmp_path / "adder.yaml"
    compiler.Compiler().compile(pipelines.adder, str(path))
    loaded = yaml.safe_load(path.read_text())
    assert isinstance(loaded, dict)
    return loaded


def test_malformed_yaml(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("pipelineInfo: {name: x\nroot: [")
    _assert_clean_error(cli, cli("run", str(bad)), "bad.yaml")


def test_python_that_does_not_import(cli: Cli, tmp_path: Path) -> None:
    bad = tmp_path / "broken.py"
    bad.write_text("from kfp import dsl\nraise ValueError('nope')\n")
    _assert_clean_error(cli, cli("run", str(bad)), "broken.py", "ValueError")


def test_wrong_schema_version(cli: Cli, tmp_path: Path) -> None:
    spec = _compiled(tmp_path)
    spec["schemaVersion"] = "2.0.0"
    path = tmp_path / "old.yaml"
    path.write_text(yaml.safe_dump(spec))
    _assert_clean_error(cli, cli("run", str(path)), "2.0.0", "2.1.0")


def test_several_pipelines_need_a_choice(cli: Cli) -> None:
    _assert_clean_error(cli, cli("run", PIPELINES), "--pipeline")


@pytest.mark.parametrize(
    ("args", "needles"),
    [
        (["--param", "nope=1", "--param", "a=1"], ["nope"]),
        ([], ["'a'"]),
        (["--param", "a=abc"], ["'a'", "abc"]),
        (["--param", "a"], ["'a'"]),
    ],
    ids=["unknown", "missing-required", "wrong-type", "no-equals"],
)
def test_bad_parameters(cli: Cli, args: list[str], needles: list[str]) -> None:
    result = cli("run", PIPELINES, "--pipeline", "adder", *args)
    _assert_clean_error(cli, result, *needles)


def test_condition_that_does_not_parse(cli: Cli, tmp_path: Path) -> None:
    spec = _compiled(tmp_path)
    tasks = spec["root"]["dag"]["tasks"]  # type: ignore[index]
    tasks["add-2"]["triggerPolicy"] = {"condition": "inputs.parameter_values['x' =="}
    path = tmp_path / "cond.yaml"
    path.write_text(yaml.safe_dump(spec))
    _assert_clean_error(cli, cli("run", str(path), "--param", "a=1"), "add-2")


def test_missing_command(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "tool.yaml"
    compiler.Compiler().compile(needs_tool, str(path))
    _assert_clean_error(cli, cli("run", str(path)), "no-such-tool-xyz", "alpine:3")


def test_debug_shows_the_traceback(cli: Cli, tmp_path: Path) -> None:
    result = cli("--debug", "run", str(tmp_path / "absent.yaml"))
    assert result.returncode != 0
    assert "Traceback" in result.stderr
