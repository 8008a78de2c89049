# No `from __future__ import annotations`: kfp reads component annotations at runtime.
"""Small pipelines the API tests upload and run, written as a user would."""

from kfp import dsl


@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    return a + b


@dsl.component(base_image="python:3.11")
def boom(message: str):
    import sys

    print(message, file=sys.stderr)
    sys.exit(3)


@dsl.component(base_image="python:3.11")
def echo(text: str) -> str:
    return text


@dsl.pipeline(name="adder")
def adder(a: int = 1, b: int = 2, tag: str = "x") -> int:
    first = add(a=a, b=b)
    return add(a=first.output, b=1).output


@dsl.pipeline(name="echoer")
def echoer(text: str = "hello") -> str:
    return echo(text=text).output


@dsl.pipeline(name="failing")
def failing():
    add(a=1, b=1)
    boom(message="bad data")
