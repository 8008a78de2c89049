"""Kubeflow v2beta1 list semantics: sort_by, JSON filters with integer codes, keyset pages."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from datetime import timedelta

import pytest

from headrace.errors import InvalidArgumentError
from headrace.states import RunState
from headrace.store import Store
from headrace.store.records import ListQuery, RunRecord, RunSummary

RunFactory = Callable[..., RunRecord]


def _filter(*predicates: Mapping[str, object]) -> str:
    return json.dumps({"predicates": list(predicates)})


def _all_pages(store: Store, query: ListQuery, experiment_id: str | None = None) -> list[str]:
    ids: list[str] = []
    token = None
    while True:
        page = store.list_runs_page(
            ListQuery(
                namespace=query.namespace,
                page_size=query.page_size,
                page_token=token,
                sort_by=query.sort_by,
                filter=query.filter,
            ),
            experiment_id,
        )
        assert len(page.items) <= (query.page_size or 20)
        ids += [r.id for r in page.items]
        token = page.next_page_token
        if token is None:
            return ids


def test_runs_list_oldest_first_by_default_with_total_size(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    runs = [make_run(display_name=f"r{i}") for i in range(5)]
    page = store.list_runs_page(ListQuery(namespace=namespace, page_size=2))
    assert [r.id for r in page.items] == [r.id for r in runs[:2]]
    assert page.total_size == 5
    assert page.next_page_token is not None
    assert _all_pages(store, ListQuery(namespace=namespace, page_size=2)) == [r.id for r in runs]


def test_run_summaries_carry_no_specs(store: Store, make_run: RunFactory, namespace: str) -> None:
    run = make_run(platform_spec={"platforms": {}})
    (summary,) = store.list_runs_page(ListQuery(namespace=namespace)).items
    assert isinstance(summary, RunSummary)
    assert not hasattr(summary, "pipeline_spec") and not hasattr(summary, "platform_spec")
    assert summary.id == run.id and summary.parameters == run.parameters
    assert summary.storage_state == "AVAILABLE"


@pytest.mark.parametrize(
    "sort_by",
    ["created_at desc", "name", "display_name desc", "state", "finished_at", "finished_at desc"],
)
def test_every_page_order_visits_each_run_once_in_order(
    store: Store, make_run: RunFactory, namespace: str, sort_by: str
) -> None:
    runs = [make_run(display_name=f"run {i % 3}") for i in range(7)]
    for run in runs[::2]:
        store.set_run_state(run.id, RunState.SUCCEEDED, finished_at=run.created_at)
    full = store.list_runs_page(ListQuery(namespace=namespace, sort_by=sort_by, page_size=100))
    assert sorted(r.id for r in full.items) == sorted(r.id for r in runs)
    key, _, direction = sort_by.partition(" ")
    attribute = "display_name" if key == "name" else key
    values = [getattr(r, attribute) for r in full.items]
    present = [v for v in values if v is not None]
    assert present == sorted(present, reverse=direction == "desc")
    if key == "finished_at":  # NULLs count as smallest: first ascending, last descending
        nulls = [v is None for v in values]
        assert nulls == sorted(nulls, reverse=direction != "desc")
    for size in (1, 2, 3):
        query = ListQuery(namespace=namespace, sort_by=sort_by, page_size=size)
        assert _all_pages(store, query) == [r.id for r in full.items]


def test_sort_direction_is_case_insensitive_and_spaces_are_trimmed(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    runs = [make_run() for _ in range(3)]
    page = store.list_runs_page(ListQuery(namespace=namespace, sort_by="  created_at   DESC "))
    assert [r.id for r in page.items] == [r.id for r in reversed(runs)]


def test_a_page_token_skips_nothing_when_runs_are_added_between_pages(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    first, second, third = (make_run() for _ in range(3))
    query = ListQuery(namespace=namespace, page_size=2, sort_by="created_at desc")
    page = store.list_runs_page(query)
    assert [r.id for r in page.items] == [third.id, second.id]
    make_run()
    rest = store.list_runs_page(
        ListQuery(
            namespace=namespace,
            page_size=2,
            sort_by="created_at desc",
            page_token=page.next_page_token,
        )
    )
    assert [r.id for r in rest.items] == [first.id]


def test_runs_are_listed_per_experiment(store: Store, make_run: RunFactory, namespace: str) -> None:
    experiment = store.ensure_experiment(namespace, "e")
    inside = [make_run(experiment_id=experiment) for _ in range(3)]
    make_run()
    page = store.list_runs_page(ListQuery(), experiment_id=experiment)
    assert [r.id for r in page.items] == [r.id for r in inside]
    assert page.total_size == 3
    assert _all_pages(store, ListQuery(page_size=1), experiment) == [r.id for r in inside]


def test_filter_with_the_integer_codes_and_camel_case_kfp_client_sends(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    wanted = make_run(display_name="wanted")
    make_run(display_name="other")
    kfp_style = json.dumps(
        {"predicates": [{"operation": 1, "key": "display_name", "stringValue": "wanted"}]}
    )
    page = store.list_runs_page(ListQuery(namespace=namespace, filter=kfp_style))
    assert [r.id for r in page.items] == [wanted.id]
    assert page.total_size == 1


@pytest.mark.parametrize(
    ("predicate", "expected"),
    [
        ({"key": "name", "operation": "EQUALS", "string_value": "b"}, ["b"]),
        ({"key": "display_name", "operation": "NOT_EQUALS", "string_value": "b"}, ["a", "c"]),
        ({"key": "name", "operation": "GREATER_THAN", "string_value": "a"}, ["b", "c"]),
        ({"key": "name", "operation": 5, "string_value": "b"}, ["b", "c"]),
        ({"key": "name", "operation": "LESS_THAN", "string_value": "b"}, ["a"]),
        ({"key": "name", "operation": "7", "string_value": "b"}, ["a", "b"]),
        ({"key": "name", "operation": "IN", "string_values": {"values": ["a", "c"]}}, ["a", "c"]),
        ({"key": "name", "operation": 8, "stringValues": ["c", "zz"]}, ["c"]),
        ({"key": "name", "operation": "IN", "string_values": {"values": []}}, []),
        ({"key": "state", "operation": "EQUALS", "string_value": "SUCCEEDED"}, ["b"]),
        (
            {"key": "storage_state", "operation": "NOT_EQUALS", "string_value": "ARCHIVED"},
            ["a", "b"],
        ),
    ],
)
def test_each_filter_operation_selects_the_matching_runs(
    store: Store,
    make_run: RunFactory,
    namespace: str,
    predicate: dict[str, object],
    expected: list[str],
) -> None:
    _, b, c = (make_run(display_name=n) for n in "abc")
    store.set_run_state(b.id, RunState.SUCCEEDED)
    store.archive_run(c.id)
    query = ListQuery(namespace=namespace, sort_by="name", filter=_filter(predicate))
    assert [r.display_name for r in store.list_runs_page(query).items] == expected


def test_is_substring_matches_any_case_and_escapes_wildcards(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    make_run(display_name="Training 100% done")
    make_run(display_name="training_v2")
    make_run(display_name="trainingXv3")
    make_run(display_name="eval")

    def names(value: str) -> list[str]:
        predicate = {"key": "name", "operation": 9, "string_value": value}
        query = ListQuery(namespace=namespace, sort_by="name", filter=_filter(predicate))
        return [r.display_name for r in store.list_runs_page(query).items]

    assert names("train") == ["Training 100% done", "trainingXv3", "training_v2"]
    assert names("0%") == ["Training 100% done"]
    assert names("g_v") == ["training_v2"]
    assert names("z") == []


def test_timestamps_filter_by_rfc3339_or_unix_seconds(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    early = make_run(display_name="early")
    late = make_run(display_name="late")
    cut = early.created_at + (late.created_at - early.created_at) / 2
    after = {"key": "created_at", "operation": "GREATER_THAN", "timestamp_value": cut.isoformat()}
    page = store.list_runs_page(ListQuery(namespace=namespace, filter=_filter(after)))
    assert [r.id for r in page.items] == [late.id]
    zulu = cut.isoformat().replace("+00:00", "Z")
    before = {"key": "created_at", "operation": "LESS_THAN", "timestampValue": zulu}
    page = store.list_runs_page(ListQuery(namespace=namespace, filter=_filter(before)))
    assert [r.id for r in page.items] == [early.id]
    seconds = int((early.created_at - timedelta(days=1)).timestamp())
    recent = {"key": "created_at", "operation": 3, "long_value": str(seconds)}
    both = store.list_runs_page(ListQuery(namespace=namespace, filter=_filter(recent)))
    assert both.total_size == 2


def test_several_predicates_all_apply(store: Store, make_run: RunFactory, namespace: str) -> None:
    match = make_run(display_name="x")
    store.set_run_state(make_run(display_name="x").id, RunState.FAILED)
    make_run(display_name="y")
    query = ListQuery(
        namespace=namespace,
        filter=_filter(
            {"key": "name", "operation": 1, "string_value": "x"},
            {"key": "state", "operation": 1, "string_value": "PENDING"},
        ),
    )
    assert [r.id for r in store.list_runs_page(query).items] == [match.id]


def test_filtered_pages_keep_the_filter(store: Store, make_run: RunFactory, namespace: str) -> None:
    keep = [make_run(display_name="keep") for _ in range(5)]
    for _ in range(3):
        make_run(display_name="drop")
    query = ListQuery(
        namespace=namespace,
        page_size=2,
        filter=_filter({"key": "name", "operation": 1, "string_value": "keep"}),
    )
    assert _all_pages(store, query) == [r.id for r in keep]
    assert store.list_runs_page(query).total_size == 5


def test_page_size_zero_means_twenty(store: Store, make_run: RunFactory, namespace: str) -> None:
    for _ in range(21):
        make_run()
    page = store.list_runs_page(ListQuery(namespace=namespace, page_size=0))
    assert len(page.items) == 20 and page.total_size == 21
    page = store.list_runs_page(ListQuery(namespace=namespace, page_size=None))
    assert len(page.items) == 20
    assert len(store.list_runs_page(ListQuery(namespace=namespace, page_size=1000)).items) == 21


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (ListQuery(page_size=1001), "page_size 1001 is out of range"),
        (ListQuery(page_size=-1), "page_size -1 is out of range"),
        (ListQuery(sort_by="pipeline_spec"), "cannot sort runs by 'pipeline_spec'"),
        (ListQuery(sort_by="storage_state"), "cannot sort runs by 'storage_state'"),
        (ListQuery(sort_by="created_at sideways"), "is not 'field', 'field asc' or 'field desc'"),
        (ListQuery(sort_by="a b c"), "is not 'field'"),
        (ListQuery(filter="{not json"), "filter is not valid JSON"),
        (ListQuery(filter="[]"), "must be a JSON object"),
        (ListQuery(filter='{"predicates": {}}'), "'predicates' must be a list"),
        (ListQuery(filter='{"preds": []}'), "unknown field"),
        (ListQuery(filter=_filter({"key": "owner", "operation": 1, "string_value": "x"})), "owner"),
        (ListQuery(filter=_filter({"key": "name", "operation": 4, "string_value": "x"})), "4"),
        (
            ListQuery(filter=_filter({"key": "name", "operation": "LIKE", "string_value": "x"})),
            "LIKE",
        ),
        (ListQuery(filter=_filter({"key": "name", "operation": 1})), "exactly one value"),
        (
            ListQuery(filter=_filter({"key": "name", "operation": 1, "int_value": 3})),
            "does not fit",
        ),
        (ListQuery(filter=_filter({"key": "name", "operation": 8, "string_value": "x"})), "IN on"),
        (ListQuery(filter=_filter({"key": "name", "operation": 1, "string_values": []})), "single"),
        (
            ListQuery(filter=_filter({"key": "created_at", "operation": 9, "string_value": "2"})),
            "IS_SUBSTRING needs a text field",
        ),
        (
            ListQuery(
                filter=_filter({"key": "created_at", "operation": 1, "timestamp_value": "x"})
            ),
            "does not fit timestamp field",
        ),
        (ListQuery(filter=_filter({"operation": 1, "string_value": "x"})), "has no 'key'"),
        (ListQuery(page_token="%%%"), "is not one this server made"),
        (ListQuery(page_token=base64.urlsafe_b64encode(b"[1]").decode()), "not one this server"),
    ],
)
def test_bad_list_arguments_are_invalid_and_say_why(
    store: Store, query: ListQuery, message: str
) -> None:
    with pytest.raises(InvalidArgumentError, match=message):
        store.list_runs_page(query)


def test_unknown_filter_key_lists_the_allowed_keys(store: Store) -> None:
    bad = _filter({"key": "owner", "operation": 1, "string_value": "x"})
    with pytest.raises(InvalidArgumentError) as caught:
        store.list_runs_page(ListQuery(filter=bad))
    assert "display_name" in caught.value.hint and "created_at" in caught.value.hint


def test_a_page_token_only_continues_the_same_query(
    store: Store, make_run: RunFactory, namespace: str
) -> None:
    experiment = store.ensure_experiment(namespace, "e")
    for _ in range(3):
        make_run(experiment_id=experiment)
    first = store.list_runs_page(ListQuery(namespace=namespace, page_size=1))
    token = first.next_page_token
    assert token is not None
    others = [
        ListQuery(namespace=namespace, page_size=1, page_token=token, sort_by="created_at desc"),
        ListQuery(namespace=namespace, page_size=1, page_token=token, sort_by="name"),
        ListQuery(namespace=f"{namespace}-b", page_size=1, page_token=token),
        ListQuery(
            namespace=namespace,
            page_size=1,
            page_token=token,
            filter=_filter({"key": "name", "operation": 1, "string_value": "a run"}),
        ),
    ]
    for query in others:
        with pytest.raises(InvalidArgumentError, match="another sort_by, filter"):
            store.list_runs_page(query)
    with pytest.raises(InvalidArgumentError, match="another sort_by, filter"):
        store.list_runs_page(ListQuery(namespace=namespace, page_token=token), experiment)
    same_but_bigger = ListQuery(namespace=namespace, page_size=5, page_token=token)
    assert len(store.list_runs_page(same_but_bigger).items) == 2
    alias = ListQuery(namespace=namespace, page_size=1, sort_by="created_at asc", page_token=token)
    assert len(store.list_runs_page(alias).items) == 1
