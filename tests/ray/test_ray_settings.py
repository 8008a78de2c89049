"""Choosing the Ray executor: settings, flags and a clear message when ray is not installed."""

import json
import os
import subprocess
import sys
from pathlib import Path

HEADRACE = str(Path(sys.executable).parent / "headrace")
HELLO = Path(__file__).parents[2] / "examples" / "hello_pipeline.py"


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEADRACE_")}
    return {**env, "HEADRACE_HOME": str(tmp_path / "home"), **extra}


def _headrace(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HEADRACE, *args],
        capture_output=True,
        text=True,
        env=_env(tmp_path, **env),
        timeout=120,
        check=False,
    )


def test_without_ray_installed_choosing_it_says_how_to_install_it(tmp_path: Path) -> None:
    # A `ray` package that cannot be imported, first on the path: what a missing install does.
    (tmp_path / "shadow" / "ray").mkdir(parents=True)
    (tmp_path / "shadow" / "ray" / "__init__.py").write_text(
        "raise ImportError(\"No module named 'ray'\")\n"
    )
    shadow = {"PYTHONPATH": str(tmp_path / "shadow")}
    result = _headrace(tmp_path, "run", str(HELLO), "--executor", "ray", **shadow)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "pip install 'headrace[ray]'" in result.stderr
    # Nothing was stored: the check comes before the run is created.
    assert not (tmp_path / "home" / "headrace.db").exists()
    doctor = _headrace(tmp_path, "doctor", **shadow, HEADRACE_EXECUTOR="ray")
    assert doctor.returncode == 1
    assert "pip install 'headrace[ray]'" in doctor.stdout + doctor.stderr


def test_config_show_lists_the_executor_and_the_ray_address(tmp_path: Path) -> None:
    result = _headrace(
        tmp_path,
        "config",
        "show",
        "--output",
        "json",
        HEADRACE_EXECUTOR="ray",
        HEADRACE_RAY_ADDRESS="head.example:6379",
    )
    assert result.returncode == 0, result.stderr
    shown = json.loads(result.stdout)["settings"]
    assert shown["executor"]["value"] == "ray"
    assert shown["ray_address"]["value"] == "head.example:6379"
    assert shown["ray_address"]["origin"] == "environment HEADRACE_RAY_ADDRESS"


def test_an_unknown_executor_is_refused_naming_the_choices(tmp_path: Path) -> None:
    result = _headrace(tmp_path, "run", str(HELLO), "--executor", "spark")
    assert result.returncode == 2
    assert "warm, local or ray" in result.stderr


def test_a_ray_client_address_is_refused_saying_why(tmp_path: Path) -> None:
    result = _headrace(
        tmp_path, "run", str(HELLO), "--executor", "ray", "--ray-address", "ray://head:10001"
    )
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Ray Client cannot stream task logs" in " ".join(result.stderr.split())
    assert not (tmp_path / "home" / "headrace.db").exists()
