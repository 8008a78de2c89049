"""Lightweight Python components: strip kfp's per-task pip install, use cached environments."""

from __future__ import annotations

import contextlib
import fcntl
import functools
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from headrace.errors import HeadraceError

_EXECUTOR_MAIN = "python3 -m kfp.dsl.executor_main"
_INSTALL_SCRIPT = re.compile(
    r'\s*if ! \[ -x "\$\(command -v pip\)" \]; then\n.*?\nfi\n\s*'
    r"PIP_DISABLE_PIP_VERSION_CHECK=1 (?P<commands>.*)"
    r'&& "\$0" "\$@"\s*',
    re.DOTALL,
)
_OPTIONS_WITH_VALUE = {"--index-url", "-i", "--extra-index-url", "--trusted-host"}
# kfp pins typing-extensions for Python < 3.9 next to its own install; Headrace's env has it.
_KFP_MARKER_LINE = 'typing-extensions>=3.7.4,<5; python_version<"3.9"'
_REQUIREMENT_NAME = re.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_COMPLETE_MARKER = ".headrace-env-complete"


class PythonEnvError(HeadraceError):
    """A cached Python environment for a lightweight component could not be built."""


@dataclass(frozen=True)
class LightweightCommand:
    """A kfp lightweight-component command with its pip-install prefix taken apart."""

    argv: list[str]
    packages: tuple[str, ...]
    index_urls: tuple[str, ...]


def parse_lightweight(argv: Sequence[str]) -> LightweightCommand | None:
    """Recognise the command kfp compiles for @dsl.component; None for anything else."""
    args = list(argv)
    if _is_executor_program(args):
        return LightweightCommand(argv=args, packages=(), index_urls=())
    if len(args) < 6 or args[:2] != ["sh", "-c"] or not _is_executor_program(args[3:]):
        return None
    installs = _pip_installs(args[2])
    if installs is None:
        return None
    packages, index_urls = installs
    return LightweightCommand(argv=args[3:], packages=packages, index_urls=index_urls)


@functools.lru_cache(maxsize=256)
def _pip_installs(script: str) -> tuple[tuple[str, ...], tuple[str, ...]] | None:
    """The packages and index URLs of kfp's install script; None if it is not one.

    Cached: every attempt of a component has the same script, and shlex costs about 0.4 ms.
    """
    match = _INSTALL_SCRIPT.fullmatch(script)
    if match is None:
        return None
    try:
        tokens = shlex.split(match.group("commands"))
    except ValueError:
        return None
    packages: list[str] = []
    index_urls: list[str] = []
    for segment in _split_on(tokens, "&&"):
        for i in range(len(segment) - 1):
            if segment[i : i + 2] == ["pip", "install"]:
                _read_pip_install(segment[i + 2 :], packages, index_urls)
                break
    return tuple(dict.fromkeys(packages)), tuple(dict.fromkeys(index_urls))


def _is_executor_program(args: list[str]) -> bool:
    return len(args) >= 3 and args[:2] == ["sh", "-ec"] and _EXECUTOR_MAIN in args[2]


def _split_on(tokens: list[str], separator: str) -> Iterator[list[str]]:
    segment: list[str] = []
    for token in tokens:
        if token == separator:
            yield segment
            segment = []
        else:
            segment.append(token)
    yield segment


def _read_pip_install(words: list[str], packages: list[str], index_urls: list[str]) -> None:
    words_iter = iter(words)
    for word in words_iter:
        if word in _OPTIONS_WITH_VALUE:
            value = next(words_iter, "")
            if word != "--trusted-host" and value:
                index_urls.append(value)
        elif word.startswith("-") or word == _KFP_MARKER_LINE:
            continue
        elif not _is_kfp(word):
            packages.append(word)


def _is_kfp(requirement: str) -> bool:
    match = _REQUIREMENT_NAME.match(requirement)
    return match is not None and re.sub(r"[-_.]+", "-", match.group(1)).lower() == "kfp"


class PythonEnvCache:
    """Virtual environments keyed by package set, built once and shared by tasks and processes."""

    def __init__(self, root: Path, base_python: str = sys.executable) -> None:
        self.root = Path(root)
        self.base_python = base_python
        self.builds = 0
        """How many environments this instance has built (a cache hit builds none)."""
        self._lock = threading.Lock()

    def python_for(
        self,
        packages: Sequence[str],
        index_urls: Sequence[str] = (),
        *,
        on_build: Callable[[str], None] | None = None,
    ) -> str:
        """Path of a python that has these packages and the Headrace environment's (kfp)."""
        if not packages:
            return self.base_python
        env_dir = self.env_dir(packages, index_urls)
        python = str(env_dir / "bin" / "python")
        if (env_dir / _COMPLETE_MARKER).exists():
            return python
        self.root.mkdir(parents=True, exist_ok=True)
        with _file_lock(env_dir.with_name(f"{env_dir.name}.lock")):
            if not (env_dir / _COMPLETE_MARKER).exists():
                if on_build is not None:
                    on_build(f"building a Python environment for {' '.join(packages)} in {env_dir}")
                self._build(env_dir, sorted(set(packages)), list(index_urls))
                with self._lock:
                    self.builds += 1
        return python

    def env_dir(self, packages: Sequence[str], index_urls: Sequence[str] = ()) -> Path:
        """Where the environment for these packages lives (built or not)."""
        identity = {
            "packages": sorted(set(packages)),
            "index_urls": list(index_urls),
            "base_python": self.base_python,
        }
        return self.root / hashlib.sha256(json.dumps(identity).encode()).hexdigest()

    def bin_dir_for(self, python: str) -> Path:
        """A directory whose `python3` and `python` run this interpreter, to put first on PATH."""
        key = hashlib.sha256(python.encode()).hexdigest()[:16]
        bin_dir = self.root / "bin" / key
        if bin_dir.is_dir():
            return bin_dir
        bin_dir.parent.mkdir(parents=True, exist_ok=True)
        # Wrapper scripts, not symlinks: a venv's python finds its pyvenv.cfg from the path it was
        # started by, so a symlink elsewhere would lose the venv.
        staging = Path(tempfile.mkdtemp(prefix=f".{key}-", dir=bin_dir.parent))
        for name in ("python3", "python"):
            wrapper = staging / name
            wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(python)} "$@"\n')
            wrapper.chmod(0o755)
        try:
            staging.rename(bin_dir)
        except OSError:
            shutil.rmtree(staging, ignore_errors=True)
            if not bin_dir.is_dir():
                raise
        return bin_dir

    def _build(self, env_dir: Path, packages: list[str], index_urls: list[str]) -> None:
        # Built in place (a venv is not relocatable: console scripts carry its absolute path);
        # the marker written last tells a finished environment from a half-built one.
        shutil.rmtree(env_dir, ignore_errors=True)
        base_has_pip = _run([self.base_python, "-c", "import pip"]).returncode == 0
        venv_cmd = [self.base_python, "-m", "venv", str(env_dir)]
        created = _run([*venv_cmd, "--without-pip"] if base_has_pip else venv_cmd)
        if created.returncode != 0:
            raise PythonEnvError(
                f"could not create a virtual environment in {env_dir} with {self.base_python}",
                hint=_tail(created.stdout),
            )
        env_python = str(env_dir / "bin" / "python")
        pip = (
            [self.base_python, "-m", "pip", "--python", env_python]
            if base_has_pip
            else [env_python, "-m", "pip"]
        )
        index_options: list[str] = []
        for i, url in enumerate(index_urls):
            index_options += ["--index-url" if i == 0 else "--extra-index-url", url]
        installed = _run(
            [
                *pip,
                "install",
                "--no-input",
                "--disable-pip-version-check",
                *index_options,
                *packages,
            ]
        )
        (env_dir / "pip.log").write_text(installed.stdout)
        if installed.returncode != 0:
            shutil.rmtree(env_dir, ignore_errors=True)
            raise PythonEnvError(
                f"pip could not install {' '.join(packages)} for a lightweight component",
                hint="check the names and versions in packages_to_install; pip said: "
                + _tail(installed.stdout),
            )
        site_packages = _site_packages(env_python)
        lines = [
            f"import site; site.addsitedir({path!r})" for path in _site_packages(self.base_python)
        ]
        (Path(site_packages[0]) / "_headrace_base_env.pth").write_text("\n".join(lines) + "\n")
        (env_dir / _COMPLETE_MARKER).write_text(
            json.dumps({"packages": packages, "index_urls": index_urls})
        )


def _site_packages(python: str) -> list[str]:
    code = (
        "import json, sysconfig; p = sysconfig.get_paths(); "
        "print(json.dumps([p['purelib'], p['platlib']]))"
    )
    result = _run([python, "-c", code])
    if result.returncode != 0:
        raise PythonEnvError(
            f"could not ask {python} for its site-packages", hint=_tail(result.stdout)
        )
    paths: list[str] = json.loads(result.stdout)
    return list(dict.fromkeys(paths))


def _run(argv: list[str]) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    return subprocess.run(
        argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, check=False
    )


def _tail(output: str, lines: int = 12) -> str:
    return "\n".join(output.strip().splitlines()[-lines:])


@contextlib.contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    with open(path, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
