# No `from __future__ import annotations`: kfp reads component annotations at runtime.
"""Two versions of a small pipeline that recurring runs trigger, written as a user would."""

from kfp import dsl


@dsl.component(base_image="python:3.11")
def say(text: str, times: int) -> str:
    return text * times


@dsl.component(base_image="python:3.11")
def shout(text: str) -> str:
    return text.upper()


@dsl.pipeline(name="stamped")
def stamped(tag: str = "x", n: int = 1):
    say(text=tag, times=n)


@dsl.pipeline(name="stamped")
def stamped_v2(tag: str = "x", n: int = 1):
    shout(text=say(text=tag, times=n).output)
