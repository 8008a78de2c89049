"""Headrace: Kubeflow Pipelines v2, executed anywhere Python runs."""

from headrace._kfp import import_kfp

__version__ = "0.1.0"

import_kfp()
