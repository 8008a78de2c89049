# No `from __future__ import annotations`: kfp reads component annotations at runtime.
"""Pipelines for the worker tests."""

from kfp import dsl


@dsl.component(base_image="python:3.11")
def record(workdir: str, name: str, seconds: float = 0.0) -> str:
    import os
    import time

    with open(os.path.join(workdir, "ran.txt"), "a") as f:
        f.write(f"{name}\n")
    time.sleep(seconds)
    return name


@dsl.pipeline(name="two-steps")
def two_steps(workdir: str, tag: str = "run", seconds: float = 0.0):
    first = record(workdir=workdir, name=f"{tag}-first")
    record(workdir=workdir, name=f"{tag}-second", seconds=seconds).after(first)


@dsl.component(base_image="python:3.11")
def flaky(workdir: str, name: str) -> str:
    import os

    with open(os.path.join(workdir, "ran.txt"), "a") as f:
        f.write(f"{name}\n")
    if not os.path.exists(os.path.join(workdir, f"{name}.ok")):
        raise SystemExit(f"{name} is not fixed yet")
    return name


@dsl.pipeline(name="fix-and-retry")
def fix_and_retry(workdir: str):
    first = record(workdir=workdir, name="first")
    with dsl.ParallelFor(["a", "b", "c"]) as item:
        fixed = flaky(workdir=workdir, name=item).after(first)
    record(workdir=workdir, name="last").after(fixed)


@dsl.component(base_image="python:3.11")
def hold(workdir: str, name: str) -> str:
    import os
    import time

    pid_file = os.path.join(workdir, f"{name}.pid")
    with open(pid_file + ".tmp", "w") as f:
        f.write(str(os.getpid()))
    os.rename(pid_file + ".tmp", pid_file)  # whole, or not there yet
    deadline = time.monotonic() + 300
    while not os.path.exists(os.path.join(workdir, f"{name}.go")) and time.monotonic() < deadline:
        time.sleep(0.05)
    return name


@dsl.pipeline(name="three-held")
def three_held(workdir: str):
    with dsl.ParallelFor(["a", "b", "c"]) as item:
        hold(workdir=workdir, name=item)
