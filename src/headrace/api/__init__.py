"""The REST API: Kubeflow's /apis/v2beta1 over the Store, for `kfp.Client` and the UI."""

from __future__ import annotations

from headrace.api._app import MAX_BODY_BYTES, PREFIX, create_app

__all__ = ["MAX_BODY_BYTES", "PREFIX", "create_app"]
