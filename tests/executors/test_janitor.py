"""The helper process that removes succeeded attempts' scratch directories."""

from __future__ import annotations

from pathlib import Path

from headrace.executors._janitor import Janitor


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
