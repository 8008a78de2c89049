# No `from __future__ import annotations`: kfp reads component annotations at runtime.
"""A task that prints a line, then waits for a marker file (at most two minutes) to finish."""

from kfp import dsl


@dsl.component
def chatty(marker: str):
    import os
    import time

    print("first line", flush=True)
    deadline = time.monotonic() + 120
    while not os.path.exists(marker) and time.monotonic() < deadline:
        time.sleep(0.05)
    print("second line", flush=True)


@dsl.pipeline(name="chatty")
def chatty_pipeline(marker: str):
    chatty(marker=marker)
