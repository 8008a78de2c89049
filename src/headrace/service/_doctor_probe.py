"""The lightweight component `headrace doctor` runs through the warm executor."""

# No `from __future__ import annotations`: kfp reads the component's annotations as types.

import json
from typing import Any


def headrace_doctor_probe() -> None:
    print("headrace doctor probe")


def probe_argv(executor_input: dict[str, Any]) -> list[str]:
    """The command kfp compiles for the probe component, with `{{$}}` resolved."""
    from google.protobuf import json_format
    from kfp import dsl

    component = dsl.component(
        headrace_doctor_probe, base_image="python:3.11", install_kfp_package=False
    )
    spec = json_format.MessageToDict(component.pipeline_spec)
    (executor,) = spec["deploymentSpec"]["executors"].values()
    argv = [*executor["container"]["command"], *executor["container"]["args"]]
    return [json.dumps(executor_input) if a == "{{$}}" else a for a in argv]
