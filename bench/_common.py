"""What the benchmarks share: the machine they ran on, and each one's section of the report.

docs/benchmarks.md holds one section per benchmark script between HTML comment markers, so that
each script rewrites its own section and leaves the others as they were measured.
"""

import os
import platform
from pathlib import Path

TITLE = "# Benchmarks"


def machine() -> str:
    """CPU model, cores, memory and Python version, in one line."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} cores{mem}, Python {platform.python_version()}"


def write_section(path: Path, owner: str, text: str) -> None:
    """Put `text` between `owner`'s markers in `path`, replacing what was there or appending."""
    begin, end = f"<!-- begin {owner} -->", f"<!-- end {owner} -->"
    block = f"{begin}\n{text.strip()}\n{end}"
    current = path.read_text() if path.exists() else f"{TITLE}\n"
    start, stop = current.find(begin), current.find(end)
    if start >= 0 and stop > start:
        updated = current[:start] + block + current[stop + len(end) :]
    else:
        updated = current.rstrip() + "\n\n" + block + "\n"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(updated)
