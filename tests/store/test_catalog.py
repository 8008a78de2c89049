from __future__ import annotations

import uuid

import pytest

from headrace.errors import ConflictError, NotFoundError
from headrace.store import Store
from headrace.store.records import ListQuery, NewRecurringRun, NewRun

SPEC = {"pipelineInfo": {"name": "p"}, "schemaVersion": "2.1.0", "root": {"dag": {}}}
PLATFORM: dict[str, object] = {"platforms": {"kubernetes": {"deploymentSpec": {}}}}


def test_pipeline_round_trips_and_is_found_by_name(store: Store, namespace: str) -> None:
    created = store.create_pipeline(namespace, "Grüße pipeline ✓", "does things")
    assert store.get_pipeline(created.id) == created
    assert store.find_pipeline(namespace, "Grüße pipeline ✓") == created
    assert store.find_pipeline(namespace, "grüße pipeline ✓") is None
    assert store.find_pipeline(f"{namespace}-other", "Grüße pipeline ✓") is None
    assert (created.namespace, created.description) == (namespace, "does things")


def test_pipeline_name_is_unique_per_namespace(store: Store, namespace: str) -> None:
    store.create_pipeline(namespace, "train", "")
    with pytest.raises(ConflictError, match="'train' already exists in namespace"):
        store.create_pipeline(namespace, "train", "again")
    other = store.create_pipeline(f"{namespace}-b", "train", "")
    assert other.namespace == f"{namespace}-b"


def test_unknown_pipeline_and_version_are_not_found(store: Store) -> None:
    missing = str(uuid.uuid4())
    for call in (
        store.get_pipeline,
        store.get_pipeline_version,
        store.latest_pipeline_version,
        store.delete_pipeline,
        store.delete_pipeline_version,
    ):
        with pytest.raises(NotFoundError, match=missing):
            call(missing)
    with pytest.raises(NotFoundError, match=missing):
        store.create_pipeline_version(missing, "v", "", SPEC)
    with pytest.raises(NotFoundError, match=missing):
        store.list_pipeline_versions(missing, ListQuery())


def test_version_round_trips_with_its_specs(store: Store, namespace: str) -> None:
    pipeline = store.create_pipeline(namespace, "p", "")
    version = store.create_pipeline_version(pipeline.id, "v1", "first", SPEC, PLATFORM)
    assert store.get_pipeline_version(version.id) == version
    assert (version.pipeline_spec, version.platform_spec) == (SPEC, PLATFORM)
    bare = store.create_pipeline_version(pipeline.id, "v2", "", SPEC)
    assert store.get_pipeline_version(bare.id).platform_spec is None


def test_version_name_is_unique_per_pipeline(store: Store, namespace: str) -> None:
    first = store.create_pipeline(namespace, "a", "")
    second = store.create_pipeline(namespace, "b", "")
    store.create_pipeline_version(first.id, "v1", "", SPEC)
    with pytest.raises(ConflictError, match="'a' already has a version named 'v1'"):
        store.create_pipeline_version(first.id, "v1", "", SPEC)
    store.create_pipeline_version(second.id, "v1", "", SPEC)


def test_latest_version_is_the_newest_created(store: Store, namespace: str) -> None:
    pipeline = store.create_pipeline(namespace, "p", "")
    with pytest.raises(NotFoundError, match="has no versions"):
        store.latest_pipeline_version(pipeline.id)
    store.create_pipeline_version(pipeline.id, "zzz", "", SPEC)
    newest = store.create_pipeline_version(pipeline.id, "aaa", "", SPEC)
    assert store.latest_pipeline_version(pipeline.id) == newest


def test_pipeline_with_first_version_is_created_together(store: Store, namespace: str) -> None:
    pipeline, version = store.create_pipeline_with_version(namespace, "p", "desc", SPEC, PLATFORM)
    assert version.pipeline_id == pipeline.id
    assert (version.display_name, version.description) == ("p", "desc")
    assert store.latest_pipeline_version(pipeline.id) == version
    _, named = store.create_pipeline_with_version(
        namespace, "q", "", SPEC, version_display_name="v1", version_description="vd"
    )
    assert (named.display_name, named.description) == ("v1", "vd")


def test_pipeline_with_version_leaves_nothing_when_the_name_is_taken(
    store: Store, namespace: str
) -> None:
    store.create_pipeline(namespace, "taken", "")
    with pytest.raises(ConflictError):
        store.create_pipeline_with_version(namespace, "taken", "", SPEC)
    assert store.list_pipelines(ListQuery(namespace=namespace)).total_size == 1


def test_pipeline_with_versions_is_deleted_only_with_cascade(store: Store, namespace: str) -> None:
    pipeline, version = store.create_pipeline_with_version(namespace, "p", "", SPEC)
    with pytest.raises(ConflictError, match="has 1 version"):
        store.delete_pipeline(pipeline.id)
    assert store.get_pipeline_version(version.id) == version
    store.delete_pipeline(pipeline.id, cascade=True)
    with pytest.raises(NotFoundError):
        store.get_pipeline(pipeline.id)
    with pytest.raises(NotFoundError):
        store.get_pipeline_version(version.id)


def test_pipeline_without_versions_is_deleted(store: Store, namespace: str) -> None:
    pipeline = store.create_pipeline(namespace, "p", "")
    store.delete_pipeline(pipeline.id)
    assert store.find_pipeline(namespace, "p") is None


def test_deleting_a_version_keeps_its_runs_unlinked(store: Store, namespace: str) -> None:
    pipeline, version = store.create_pipeline_with_version(namespace, "p", "", SPEC)
    run = store.create_run(
        NewRun(
            pipeline_name="p",
            display_name="r",
            pipeline_spec=SPEC,
            pipeline_root="file:///tmp",
            namespace=namespace,
            pipeline_version_id=version.id,
        )
    )
    store.delete_pipeline_version(version.id)
    assert store.get_run(run.id).pipeline_version_id is None
    assert store.get_run(run.id).pipeline_spec == SPEC
    with pytest.raises(NotFoundError, match="has no versions"):
        store.latest_pipeline_version(pipeline.id)


def test_a_version_or_pipeline_a_recurring_run_uses_cannot_be_deleted(
    store: Store, namespace: str
) -> None:
    pipeline, version = store.create_pipeline_with_version(namespace, "p", "", SPEC)
    pinned = store.create_recurring_run(
        NewRecurringRun(
            display_name="nightly",
            namespace=namespace,
            pipeline_version_id=version.id,
            interval_seconds=60,
        )
    )
    assert pinned.pipeline_id == pipeline.id
    with pytest.raises(ConflictError, match="used by recurring run"):
        store.delete_pipeline_version(version.id)
    with pytest.raises(ConflictError, match="'nightly'"):
        store.delete_pipeline(pipeline.id, cascade=True)
    store.delete_recurring_run(pinned.id)
    store.delete_pipeline(pipeline.id, cascade=True)


def test_versions_are_listed_per_pipeline(store: Store, namespace: str) -> None:
    first = store.create_pipeline(namespace, "a", "")
    second = store.create_pipeline(namespace, "b", "")
    mine = [store.create_pipeline_version(first.id, f"v{i}", "", SPEC) for i in range(3)]
    store.create_pipeline_version(second.id, "other", "", SPEC)
    page = store.list_pipeline_versions(first.id, ListQuery())
    assert [v.id for v in page.items] == [v.id for v in mine]
    assert page.total_size == 3 and page.next_page_token is None
    newest = store.list_pipeline_versions(first.id, ListQuery(sort_by="created_at desc"))
    assert [v.id for v in newest.items] == [v.id for v in reversed(mine)]


def test_pipelines_are_listed_per_namespace(store: Store, namespace: str) -> None:
    names = ["b", "c", "a"]
    for name in names:
        store.create_pipeline(namespace, name, "")
    store.create_pipeline(f"{namespace}-other", "x", "")
    page = store.list_pipelines(ListQuery(namespace=namespace, sort_by="name"))
    assert [p.display_name for p in page.items] == ["a", "b", "c"]
    assert page.total_size == 3
