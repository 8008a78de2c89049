"""Task logs: live while an attempt runs, from the archive once it has ended."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse

from headrace.api._context import Context
from headrace.service.logs import attempt_log, task_attempt

router = APIRouter(tags=["LogService"])


@router.get("/runs/{run_id}/tasks/{task_id}/logs", response_class=PlainTextResponse)
def get_task_logs(
    context: Context, run_id: str, task_id: str, attempt: int | None = None
) -> PlainTextResponse:
    """One attempt's stdout and stderr as text (the latest attempt unless `attempt` is given)."""
    run = context.store.get_run(run_id)
    record = task_attempt(context.store, run.id, task_id, attempt)
    text = attempt_log(record, context.namespaces.storage_settings_for(run.namespace))
    headers = {"X-Headrace-Attempt": str(record.number), "X-Headrace-State": record.state.value}
    return PlainTextResponse(text, headers=headers)
