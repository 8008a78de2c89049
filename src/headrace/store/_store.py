"""The Store: every read and write of Headrace's state, one short transaction per call.

One facade class over parts that each own a seam: runs, tasks and attempts, artifacts and
lineage, pipelines and versions, experiments, recurring runs, namespace settings and worker
leases.
"""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from headrace.errors import ConfigError
from headrace.store._artifacts import DIRECTIONS, ArtifactsMixin
from headrace.store._catalog import CatalogMixin
from headrace.store._engine import make_engine, parse_url, safe_url
from headrace.store._experiments import ExperimentsMixin
from headrace.store._leases import LeasesMixin
from headrace.store._migrate import schema_status, upgrade
from headrace.store._namespaces import NamespacesMixin
from headrace.store._processes import ProcessesMixin
from headrace.store._recurring import RecurringMixin
from headrace.store._retry import RetryMixin
from headrace.store._runs import MIN_PREFIX, RunsMixin
from headrace.store._task_tree import TaskTreeMixin
from headrace.store._tasks import TasksMixin

__all__ = ["DIRECTIONS", "MIN_PREFIX", "Store"]


class Store(
    RunsMixin,
    TasksMixin,
    ProcessesMixin,
    TaskTreeMixin,
    ArtifactsMixin,
    CatalogMixin,
    ExperimentsMixin,
    RecurringMixin,
    NamespacesMixin,
    LeasesMixin,
    RetryMixin,
):
    """Typed access to everything Headrace stores, in one SQL database."""

    @classmethod
    def connect(cls, url: str, migrate: bool = True) -> Store:
        """Open the database at `url`, migrated to the newest schema unless `migrate` is False.

        Without migrating, check the schema with `Store.check_schema` before serving.
        """
        parsed = parse_url(url)
        engine = make_engine(parsed)
        if migrate:
            try:
                upgrade(engine)
            except OperationalError as exc:
                engine.dispose()
                raise _unreachable(parsed, exc) from exc
        return cls(engine)

    @classmethod
    def check_schema(cls, url: str) -> str | None:
        """None when the database at `url` is at the newest schema, else what to do about it."""
        parsed = parse_url(url)
        engine = make_engine(parsed)
        try:
            return schema_status(engine)
        except OperationalError as exc:
            raise _unreachable(parsed, exc) from exc
        finally:
            engine.dispose()

    def close(self) -> None:
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _unreachable(url: URL, exc: OperationalError) -> ConfigError:
    return ConfigError(
        f"cannot open the database {safe_url(url)!r}: {exc.orig}",
        "check that the server is running and the URL, user and database are right",
    )
