from __future__ import annotations

import socket

import pytest

from headrace.errors import ConfigError
from headrace.store import Store


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def test_unsupported_database_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="supports sqlite, postgresql and mysql"):
        Store.connect("oracle://scott:tiger@db/orcl")


def test_unparseable_url_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="cannot be parsed"):
        Store.connect("not a url")


@pytest.mark.parametrize("scheme", ["postgresql+psycopg", "mysql+pymysql"])
def test_unreachable_server_is_a_config_error_without_the_password(scheme: str) -> None:
    url = f"{scheme}://user:s3cret@127.0.0.1:{_free_port()}/db"
    with pytest.raises(ConfigError, match="cannot open the database") as caught:
        Store.connect(url)
    assert "s3cret" not in str(caught.value)


def test_schema_check_of_unreachable_server_is_a_config_error() -> None:
    url = f"postgresql+psycopg://user:s3cret@127.0.0.1:{_free_port()}/db"
    with pytest.raises(ConfigError, match="cannot open the database") as caught:
        Store.check_schema(url)
    assert "s3cret" not in str(caught.value)
