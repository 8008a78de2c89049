"""The `headrace` command line."""

from headrace.cli import _config as _config  # registers config, doctor and namespace commands
from headrace.cli import _server as _server  # registers server, worker and db commands
from headrace.cli._app import app, main

__all__ = ["app", "main"]
