"""Flags > HEADRACE_* environment > config file > defaults, with the origin of every value."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from headrace.config import Origin, Settings, load_settings
from headrace.errors import ConfigError

from .conftest import write_config


def _env(home: Path, **values: str) -> dict[str, str]:
    return {"HEADRACE_HOME": str(home), **values}


def test_defaults_when_nothing_is_set(home: Path) -> None:
    settings = load_settings(environ=_env(home))
    assert settings.max_parallel == (os.cpu_count() or 1)
    assert settings.executor == "warm"
    assert settings.origin("executor") == Origin("default")
    assert settings.resolved_pipeline_root() == str(home / "artifacts")
    assert settings.config_file is None


def test_config_file_beats_default(home: Path) -> None:
    path = write_config(home, "max_parallel = 3\n")
    settings = load_settings(environ=_env(home))
    assert settings.max_parallel == 3
    assert settings.origin("max_parallel") == Origin("file", str(path))
    assert settings.config_file == path


def test_environment_beats_config_file(home: Path) -> None:
    write_config(home, "max_parallel = 3\n")
    settings = load_settings(environ=_env(home, HEADRACE_MAX_PARALLEL="5"))
    assert settings.max_parallel == 5
    assert settings.origin("max_parallel") == Origin("env", "HEADRACE_MAX_PARALLEL")


def test_flag_beats_environment(home: Path) -> None:
    settings = load_settings({"max_parallel": 7}, environ=_env(home, HEADRACE_MAX_PARALLEL="5"))
    assert settings.max_parallel == 7
    assert str(settings.origin("max_parallel")) == "flag --max-parallel"


def test_flag_beats_config_file(home: Path) -> None:
    write_config(home, 'executor = "warm"\n')
    settings = load_settings({"executor": "local"}, environ=_env(home))
    assert settings.executor == "local"
    assert settings.origin("executor") == Origin("flag", "--executor")


def test_flag_left_out_is_not_a_layer(home: Path) -> None:
    settings = load_settings({"max_parallel": None}, environ=_env(home, HEADRACE_MAX_PARALLEL="5"))
    assert settings.max_parallel == 5


def test_explicit_config_file_instead_of_the_one_in_home(home: Path, tmp_path: Path) -> None:
    write_config(home, "max_parallel = 3\n")
    other = tmp_path / "other.toml"
    other.write_text("max_parallel = 4\n")
    assert load_settings(config_file=other, environ=_env(home)).max_parallel == 4
    from_env = load_settings(environ=_env(home, HEADRACE_CONFIG=str(other)))
    assert from_env.max_parallel == 4 and from_env.config_file == other


def test_nested_endpoint_settings_from_every_source(home: Path) -> None:
    write_config(
        home,
        '[minio]\nendpoint_url = "http://file:9000"\nregion = "eu-1"\ntimeout_seconds = 7\n',
    )
    settings = load_settings(
        {"minio.region": "flag-region"},
        environ=_env(home, HEADRACE_MINIO_ENDPOINT_URL="http://env:9000"),
    )
    assert settings.minio.endpoint_url == "http://env:9000"
    assert settings.minio.region == "flag-region"
    assert settings.minio.timeout_seconds == 7
    assert settings.minio.path_style  # minio's own default survives a partial [minio]
    assert str(settings.origin("minio.timeout_seconds")).startswith("config file ")
    assert settings.origin("minio.endpoint_url") == Origin("env", "HEADRACE_MINIO_ENDPOINT_URL")


def test_storage_settings_come_from_the_settings_object(home: Path) -> None:
    write_config(
        home,
        'pipeline_root = "minio://bucket/root"\nkey_prefix = "{namespace}/{run_id}"\n'
        '[minio]\nendpoint_url = "http://127.0.0.1:9000"\naccess_key_id = "ak"\n'
        'secret_access_key = "sk"\n',
    )
    storage = load_settings(environ=_env(home)).storage()
    assert storage.pipeline_root == "minio://bucket/root"
    assert storage.key_prefix == "{namespace}/{run_id}"
    assert storage.minio.endpoint_url == "http://127.0.0.1:9000"
    assert storage.minio.secret_access_key == "sk"
    assert storage.minio.path_style


def test_effective_lists_every_value_with_secrets_masked(home: Path) -> None:
    write_config(
        home,
        'database_url = "postgresql+psycopg://me:hunter2@db/headrace"\n'
        '[s3]\nsecret_access_key = "s3-secret"\n'
        '[secrets.team-a]\naccess_key_id = "AKIA"\nsecret_access_key = "team-secret"\n',
    )
    settings = load_settings(environ=_env(home))
    values = {v.name: v for v in settings.effective()}
    assert values["database_url"].value == "postgresql+psycopg://me:***@db/headrace"
    assert values["s3.secret_access_key"].value == "***"
    assert values["secrets.team-a.secret_access_key"].value == "***"
    assert values["secrets.team-a.access_key_id"].origin.source == "file"
    shown = repr([v.value for v in values.values()])
    assert "hunter2" not in shown and "secret" not in shown.replace("***", "")
    assert set(values) >= {"home", "executor", "lease_seconds", "minio.endpoint_url"}


@pytest.mark.parametrize(
    ("source", "name", "bad", "expected"),
    [
        ("env", "max_parallel", "many", "whole number"),
        ("file", "max_parallel", "0", "whole number"),
        ("flag", "max_parallel", "-1", "whole number"),
        ("env", "executor", "spark", "warm, local or ray"),
        ("file", "minio.use_tls", '"maybe"', "true or false"),
        ("flag", "pipeline_root", "ftp://x/y", "s3://"),
        ("env", "key_prefix", "{namespace}/{task}", "{run_id}"),
    ],
)
def test_bad_value_names_setting_source_and_expectation(
    home: Path, source: str, name: str, bad: str, expected: str
) -> None:
    env = _env(home)
    flags: dict[str, object] = {}
    where = ""
    if source == "env":
        var = "HEADRACE_" + name.replace(".", "_").upper()
        env[var] = bad
        where = var
    elif source == "file":
        section, _, key = name.rpartition(".")
        text = f"[{section}]\n{key} = {bad}\n" if section else f"{key} = {bad}\n"
        where = str(write_config(home, text))
    else:
        flags[name] = bad
        where = "--" + name.replace("_", "-")
    with pytest.raises(ConfigError) as caught:
        load_settings(flags, environ=env)
    text = str(caught.value)
    assert name in text and where in text and expected in text


def test_bad_value_in_a_lower_layer_is_reported_even_when_overridden(home: Path) -> None:
    write_config(home, "max_parallel = 0\n")
    with pytest.raises(ConfigError, match="config file"):
        load_settings(environ=_env(home, HEADRACE_MAX_PARALLEL="4"))


def test_unknown_key_in_config_file_is_named(home: Path) -> None:
    path = write_config(home, '[minio]\nendpoint = "http://x"\n')
    with pytest.raises(ConfigError, match=r"unknown setting 'minio.endpoint'") as caught:
        load_settings(environ=_env(home))
    assert str(path) in str(caught.value) and "endpoint_url" in str(caught.value)


def test_invalid_toml_names_the_file(home: Path) -> None:
    path = write_config(home, "max_parallel = \n")
    with pytest.raises(ConfigError, match="not valid TOML") as caught:
        load_settings(environ=_env(home))
    assert str(path) in str(caught.value)


def test_missing_explicit_config_file(home: Path, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="HEADRACE_CONFIG"):
        load_settings(environ=_env(home, HEADRACE_CONFIG=str(tmp_path / "nope.toml")))


def test_secret_in_an_error_is_masked(home: Path) -> None:
    write_config(home, "[s3]\nsecret_access_key = 42\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(environ=_env(home))
    assert "s3.secret_access_key" in str(caught.value) and "42" not in str(caught.value)


def test_settings_built_directly_have_default_origins() -> None:
    assert Settings().origin("home") == Origin("default")
