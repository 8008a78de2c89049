"""Turn due recurring runs into runs: one run per trigger time, recorded exactly once.

The database is the referee. A run is unique per (recurring run, scheduled time), so two
schedulers, or one restarted mid-tick, that both reach a trigger record it once; `last_fire_at`
and `next_fire_at` are only bookkeeping that saves recomputing from the start. Trigger times are
a pure function of the schedule, so every scheduler computes the same ones.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from pathlib import Path

from headrace.config import Settings
from headrace.errors import ConflictError, HeadraceError, InvalidArgumentError
from headrace.service.namespaces import NamespaceSettings
from headrace.service.pipelines import spec_object
from headrace.service.run_submission import RunSubmission, submit_run
from headrace.service.runtime_placeholders import expand_parameters
from headrace.service.triggers import as_utc, last_fire_time, next_fire_time
from headrace.store import Store
from headrace.store.records import ListQuery, RecurringRunRecord

log = logging.getLogger("headrace.scheduler")

MAX_RUNS_PER_TICK = 100
RETRY_DELAY = timedelta(seconds=60)


class Scheduler:
    """Creates the runs of every due recurring run, one `tick` at a time."""

    def __init__(
        self,
        store: Store,
        *,
        home: Path,
        pipeline_root: str,
        max_runs_per_tick: int = MAX_RUNS_PER_TICK,
        retry_delay: timedelta = RETRY_DELAY,
        namespaces: NamespaceSettings | None = None,
    ) -> None:
        """`pipeline_root` is the global default; `namespaces` (else one built on it) gives
        each namespace's root, used by runs whose recurring run names none."""
        self.store = store
        self.home = home
        if namespaces is None:
            settings = Settings.model_validate({"home": home, "pipeline_root": pipeline_root})
            namespaces = NamespaceSettings(store, settings)
        self.namespaces = namespaces
        self.max_runs_per_tick = max_runs_per_tick
        self.retry_delay = retry_delay

    def tick(self, now: datetime) -> list[str]:
        """Create the runs whose trigger times have come by `now`; return their ids."""
        now = as_utc(now)
        created: list[str] = []
        for record in self.store.due_recurring_runs(now):
            try:
                created.extend(self._fire(record, now))
            except Exception as exc:
                log.exception(
                    "recurring run %r (%s): scheduling failed; trying again next tick",
                    record.display_name,
                    record.id,
                    extra={"recurring_run_id": record.id},
                )
                self._set_error(record, f"scheduling failed: {exc}; trying again")
        return created

    def _fire(self, record: RecurringRunRecord, now: datetime) -> list[str]:
        cursor = _cursor(record)
        try:
            due = self._due_times(record, cursor, now)
        except InvalidArgumentError as exc:
            log.error(
                "recurring run %r (%s) cannot fire: %s; it stays idle until enabled again",
                record.display_name,
                record.id,
                exc,
                extra={"recurring_run_id": record.id},
            )
            self.store.set_recurring_fire_times(record.id, record.last_fire_at, None)
            self._set_error(record, f"cannot fire: {exc}; it stays idle until enabled again")
            return []
        if not due:
            upcoming = next_fire_time(record, cursor)
            self.store.set_recurring_fire_times(record.id, record.last_fire_at, upcoming)
            return []
        free = record.max_concurrency - self.store.count_active_runs(record.id)
        if free <= 0:
            # As Kubeflow does, wait with the trigger: the record stays due, so every tick
            # looks again until a run finishes.
            log.debug("recurring run %s: %d run(s) active, waiting", record.id, -free)
            return []
        batch = due[:free]
        created: list[str] = []
        fired = record.last_fire_at
        index = self._runs_before(record.id, batch[0])
        for scheduled in batch:
            index += 1
            try:
                created.append(self._create(record, scheduled, now, index))
            except HeadraceError as exc:
                if isinstance(exc, ConflictError) and self._recorded(record.id, scheduled):
                    log.info(
                        "recurring run %s: its run scheduled at %s exists already",
                        record.id,
                        scheduled.isoformat(),
                        extra={"recurring_run_id": record.id},
                    )
                else:
                    self._retry_later(record, fired, scheduled, now, exc)
                    return created
            fired = scheduled
        self.store.set_recurring_fire_times(record.id, fired, next_fire_time(record, batch[-1]))
        self._set_error(record, None)
        return created

    def _retry_later(
        self,
        record: RecurringRunRecord,
        fired: datetime | None,
        scheduled: datetime,
        now: datetime,
        exc: HeadraceError,
    ) -> None:
        """Keep the trigger and look at the schedule again after `retry_delay`."""
        retry_at = now + self.retry_delay
        log.warning(
            "recurring run %r (%s) could not create its run scheduled at %s: %s; "
            "trying again at %s",
            record.display_name,
            record.id,
            scheduled.isoformat(),
            exc,
            retry_at.isoformat(),
            extra={"recurring_run_id": record.id},
        )
        self.store.set_recurring_fire_times(record.id, fired, retry_at)
        self._set_error(
            record,
            f"could not create its run scheduled at {scheduled.isoformat()}: {exc}; "
            f"trying again at {retry_at.isoformat()}",
        )

    def _set_error(self, record: RecurringRunRecord, error: str | None) -> None:
        """Show why the schedule's last trigger failed (None: it started its run)."""
        if error == record.error:
            return
        try:
            self.store.set_recurring_error(record.id, error)
        except Exception:
            log.exception(
                "recurring run %s: its error was not recorded",
                record.id,
                extra={"recurring_run_id": record.id},
            )

    def _due_times(
        self, record: RecurringRunRecord, cursor: datetime, now: datetime
    ) -> list[datetime]:
        """Trigger times in (cursor, now], oldest first: all (up to a cap), or the latest."""
        if record.no_catchup:
            latest = last_fire_time(record, now)
            return [latest] if latest is not None and latest > cursor else []
        due: list[datetime] = []
        moment = next_fire_time(record, cursor)
        while moment is not None and moment <= now and len(due) < self.max_runs_per_tick:
            due.append(moment)
            moment = next_fire_time(record, moment)
        return due

    def _create(
        self, record: RecurringRunRecord, scheduled: datetime, now: datetime, index: int
    ) -> str:
        """Create the run of one trigger as the API creates runs, on the pipeline of this moment.

        Only `pipeline_id` set: the pipeline's latest version now (Kubeflow #11542).
        """
        parameters = expand_parameters(record.parameters, scheduled=scheduled, now=now, index=index)
        inline = record.pipeline_spec
        run = submit_run(
            self.store,
            RunSubmission(
                display_name=f"{record.display_name}-{scheduled:%Y%m%d%H%M%S}",
                namespace=record.namespace,
                experiment_id=record.experiment_id,
                pipeline_spec=None if inline is None else spec_object(inline, record.platform_spec),
                pipeline_id=None if inline is not None else record.pipeline_id,
                pipeline_version_id=None if inline is not None else record.pipeline_version_id,
                parameters=parameters,
                pipeline_root=record.pipeline_root,
                recurring_run_id=record.id,
                scheduled_at=scheduled,
                index=index,
            ),
            self.namespaces,
        )
        log.info(
            "recurring run %r (%s) created run %s scheduled at %s",
            record.display_name,
            record.id,
            run.id,
            scheduled.isoformat(),
            extra={"recurring_run_id": record.id, "run_id": run.id},
        )
        return run.id

    def _runs_before(self, recurring_run_id: str, scheduled: datetime) -> int:
        """How many of the schedule's runs were scheduled before `scheduled`."""
        return self._count_runs(recurring_run_id, "LESS_THAN", scheduled)

    def _recorded(self, recurring_run_id: str, scheduled: datetime) -> bool:
        return self._count_runs(recurring_run_id, "EQUALS", scheduled) > 0

    def _count_runs(self, recurring_run_id: str, operation: str, scheduled: datetime) -> int:
        predicates = [
            {"key": "recurring_run_id", "operation": "EQUALS", "string_value": recurring_run_id},
            {
                "key": "scheduled_at",
                "operation": operation,
                "timestamp_value": scheduled.isoformat(),
            },
        ]
        query = ListQuery(page_size=1, filter=json.dumps({"predicates": predicates}))
        return self.store.list_runs_page(query).total_size


def _cursor(record: RecurringRunRecord) -> datetime:
    """Triggers after this instant are still to be fired.

    A schedule that was disabled and enabled again does not fire for the time it was off
    (Kubeflow does, #8344); `updated_at` past `created_at` marks that enable.
    """
    cursor = as_utc(record.last_fire_at or record.start_time or record.created_at)
    if record.updated_at > record.created_at:
        cursor = max(cursor, as_utc(record.updated_at))
    return cursor
