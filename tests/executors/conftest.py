"""A log sink that records what the executor streams."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest


@pytest.fixture
def sink_lines() -> list[tuple[str, str, str]]:
    return []


@pytest.fixture
def sink(sink_lines: list[tuple[str, str, str]]) -> Callable[[str, str, str], None]:
    lock = threading.Lock()

    def record(task_path: str, stream: str, line: str) -> None:
        with lock:
            sink_lines.append((task_path, stream, line))

    return record
