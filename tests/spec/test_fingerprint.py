"""Cache fingerprints: stable for the same work, different for any change."""

import hashlib
from typing import Any

import pytest

from headrace.spec.fingerprint import cache_fingerprint

BASE: dict[str, Any] = {
    "component_name": "comp-train",
    "image": "python:3.11",
    "command": ["sh", "-c", "run"],
    "args": ["--executor_input", "{{$}}"],
    "input_parameters": {"n": 3, "cfg": {"a": [1, 2]}},
    "input_artifacts": {"data": ["s3://b/1", "s3://b/2"]},
    "output_definitions": {"model": "system.Model@0.0.1"},
    "cache_key": None,
}


def test_same_input_gives_the_same_hash() -> None:
    reordered = dict(BASE, input_parameters={"cfg": {"a": [1, 2]}, "n": 3})
    assert cache_fingerprint(**BASE) == cache_fingerprint(**reordered)
    assert len(cache_fingerprint(**BASE)) == 64


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("image", "python:3.12"),
        ("command", ["sh", "-c", "run2"]),
        ("args", ["--executor_input", "{{$}}", "x"]),
        ("input_parameters", {"n": 4, "cfg": {"a": [1, 2]}}),
        ("input_parameters", {"n": 3, "cfg": {"a": [2, 1]}}),
        ("input_artifacts", {"data": ["s3://b/2", "s3://b/1"]}),
        ("input_artifacts", {"other": ["s3://b/1", "s3://b/2"]}),
        ("output_definitions", {"model": "system.Dataset@0.0.1"}),
        ("output_definitions", {"model2": "system.Model@0.0.1"}),
    ],
)
def test_any_change_gives_a_different_hash(field: str, value: Any) -> None:
    assert cache_fingerprint(**BASE) != cache_fingerprint(**dict(BASE, **{field: value}))


def test_moving_an_arg_into_the_command_changes_the_hash() -> None:
    moved = dict(BASE, command=[*BASE["command"], "--executor_input"], args=["{{$}}"])
    assert cache_fingerprint(**BASE) != cache_fingerprint(**moved)


def test_cache_key_replaces_everything_but_the_component_name() -> None:
    keyed = dict(BASE, cache_key="v1")
    expected = hashlib.sha256(b"comp-train\0v1").hexdigest()
    assert cache_fingerprint(**keyed) == expected
    assert cache_fingerprint(**dict(keyed, image="other", input_parameters={})) == expected
    assert cache_fingerprint(**dict(keyed, component_name="comp-other")) != expected
    assert cache_fingerprint(**dict(keyed, cache_key="v2")) != expected


def test_empty_cache_key_is_ignored() -> None:
    assert cache_fingerprint(**dict(BASE, cache_key="")) == cache_fingerprint(**BASE)
