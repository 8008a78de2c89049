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


@pytest.mark.parametrize(
    ("before", "after"),
    [
        # Python's default: young objects collected less often, the older thresholds kept.
        ((700, 10, 10), (YOUNG_THRESHOLD, 10, 10)),
        # A larger threshold set by the embedding program is kept.
        ((100_000, 5, 5), (100_000, 5, 5)),
    ],
)
def test_the_command_collects_young_objects_less_often_and_never_more_often(
    restored_threshold: None,
    monkeypatch: pytest.MonkeyPatch,
    before: tuple[int, int, int],
    after: tuple[int, int, int],
) -> None:
    gc.set_threshold(*before)
    monkeypatch.setattr("sys.argv", ["headrace", "--help"])
    with pytest.raises(SystemExit):
        main()
    assert gc.get_threshold() == after
