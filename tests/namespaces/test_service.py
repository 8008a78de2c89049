"""Per-namespace storage: validated when set, defaults when unset, cached when looked up."""

from __future__ import annotations

from pathlib import Path

import pytest

from headrace.config import Settings, load_settings
from headrace.errors import ConfigError, InvalidArgumentError
from headrace.service.namespaces import NamespaceSettings, parse_override
from headrace.store import Store


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "config.toml").write_text(
        'pipeline_root = "s3://global/root"\n'
        '[minio]\nendpoint_url = "http://global:9000"\n'
        '[secrets.team-a]\naccess_key_id = "AK"\nsecret_access_key = "SK"\n'
    )
    return load_settings(environ={"HEADRACE_HOME": str(tmp_path)})


@pytest.fixture
def sqlite_store(tmp_path: Path) -> Store:
    return Store.connect(f"sqlite:///{tmp_path}/headrace.db")


def test_a_namespace_without_override_uses_the_global_settings(
    sqlite_store: Store, settings: Settings
) -> None:
    service = NamespaceSettings(sqlite_store, settings)
    assert service.storage_settings_for("anyone") == settings.storage()


def test_override_applies_root_prefix_endpoint_and_named_secret(
    sqlite_store: Store, settings: Settings
) -> None:
    service = NamespaceSettings(sqlite_store, settings)
    service.set_override(
        "team-a",
        {
            "pipeline_root": "minio://team-a/artifacts",
            "key_prefix": "{namespace}/{pipeline_name}/{run_id}",
            "object_store": {"region": "eu-1", "credentials": "team-a"},
        },
    )
    storage = service.storage_settings_for("team-a")
    assert storage.pipeline_root == "minio://team-a/artifacts"
    assert storage.resolved_log_root() == "minio://team-a/artifacts/logs"
    assert storage.key_prefix == "{namespace}/{pipeline_name}/{run_id}"
    assert storage.minio.endpoint_url == "http://global:9000"  # not overridden: global
    assert storage.minio.region == "eu-1"
    assert (storage.minio.access_key_id, storage.minio.secret_access_key) == ("AK", "SK")
    assert service.storage_settings_for("team-b") == settings.storage()
    assert sqlite_store.get_namespace_storage("team-a") is not None
    stored = sqlite_store.get_namespace_storage("team-a")
    assert stored is not None and "SK" not in repr(stored)


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"key_prefix": "{namespace}/{task}"}, "key_prefix"),
        ({"pipeline_root": "ftp://x"}, "pipeline_root"),
        ({"object_store": {"timeout_seconds": 0}}, "object_store.timeout_seconds"),
        ({"object_store": {"endpoint": "http://x"}}, "object_store.endpoint"),
        ({"bucket": "x"}, "bucket"),
    ],
)
def test_malformed_override_is_rejected_naming_the_field(
    data: dict[str, object], field: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        parse_override(data)
    assert f"'{field}'" in str(caught.value)


def test_unknown_placeholder_is_named() -> None:
    with pytest.raises(InvalidArgumentError, match=r"unknown placeholder \{task\}"):
        parse_override({"key_prefix": "{namespace}/{task}"})


def test_secrets_are_refused_in_an_override() -> None:
    with pytest.raises(InvalidArgumentError, match=r"object_store\.secret_access_key"):
        parse_override({"object_store": {"secret_access_key": "x"}})


def test_unknown_secret_name_is_refused_at_set_time(
    sqlite_store: Store, settings: Settings
) -> None:
    service = NamespaceSettings(sqlite_store, settings)
    with pytest.raises(InvalidArgumentError, match="no secret named 'nope'"):
        service.set_override("t", {"object_store": {"credentials": "nope"}})


def test_endpoint_override_needs_an_object_store_root(sqlite_store: Store, tmp_path: Path) -> None:
    service = NamespaceSettings(
        sqlite_store, load_settings(environ={"HEADRACE_HOME": str(tmp_path)})
    )
    with pytest.raises(InvalidArgumentError, match="object-store pipeline root"):
        service.set_override("t", {"object_store": {"region": "x"}})


def test_secret_missing_in_another_process_is_a_config_error(
    sqlite_store: Store, settings: Settings, tmp_path: Path
) -> None:
    NamespaceSettings(sqlite_store, settings).set_override(
        "t", {"object_store": {"credentials": "team-a"}}
    )
    other = load_settings(
        environ={"HEADRACE_HOME": str(tmp_path / "other"), "HEADRACE_PIPELINE_ROOT": "s3://b/r"}
    )
    with pytest.raises(ConfigError, match="secret 'team-a'"):
        NamespaceSettings(sqlite_store, other).storage_settings_for("t")


def test_merge_keeps_other_fields_and_empty_resets_one(
    sqlite_store: Store, settings: Settings
) -> None:
    service = NamespaceSettings(sqlite_store, settings)
    service.set_override("t", {"pipeline_root": "s3://t/r", "key_prefix": "{run_id}"})
    service.set_override("t", {"object_store": {"region": "eu-1"}}, merge=True)
    service.set_override("t", {"key_prefix": ""}, merge=True)
    override = service.get_override("t")
    assert override.pipeline_root == "s3://t/r" and override.key_prefix is None
    assert override.object_store.region == "eu-1"


def test_lookups_are_cached_until_the_ttl(sqlite_store: Store, settings: Settings) -> None:
    clock = Clock()
    reader = NamespaceSettings(sqlite_store, settings, clock=clock)
    assert reader.storage_settings_for("t").pipeline_root == "s3://global/root"
    # Another process changes the override behind this one's back: the cache still answers.
    sqlite_store.set_namespace_storage(
        "t", pipeline_root="s3://t/new", key_prefix=None, object_store={}
    )
    calls = 0
    original = sqlite_store.get_namespace_storage

    def counted(namespace: str):  # type: ignore[no-untyped-def]
        nonlocal calls
        calls += 1
        return original(namespace)

    sqlite_store.get_namespace_storage = counted  # type: ignore[method-assign]
    for _ in range(100):
        assert reader.storage_settings_for("t").pipeline_root == "s3://global/root"
    assert calls == 0
    clock.now += settings.namespace_cache_seconds + 0.1
    assert reader.storage_settings_for("t").pipeline_root == "s3://t/new"
    assert calls == 1


def test_a_change_in_this_process_invalidates_at_once(
    sqlite_store: Store, settings: Settings
) -> None:
    clock = Clock()
    reader = NamespaceSettings(sqlite_store, settings, clock=clock)
    writer = NamespaceSettings(sqlite_store, settings, clock=clock)
    assert reader.storage_settings_for("t").pipeline_root == "s3://global/root"
    writer.set_override("t", {"pipeline_root": "s3://t/now"})
    assert reader.storage_settings_for("t").pipeline_root == "s3://t/now"
    writer.clear_override("t")
    assert reader.storage_settings_for("t").pipeline_root == "s3://global/root"


def test_credentials_files_replace_the_global_keys(tmp_path: Path) -> None:
    (tmp_path / "config.toml").write_text(
        'pipeline_root = "minio://global/root"\n'
        '[minio]\naccess_key_id = "GLOBAL"\nsecret_access_key = "GS"\n'
        '[secrets.by-file]\ncredentials_file = "/etc/team-b/credentials"\nprofile = "b"\n'
    )
    settings = load_settings(environ={"HEADRACE_HOME": str(tmp_path)})
    with Store.connect(f"sqlite:///{tmp_path}/h.db") as store:
        service = NamespaceSettings(store, settings)
        service.set_override(
            "own-file",
            {"object_store": {"credentials_file": "/etc/team-a/credentials", "profile": "a"}},
        )
        service.set_override("named", {"object_store": {"credentials": "by-file"}})
        own = service.storage_settings_for("own-file").minio
        named = service.storage_settings_for("named").minio
        other = service.storage_settings_for("other").minio
    assert (own.credentials_file, own.profile) == ("/etc/team-a/credentials", "a")
    assert (named.credentials_file, named.profile) == ("/etc/team-b/credentials", "b")
    for endpoint in (own, named):
        assert (endpoint.access_key_id, endpoint.secret_access_key) == (None, None)
    assert other.access_key_id == "GLOBAL"
