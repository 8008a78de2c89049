"""The web UI: a static single-page app served next to the API."""

from headrace.ui._mount import STATIC_DIR, mount_ui

__all__ = ["STATIC_DIR", "mount_ui"]
