"""Headrace: Kubeflow Pipelines v2, executed anywhere Python runs."""

__version__ = "0.1.0"
