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


@dsl.component(base_image="python:3.11")
def mark(workdir: str, name: str, hang_first: bool = False) -> str:
    import os
    import time

    attempt = os.environ["KFP_RETRY_INDEX"]
    with open(os.path.join(workdir, "ran.txt"), "a") as f:
        f.write(f"{name}:{attempt}\n")
    if hang_first and attempt == "0":
        with open(os.path.join(workdir, f"{name}.pid"), "w") as f:
            f.write(str(os.getpid()))
        time.sleep(300)
    return name


@dsl.pipeline(name="resumable")
def resumable(workdir: str):
    first = mark(workdir=workdir, name="first")
    second = mark(workdir=workdir, name="second", hang_first=True).after(first)
    mark(workdir=workdir, name="third").after(second)
