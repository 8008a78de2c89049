"""The pipeline IR: loading, validation, parameters, placeholders, conditions, fingerprints."""

from __future__ import annotations

from headrace.spec.conditions import compile_condition, evaluate_condition, evaluate_selector
from headrace.spec.fingerprint import cache_fingerprint
from headrace.spec.loader import LoadedPipeline, load_pipeline, load_pipeline_dicts
from headrace.spec.params import load_params_file, parse_param_assignments, resolve_parameters
from headrace.spec.placeholders import PipelineContext, resolve_arguments, resolve_string
from headrace.spec.resources import Resources, parse_resources
from headrace.spec.uris import local_path_for_uri
from headrace.spec.validate import validate

__all__ = [
    "LoadedPipeline",
    "PipelineContext",
    "Resources",
    "cache_fingerprint",
    "compile_condition",
    "evaluate_condition",
    "evaluate_selector",
    "load_params_file",
    "load_pipeline",
    "load_pipeline_dicts",
    "local_path_for_uri",
    "parse_param_assignments",
    "parse_resources",
    "resolve_arguments",
    "resolve_parameters",
    "resolve_string",
    "validate",
]
