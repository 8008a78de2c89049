"""Import kfp without its API client, which Headrace's own work never uses.

`import kfp` runs kfp/__init__.py, which imports `kfp.client` and with it the kubernetes
client, requests-oauthlib and more: about two thirds of the package's import time, paid by every
`headrace run` (and by every pipeline file, which imports kfp.dsl). kfp skips those imports when
`_KFP_RUNTIME=true` (what its task containers set), so the package is imported that way once,
then kfp.dsl as kfp/__init__.py would, with the variable unset again (kfp.dsl reads it too).
`kfp.Client` and `kfp.components` (which imports requests: 50 ms of every `headrace run`) still
work: they are imported on first use.
"""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType
from typing import Any

_RUNTIME = "_KFP_RUNTIME"


def import_kfp() -> None:
    """Import kfp's package and kfp.dsl; leave kfp.client and kfp.components for first use."""
    if "kfp" in sys.modules:
        return
    had = os.environ.get(_RUNTIME)
    os.environ[_RUNTIME] = "true"
    try:
        kfp = importlib.import_module("kfp")
    finally:
        if had is None:
            del os.environ[_RUNTIME]
        else:
            os.environ[_RUNTIME] = had
    if had == "true":
        return  # a kfp task's runtime: kfp/__init__.py itself skips the rest
    importlib.import_module("kfp.dsl")
    setattr(kfp, "__getattr__", _on_first_use)  # noqa: B010 - a module's __getattr__


def _on_first_use(name: str) -> Any:
    """kfp's module __getattr__: what kfp/__init__.py would have bound, imported when asked."""
    if name == "Client":
        client: ModuleType = importlib.import_module("kfp.client")
        return client.Client
    if name == "components":
        return importlib.import_module("kfp.components")
    raise AttributeError(f"module 'kfp' has no attribute {name!r}")
