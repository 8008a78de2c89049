"""The helper process that removes succeeded attempts' scratch directories."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from headrace.executors._janitor import Janitor, make_scratch_dir

from .attempts import wait_for


def _scratch(root: Path, name: str) -> Path:
    path = root / name
    (path / "work" / "nested").mkdir(parents=True)
    (path / "work" / "nested" / "left.txt").write_text("a file the program left")
    (path / "executor_output.json").write_text("{}")
    return path


def test_close_returns_once_every_given_directory_is_gone(tmp_path: Path) -> None:
    janitor = Janitor()
    given = [_scratch(tmp_path, f"task-{i}.0") for i in range(50)]
    given.append(_scratch(tmp_path, "a name with\na newline and spaces"))
    kept = _scratch(tmp_path, "failed.0")
    for path in given:
        janitor.remove(path)
    janitor.close()
    assert [p.name for p in tmp_path.iterdir()] == [kept.name]
    assert (kept / "work" / "nested" / "left.txt").exists()


def test_at_close_only_runs_with_a_kept_scratch_keep_their_directory(tmp_path: Path) -> None:
    succeeded, failed = tmp_path / "succeeded-run", tmp_path / "failed-run"
    janitor = Janitor()
    janitor.remove(_scratch(succeeded, "a.0"))
    janitor.remove(_scratch(succeeded, "b.0"))
    kept = _scratch(failed, "c.0")
    janitor.remove(_scratch(failed, "d.0"))
    janitor.close()
    assert [p.name for p in tmp_path.iterdir()] == [failed.name]
    assert [p.name for p in failed.iterdir()] == [kept.name]


def test_a_run_s_empty_directory_goes_once_nothing_else_is_given_for_a_second(
    tmp_path: Path,
) -> None:
    run = tmp_path / "run"
    janitor = Janitor()
    try:
        janitor.remove(_scratch(run, "a.0"))
        wait_for(lambda: not (run / "a.0").exists())
        wait_for(lambda: not run.exists())  # without closing: a server's janitor never closes
    finally:
        janitor.close()


def test_a_scratch_dir_is_made_when_its_run_s_went_meanwhile(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run = tmp_path / "run"
    real_mkdir, real_rmdir = os.mkdir, os.rmdir
    removed = []

    def mkdir_and_lose_the_run(path: str | os.PathLike[str], mode: int = 0o777) -> None:
        real_mkdir(path, mode)
        if Path(path) == run and not removed:
            # The janitor removing the run's last other scratch, then the run's empty directory.
            real_rmdir(run)
            removed.append(run)

    monkeypatch.setattr(os, "mkdir", mkdir_and_lose_the_run)
    make_scratch_dir(run / "task.0" / "work")
    assert removed
    assert (run / "task.0" / "work").is_dir()


def test_a_dead_helper_is_replaced_and_nothing_is_left(tmp_path: Path) -> None:
    janitor = Janitor()
    janitor.remove(_scratch(tmp_path, "first.0"))
    helper = janitor._helper
    assert helper is not None
    helper.kill()  # the OOM killer, or someone's kill
    helper.wait()
    janitor.remove(_scratch(tmp_path, "second.0"))
    assert janitor._helper is not helper
    janitor.close()
    assert not (tmp_path / "second.0").exists()


def test_a_closed_janitor_starts_again_when_used(tmp_path: Path) -> None:
    janitor = Janitor()
    janitor.close()  # never used: nothing to wait for
    janitor.remove(_scratch(tmp_path, "after.0"))
    janitor.close()
    assert not (tmp_path / "after.0").exists()
