"""Pipelines more than one Ray test module runs."""

from kfp import dsl


@dsl.component
def write_pid_and_sleep(pid_file: str) -> None:
    import os
    import subprocess
    import time

    # A grandchild of the Ray worker: only the end of the whole process group stops it.
    child = subprocess.Popen(["sleep", "600"])
    with open(pid_file, "w") as handle:
        handle.write(f"{os.getpid()} {child.pid}")
    time.sleep(600)


@dsl.pipeline
def sleeper(pid_file: str):
    write_pid_and_sleep(pid_file=pid_file).set_caching_options(False)
