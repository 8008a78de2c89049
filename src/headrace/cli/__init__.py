"""The `headrace` command line."""

from headrace.cli._app import app, main

__all__ = ["app", "main"]
