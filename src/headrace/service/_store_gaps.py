"""Stopgaps for Store methods that the API needs and the store does not have yet.

Each function here says which Store change replaces it; delete it when that lands.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import update

from headrace.store import Store
from headrace.store._common import update_one
from headrace.store._schema import RunRow


def set_run_parameters(store: Store, run_id: str, parameters: dict[str, Any]) -> None:
    """Replace a PENDING run's parameters.

    Replaced by `NewRun.id` (a caller-chosen run id), which lets `[[RunUUID]]` be expanded
    before the run is stored.
    """
    stmt = update(RunRow).where(RunRow.id == run_id).values(parameters=parameters)
    with store._write.begin() as s:
        update_one(s, stmt, "run", run_id)
