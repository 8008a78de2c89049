"""Task logs: live while an attempt runs, from the archive once it has ended."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse

from headrace.api._context import Context
from headrace.service.logs import attempt_log, attempt_log_from, task_attempt

router = APIRouter(tags=["LogService"])


@router.get("/runs/{run_id}/tasks/{task_id}/logs", response_class=PlainTextResponse)
def get_task_logs(
    context: Context,
    run_id: str,
    task_id: str,
    attempt: int | None = None,
    offset: Annotated[int | None, Query(ge=0)] = None,
) -> PlainTextResponse:
    """One attempt's stdout and stderr as text (the latest attempt unless `attempt` is given).

    With `offset`, only the bytes from there on, and `X-Headrace-Log-Offset` says where the
    next read starts: a follower appends what is new instead of reading the whole log again.
    """
    run = context.store.get_run(run_id)
    record = task_attempt(context.store, run.id, task_id, attempt)
    storage = context.namespaces.storage_settings_for(run.namespace)
    headers = {"X-Headrace-Attempt": str(record.number), "X-Headrace-State": record.state.value}
    if offset is None:
        return PlainTextResponse(attempt_log(record, storage), headers=headers)
    text, next_offset = attempt_log_from(record, storage, offset)
    headers["X-Headrace-Log-Offset"] = str(next_offset)
    return PlainTextResponse(text, headers=headers)
