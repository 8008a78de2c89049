"""Lightweight @dsl.component commands: parsed, run through kfp's executor_main, cached envs."""

# No `from __future__ import annotations`: kfp reads the components' annotations as types.

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from kfp import dsl
from kfp.dsl import Dataset, Output

from headrace.executors import (
    AttemptOutcome,
    LocalExecutor,
    PythonEnvCache,
    PythonEnvError,
    parse_lightweight,
)

from .attempts import component_argv, make_spec, run_to_end

SIX = "six==1.17.0"


@dsl.component(base_image="python:3.11")
def make_rows(rows: int, dataset: Output[Dataset]) -> int:
    with open(dataset.path, "w") as f:
        f.write("\n".join(str(i) for i in range(rows)))
    dataset.metadata["rows"] = rows
    print("wrote", rows, "rows")
    return rows * 2


@dsl.component(base_image="python:3.11", packages_to_install=[SIX])
def six_version() -> str:
    import six

    return six.__version__ + " " + six.__file__


@dsl.component(
    base_image="python:3.11",
    packages_to_install=["kfp==2.16.1", "pandas>=2", "kfp-kubernetes"],
    pip_index_urls=["https://a.example/simple", "https://b.example/simple"],
)
def with_index_urls() -> None:
    pass


@dsl.component(
    base_image="python:3.11",
    packages_to_install=["headrace-no-such-package==1.0"],
    pip_index_urls=["file:///nonexistent-headrace-index"],
)
def uninstallable() -> None:
    pass


@dsl.component(base_image="python:3.11", install_kfp_package=False)
def no_install() -> None:
    pass


def _executor_input(tmp_path: Path, *params: str, artifact: str | None = None) -> dict[str, Any]:
    outputs: dict[str, Any] = {
        "parameters": {p: {"outputFile": str(tmp_path / "out" / p)} for p in params},
        "outputFile": str(tmp_path / "out" / "executor_output.json"),
    }
    if artifact:
        outputs["artifacts"] = {
            artifact: {
                "artifacts": [
                    {
                        "name": artifact,
                        "type": {"schemaTitle": "system.Dataset"},
                        "uri": str(tmp_path / "artifacts" / artifact),
                        "metadata": {},
                    }
                ]
            }
        }
    return {"inputs": {"parameterValues": {"rows": 3}}, "outputs": outputs}


def test_parse_strips_the_pip_install_and_keeps_the_kfp_program() -> None:
    argv = component_argv(make_rows, {})
    parsed = parse_lightweight(argv)
    assert parsed is not None
    assert parsed.packages == () and parsed.index_urls == ()
    assert parsed.argv == argv[3:]
    assert parsed.argv[:2] == ["sh", "-ec"] and "kfp.dsl.executor_main" in parsed.argv[2]


def test_parse_keeps_user_packages_and_index_urls_but_not_kfp() -> None:
    parsed = parse_lightweight(component_argv(with_index_urls, {}))
    assert parsed is not None
    assert parsed.packages == ("pandas>=2", "kfp-kubernetes")
    assert parsed.index_urls == ("https://a.example/simple", "https://b.example/simple")


def test_parse_accepts_components_compiled_without_the_kfp_install() -> None:
    argv = component_argv(no_install, {})
    parsed = parse_lightweight(argv)
    assert parsed is not None and parsed.argv == argv and parsed.packages == ()


def test_parse_rejects_other_commands() -> None:
    assert parse_lightweight(["sh", "-c", "echo hi"]) is None
    assert parse_lightweight(["python3", "-m", "kfp.dsl.executor_main"]) is None
    assert parse_lightweight([]) is None


def test_component_runs_end_to_end_with_a_parameter_and_an_artifact(tmp_path: Path) -> None:
    executor_input = _executor_input(tmp_path, "Output", artifact="dataset")
    spec = make_spec(
        tmp_path,
        component_argv(make_rows, executor_input),
        executor_input=executor_input,
        output_parameter_types={"Output": "NUMBER_INTEGER"},
        image="python:3.11",
    )
    executor = LocalExecutor(envs=PythonEnvCache(tmp_path / "envs"))
    outcome = run_to_end(executor, spec)
    assert outcome.succeeded, outcome.error
    assert outcome.output_parameters == {"Output": 6}
    [dataset] = outcome.output_artifacts["dataset"]
    assert dataset.uri == str(tmp_path / "artifacts" / "dataset")
    assert dataset.metadata == {"rows": 3}
    assert Path(dataset.uri).read_text() == "0\n1\n2"
    assert "wrote 3 rows" in spec.log_path.read_text()
    assert _env_dirs(tmp_path / "envs") == []


@dataclass
class _FirstRun:
    root: Path
    cache: PythonEnvCache
    outcome: AttemptOutcome
    log: str


@pytest.fixture(scope="module")
def first_six_run(tmp_path_factory: pytest.TempPathFactory) -> Iterator[_FirstRun]:
    """The slow part, once per module: a task whose packages need a new environment."""
    root = tmp_path_factory.mktemp("envs")
    tmp_path = tmp_path_factory.mktemp("first")
    cache = PythonEnvCache(root)
    executor_input = _executor_input(tmp_path, "Output")
    spec = make_spec(
        tmp_path,
        component_argv(six_version, executor_input),
        executor_input=executor_input,
        output_parameter_types={"Output": "STRING"},
    )
    outcome = run_to_end(LocalExecutor(envs=cache), spec, timeout=300)
    yield _FirstRun(root, cache, outcome, spec.log_path.read_text())


def _env_dirs(root: Path) -> list[Path]:
    """Built environments; `bin/` holds only the python3 wrappers put first on PATH."""
    return [p for p in root.iterdir() if p.is_dir() and p.name != "bin"] if root.exists() else []


def test_packages_to_install_run_in_a_built_environment(first_six_run: _FirstRun) -> None:
    assert first_six_run.outcome.succeeded, first_six_run.outcome.error
    version, location = first_six_run.outcome.output_parameters["Output"].split(" ")
    assert version == "1.17.0"
    [env_dir] = _env_dirs(first_six_run.root)
    assert location.startswith(str(env_dir))
    assert first_six_run.cache.builds == 1
    assert "[headrace] building a Python environment for six==1.17.0" in first_six_run.log


def test_second_task_with_the_same_packages_reuses_the_environment(
    first_six_run: _FirstRun, tmp_path: Path
) -> None:
    [env_dir] = _env_dirs(first_six_run.root)
    pip_log_mtime = (env_dir / "pip.log").stat().st_mtime_ns
    cache = PythonEnvCache(first_six_run.root)  # as another worker process would
    executor_input = _executor_input(tmp_path, "Output")
    spec = make_spec(
        tmp_path,
        component_argv(six_version, executor_input),
        executor_input=executor_input,
        output_parameter_types={"Output": "STRING"},
    )
    outcome = run_to_end(LocalExecutor(envs=cache), spec)
    assert outcome.succeeded, outcome.error
    assert outcome.output_parameters["Output"].startswith("1.17.0 " + str(env_dir))
    assert cache.builds == 0
    assert _env_dirs(first_six_run.root) == [env_dir]
    assert (env_dir / "pip.log").stat().st_mtime_ns == pip_log_mtime
    assert "building" not in spec.log_path.read_text()


def test_no_packages_means_the_headrace_interpreter(tmp_path: Path) -> None:
    cache = PythonEnvCache(tmp_path / "envs", base_python="/opt/python/bin/python3")
    assert cache.python_for([]) == "/opt/python/bin/python3"
    assert not (tmp_path / "envs").exists()


def test_failed_pip_install_raises_naming_the_packages_and_pip_error(tmp_path: Path) -> None:
    cache = PythonEnvCache(tmp_path / "envs")
    with pytest.raises(PythonEnvError) as caught:
        cache.python_for(["headrace-no-such-package==1.0"], ["file:///nonexistent-headrace-index"])
    assert "headrace-no-such-package==1.0" in str(caught.value)
    assert "No matching distribution" in str(caught.value)
    assert _env_dirs(tmp_path / "envs") == []


def test_failed_pip_install_is_a_failed_outcome(tmp_path: Path) -> None:
    executor_input = _executor_input(tmp_path)
    spec = make_spec(
        tmp_path, component_argv(uninstallable, executor_input), executor_input=executor_input
    )
    outcome = run_to_end(LocalExecutor(envs=PythonEnvCache(tmp_path / "envs")), spec)
    assert outcome.exit_code is None and outcome.error is not None
    assert "pip could not install headrace-no-such-package==1.0" in outcome.error


def test_half_built_environment_is_rebuilt_not_reused(tmp_path: Path) -> None:
    cache = PythonEnvCache(tmp_path / "envs")
    half_built = cache.env_dir([SIX])
    (half_built / "bin").mkdir(parents=True)
    (half_built / "leftover-from-a-crash").write_text("")
    python = cache.python_for([SIX])
    assert cache.builds == 1
    assert python == str(half_built / "bin" / "python") and Path(python).exists()
    assert not (half_built / "leftover-from-a-crash").exists()
    assert json.loads((half_built / ".headrace-env-complete").read_text())["packages"] == [SIX]


def test_concurrent_requests_build_the_environment_once(tmp_path: Path) -> None:
    caches = [PythonEnvCache(tmp_path / "envs") for _ in range(3)]
    with ThreadPoolExecutor(len(caches)) as pool:
        pythons = list(pool.map(lambda cache: cache.python_for([SIX]), caches))
    assert len(set(pythons)) == 1
    assert sum(cache.builds for cache in caches) == 1
    assert len(_env_dirs(tmp_path / "envs")) == 1
