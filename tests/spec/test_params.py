"""Run parameters: parsing NAME=VALUE, type checks, defaults and required inputs."""

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl

from headrace.errors import ParameterError
from headrace.spec.loader import LoadedPipeline
from headrace.spec.params import load_params_file, parse_param_assignments, resolve_parameters


@dsl.component(base_image="python:3.11")
def use(text: str) -> None:
    print(text)


@dsl.pipeline
def typed(
    required: str,
    n: int = 3,
    ratio: float = 0.5,
    flag: bool = True,
    xs: list = [1, 2],  # noqa: B006 - kfp default
    cfg: dict = {"a": 1, "b": 1.5},  # noqa: B006 - kfp default
    maybe: str = None,  # type: ignore[assignment]  # noqa: RUF013 - the kfp idiom
) -> None:
    use(text=required)


@pytest.fixture
def spec(compile_pipeline: Callable[[Any], LoadedPipeline]) -> Any:
    return compile_pipeline(typed).spec


def test_assignments_are_typed_by_the_input_type(spec: Any) -> None:
    values = parse_param_assignments(
        spec,
        ["required=a=b", "n=7", "ratio=2", "flag=no", 'xs=[1, "x"]', 'cfg={"k": [1]}', "maybe="],
    )
    assert values == {
        "required": "a=b",
        "n": 7,
        "ratio": 2.0,
        "flag": False,
        "xs": [1, "x"],
        "cfg": {"k": [1]},
        "maybe": "",
    }
    assert type(values["ratio"]) is float


@pytest.mark.parametrize(
    ("text", "expected"),
    [("true", True), ("1", True), ("yes", True), ("False", False), ("0", False), ("no", False)],
)
def test_boolean_assignments_accept_common_spellings(spec: Any, text: str, expected: bool) -> None:
    assert parse_param_assignments(spec, [f"flag={text}"]) == {"flag": expected}


@pytest.mark.parametrize(
    ("assignment", "culprits"),
    [
        ("n=abc", ["'n'", "integer", "'abc'"]),
        ("n=2.5", ["'n'", "integer", "2.5"]),
        ("ratio=x", ["'ratio'", "number", "'x'"]),
        ("flag=maybe", ["'flag'", "boolean", "'maybe'"]),
        ("xs={}", ["'xs'", "list", "{}"]),
        ("xs=[1,", ["'xs'", "list", "not JSON"]),
        ("cfg=[1]", ["'cfg'", "dict", "[1]"]),
    ],
)
def test_bad_assignment_names_parameter_type_and_value(
    spec: Any, assignment: str, culprits: list[str]
) -> None:
    with pytest.raises(ParameterError) as err:
        parse_param_assignments(spec, [assignment])
    for culprit in culprits:
        assert culprit in str(err.value)


def test_unknown_assignment_lists_the_known_names(spec: Any) -> None:
    with pytest.raises(ParameterError) as err:
        parse_param_assignments(spec, ["nn=3"])
    assert "'nn'" in str(err.value)
    assert "flag, maybe, n, ratio, required, xs, cfg" not in str(err.value)
    assert "cfg, flag, maybe, n, ratio, required, xs" in str(err.value)


def test_assignment_without_equals_is_an_error(spec: Any) -> None:
    with pytest.raises(ParameterError, match=r"'n3'.*NAME=VALUE"):
        parse_param_assignments(spec, ["n3"])


def test_defaults_fill_in_and_integer_defaults_come_back_as_int(spec: Any) -> None:
    resolved = resolve_parameters(spec, {"required": "r"})
    assert resolved == {
        "required": "r",
        "n": 3,
        "ratio": 0.5,
        "flag": True,
        "xs": [1, 2],
        "cfg": {"a": 1, "b": 1.5},
    }
    assert type(resolved["n"]) is int
    assert json.dumps(resolved["xs"]) == "[1, 2]"
    assert "maybe" not in resolved


def test_missing_required_parameter_names_it_and_the_flag(spec: Any) -> None:
    with pytest.raises(ParameterError) as err:
        resolve_parameters(spec, {})
    assert "'required'" in str(err.value)
    assert "--param required=VALUE" in str(err.value)


def test_typed_values_are_checked_and_coerced(spec: Any) -> None:
    resolved = resolve_parameters(
        spec, {"required": "r", "n": 4.0, "ratio": 2, "xs": (1,), "maybe": "m"}
    )
    assert resolved["n"] == 4 and type(resolved["n"]) is int
    assert resolved["ratio"] == 2.0 and type(resolved["ratio"]) is float
    assert resolved["xs"] == [1]
    assert resolved["maybe"] == "m"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("n", 2.5),
        ("n", True),
        ("n", "3"),
        ("ratio", "0.5"),
        ("ratio", False),
        ("required", 3),
        ("flag", "true"),
        ("flag", 1),
        ("xs", "[1]"),
        ("cfg", [1]),
    ],
)
def test_wrong_typed_value_names_parameter_type_and_value(spec: Any, name: str, value: Any) -> None:
    values = {"required": "r", name: value}
    with pytest.raises(ParameterError) as err:
        resolve_parameters(spec, values)
    assert f"'{name}'" in str(err.value)
    assert repr(value) in str(err.value)
    assert "expects" in str(err.value)


def test_unknown_value_lists_the_known_names(spec: Any) -> None:
    with pytest.raises(ParameterError, match=r"'bogus'.*cfg, flag"):
        resolve_parameters(spec, {"required": "r", "bogus": 1})


def test_params_file_reads_yaml_and_json(tmp_path: Path) -> None:
    yaml_file = tmp_path / "p.yaml"
    yaml_file.write_text("n: 3\nxs: [1, 2]\n")
    json_file = tmp_path / "p.json"
    json_file.write_text('{"n": 3, "xs": [1, 2]}')
    assert load_params_file(yaml_file) == load_params_file(json_file) == {"n": 3, "xs": [1, 2]}


def test_params_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(ParameterError, match=r"absent\.yaml"):
        load_params_file(tmp_path / "absent.yaml")
    broken = tmp_path / "broken.json"
    broken.write_text("{oops")
    with pytest.raises(ParameterError, match=r"broken\.json"):
        load_params_file(broken)
    listing = tmp_path / "list.yaml"
    listing.write_text("- 1\n- 2\n")
    with pytest.raises(ParameterError, match=r"list\.yaml.*mapping"):
        load_params_file(listing)
