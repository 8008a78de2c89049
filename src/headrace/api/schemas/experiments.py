"""Experiments (v2beta1 experiment.proto)."""

from __future__ import annotations

from typing import Literal

from headrace.api.schemas.common import ApiModel, Timestamp

StorageState = Literal["STORAGE_STATE_UNSPECIFIED", "AVAILABLE", "ARCHIVED"]


class Experiment(ApiModel):
    experiment_id: str | None = None
    display_name: str | None = None
    description: str | None = None
    created_at: Timestamp | None = None
    namespace: str | None = None
    storage_state: StorageState | None = None
    last_run_created_at: Timestamp | None = None


class ListExperimentsResponse(ApiModel):
    experiments: list[Experiment] | None = None
    total_size: int | None = None
    next_page_token: str | None = None
