"""Run the real `headrace` command in a subprocess with its own HEADRACE_HOME."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

HEADRACE = str(Path(sys.executable).parent / "headrace")


@dataclass
class Cli:
    home: Path

    def env(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEADRACE_")}
        env.pop("KFP_DISABLE_EXECUTION_CACHING_BY_DEFAULT", None)
        return {**env, "HEADRACE_HOME": str(self.home), "HEADRACE_MAX_PARALLEL": "2", **extra}

    def __call__(self, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [HEADRACE, *args],
            capture_output=True,
            text=True,
            env=self.env(**env),
            timeout=240,
            check=False,
        )

    def json(self, *args: str) -> Any:
        result = self(*args, "--output", "json")
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout)


@pytest.fixture
def cli(tmp_path: Path) -> Cli:
    return Cli(tmp_path / "home")
