# No `from __future__ import annotations`: kfp reads component annotations at runtime.
"""Two versions of one pipeline, told apart by what they return."""

from kfp import dsl


@dsl.component(base_image="python:3.11")
def say(word: str) -> str:
    return word


@dsl.pipeline(name="versioned")
def version_one() -> str:
    return say(word="one").output


@dsl.pipeline(name="versioned")
def version_two() -> str:
    return say(word="two").output
