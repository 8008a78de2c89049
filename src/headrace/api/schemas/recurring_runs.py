"""Recurring runs (v2beta1 recurring_run.proto)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from headrace.api.schemas.common import ApiModel, Int64, Status, Timestamp
from headrace.api.schemas.runs import PipelineVersionReference, RuntimeConfig


class CronSchedule(ApiModel):
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    cron: str | None = None


class PeriodicSchedule(ApiModel):
    start_time: Timestamp | None = None
    end_time: Timestamp | None = None
    interval_second: Int64 | None = None


class Trigger(ApiModel):
    cron_schedule: CronSchedule | None = None
    periodic_schedule: PeriodicSchedule | None = None


class RecurringRun(ApiModel):
    recurring_run_id: str | None = None
    display_name: str | None = None
    description: str | None = None
    pipeline_version_id: str | None = None
    pipeline_spec: dict[str, Any] | None = None
    pipeline_version_reference: PipelineVersionReference | None = None
    runtime_config: RuntimeConfig | None = None
    service_account: str | None = None
    max_concurrency: Int64 | None = None
    trigger: Trigger | None = None
    mode: Literal["MODE_UNSPECIFIED", "ENABLE", "DISABLE"] | None = None
    created_at: Timestamp | None = None
    updated_at: Timestamp | None = None
    status: Literal["STATUS_UNSPECIFIED", "ENABLED", "DISABLED"] | None = None
    error: Status | None = None
    no_catchup: bool | None = None
    namespace: str | None = None
    experiment_id: str | None = None
    plugins_input: dict[str, Any] | None = None


class ListRecurringRunsResponse(ApiModel):
    # Kubeflow's proto names this one field in camelCase (json_name), and the client expects it.
    recurring_runs: list[RecurringRun] | None = Field(
        default=None, serialization_alias="recurringRuns"
    )
    total_size: int | None = None
    next_page_token: str | None = None
