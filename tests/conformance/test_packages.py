"""Lightweight components with packages_to_install: one cached environment per package set."""

from kfp import dsl

from headrace.executors import PythonEnvCache
from headrace.states import RunState

from .conftest import Harness

SIX = "six==1.16.0"


@dsl.component(packages_to_install=[SIX])
def six_user(tag: str) -> str:
    import sys

    import six

    return f"{tag} {six.__version__} {sys.executable}"


@dsl.component
def plain() -> str:
    import importlib.util
    import sys

    return f"{importlib.util.find_spec('six') is not None} {sys.executable}"


@dsl.pipeline
def with_packages():
    six_user(tag="a").set_caching_options(False)
    six_user(tag="b").set_caching_options(False)
    plain().set_caching_options(False)


def test_two_tasks_share_one_environment(harness: Harness, python_envs: PythonEnvCache) -> None:
    result = harness.run(with_packages)
    assert result.state is RunState.SUCCEEDED, result.run.error
    tag_a, version_a, python_a = result.output("six-user").split()
    tag_b, version_b, python_b = result.output("six-user-2").split()
    assert (tag_a, tag_b) == ("a", "b")
    assert version_a == version_b == "1.16.0"
    assert python_a == python_b
    env_dir = python_envs.env_dir([SIX])
    assert python_a.startswith(str(env_dir))
    # The bare task runs in the Headrace interpreter, not in the six environment.
    assert str(env_dir) not in result.output("plain")
    # The compiled `pip install kfp==...` prefix was not run per task.
    assert all("Successfully installed" not in text for text in result.logs("six-user"))
    builds = python_envs.builds
    again = harness.run(with_packages)
    assert again.state is RunState.SUCCEEDED
    assert python_envs.builds == builds
