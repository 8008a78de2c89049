# No `from __future__ import annotations`: kfp reads component annotations at runtime.
"""Small pipelines the CLI tests run, written as a user would."""

from kfp import dsl


@dsl.component(base_image="python:3.11")
def add(a: int, b: int) -> int:
    print(f"adding {a} and {b}")
    return a + b


@dsl.component(base_image="python:3.11")
def boom(message: str):
    import sys

    print(f"about to fail: {message}", file=sys.stderr)
    sys.exit(3)


@dsl.component(base_image="python:3.11")
def nap(seconds: int):
    import time

    print("napping", flush=True)
    time.sleep(seconds)


@dsl.pipeline(name="adder")
def adder(a: int, b: int = 2, tag: str = "x") -> int:
    first = add(a=a, b=b)
    return add(a=first.output, b=1).output


@dsl.pipeline(name="failing")
def failing():
    add(a=1, b=1)
    boom(message="bad data")


@dsl.pipeline(name="sleepy")
def sleepy(seconds: int = 60):
    nap(seconds=seconds)
