"""Settings: flags > HEADRACE_* environment > defaults, in one object."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_home() -> Path:
    return Path("~/.headrace").expanduser()


class Settings(BaseSettings):
    """Every effective setting of a Headrace process."""

    model_config = SettingsConfigDict(env_prefix="HEADRACE_", extra="ignore")

    home: Path = Field(default_factory=_default_home)
    database_url: str = ""
    pipeline_root: str = ""
    max_parallel: int = Field(default_factory=lambda: os.cpu_count() or 1, ge=1)
    lease_seconds: float = Field(default=15.0, gt=0)
    executor: Literal["warm", "local"] = "warm"

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.home / 'headrace.db'}"

    def resolved_pipeline_root(self) -> str:
        return self.pipeline_root or str(self.home / "artifacts")
