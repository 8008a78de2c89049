"""The namespace_storage table: set, read, replace, list and clear on every backend."""

from __future__ import annotations

from headrace.store import Store


def test_a_namespace_without_override_has_none(store: Store, namespace: str) -> None:
    assert store.get_namespace_storage(namespace) is None
    assert store.clear_namespace_storage(namespace) is False


def test_set_read_replace_and_clear(store: Store, namespace: str) -> None:
    first = store.set_namespace_storage(
        namespace,
        pipeline_root="minio://team/root",
        key_prefix="{namespace}/{run_id}",
        object_store={"endpoint_url": "http://127.0.0.1:9000", "path_style": True},
    )
    assert first.namespace == namespace
    assert store.get_namespace_storage(namespace) == first
    second = store.set_namespace_storage(
        namespace, pipeline_root=None, key_prefix="{run_id}", object_store={}
    )
    read = store.get_namespace_storage(namespace)
    assert read == second
    assert read is not None and read.pipeline_root is None and read.object_store == {}
    assert read.updated_at >= first.updated_at
    assert namespace in {r.namespace for r in store.list_namespace_storage()}
    assert store.clear_namespace_storage(namespace) is True
    assert store.get_namespace_storage(namespace) is None


def test_setting_creates_the_namespace(store: Store, namespace: str) -> None:
    store.set_namespace_storage(namespace, pipeline_root="/tmp/x", key_prefix=None, object_store={})
    experiment = store.default_experiment(namespace)
    assert experiment.namespace == namespace
