"""Named secrets hold any string keys for tasks; storage credentials still need both keys."""

from pathlib import Path

import pytest

from headrace.config import load_settings
from headrace.errors import ConfigError


def test_a_secret_holds_any_keys_shown_masked(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[secrets.db]\npassword = "s3cret"\nuser = "app"\n'
        '[secrets.store]\naccess_key_id = "AK"\nsecret_access_key = "SK"\n'
    )
    settings = load_settings({}, config_file=config, environ={})
    assert settings.secret_values() == {
        "db": {"password": "s3cret", "user": "app"},
        "store": {"access_key_id": "AK", "secret_access_key": "SK"},
    }
    shown = {v.name: v.value for v in settings.effective() if v.name.startswith("secrets.")}
    assert shown == {
        "secrets.db.password": "***",
        "secrets.db.user": "***",
        "secrets.store.access_key_id": "AK",
        "secrets.store.secret_access_key": "***",
    }


def test_a_secret_value_that_is_not_a_string_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[secrets.db]\nport = 5432\n")
    with pytest.raises(ConfigError, match=r"secrets\.db.*port: a secret's values are strings"):
        load_settings({}, config_file=config, environ={})
