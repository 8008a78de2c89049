"""The `headrace` command sets the collector up for engines before it does anything else."""

import gc
from collections.abc import Iterator

import pytest

from headrace._gc import YOUNG_THRESHOLD
from headrace.cli import main


@pytest.fixture
def restored_threshold() -> Iterator[None]:
    before = gc.get_threshold()
    yield
    gc.set_threshold(*before)


def test_the_command_collects_young_objects_less_often_and_keeps_the_older_thresholds(
    restored_threshold: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.set_threshold(700, 10, 10)
    monkeypatch.setattr("sys.argv", ["headrace", "--help"])
    with pytest.raises(SystemExit):
        main()
    assert gc.get_threshold() == (YOUNG_THRESHOLD, 10, 10)


def test_a_larger_threshold_set_by_the_embedding_program_is_kept(
    restored_threshold: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    gc.set_threshold(100_000, 5, 5)
    monkeypatch.setattr("sys.argv", ["headrace", "--help"])
    with pytest.raises(SystemExit):
        main()
    assert gc.get_threshold() == (100_000, 5, 5)
