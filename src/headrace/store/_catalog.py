"""Pipelines and their versions: the uploaded pipeline specs that runs are created from."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from headrace.errors import ConflictError, NotFoundError
from headrace.store import _common, _convert
from headrace.store._common import StoreBase, ensure_namespace, insert_unique, require
from headrace.store._listing import Field, Listing, fetch_page
from headrace.store._schema import PipelineRow, PipelineVersionRow, RecurringRunRow
from headrace.store.records import ListQuery, Page, PipelineRecord, PipelineVersionRecord

_PIPELINE_NAME = Field(PipelineRow.display_name, sortable=True)
PIPELINE_LISTING = Listing(
    resource="pipelines",
    entity=PipelineRow,
    namespace_column=PipelineRow.namespace,
    fields={
        "id": Field(PipelineRow.id),
        "pipeline_id": Field(PipelineRow.id),
        "display_name": _PIPELINE_NAME,
        "name": _PIPELINE_NAME,
        "description": Field(PipelineRow.description),
        "created_at": Field(PipelineRow.created_at, "timestamp", sortable=True),
    },
)
_VERSION_NAME = Field(PipelineVersionRow.display_name, sortable=True)
VERSION_LISTING = Listing(
    resource="pipeline versions",
    entity=PipelineVersionRow,
    fields={
        "id": Field(PipelineVersionRow.id),
        "pipeline_version_id": Field(PipelineVersionRow.id),
        "display_name": _VERSION_NAME,
        "name": _VERSION_NAME,
        "description": Field(PipelineVersionRow.description),
        "created_at": Field(PipelineVersionRow.created_at, "timestamp", sortable=True),
        "pipeline_id": Field(PipelineVersionRow.pipeline_id),
    },
)


class CatalogMixin(StoreBase):
    def create_pipeline(
        self, namespace: str, display_name: str, description: str = ""
    ) -> PipelineRecord:
        """A new pipeline without versions; its name must be new in the namespace."""
        with self._writing() as s:
            row = _add_pipeline(s, namespace, display_name, description)
        return _convert.pipeline_record(row)

    def create_pipeline_with_version(
        self,
        namespace: str,
        display_name: str,
        description: str,
        pipeline_spec: dict[str, Any],
        platform_spec: dict[str, Any] | None = None,
        *,
        version_display_name: str | None = None,
        version_description: str | None = None,
    ) -> tuple[PipelineRecord, PipelineVersionRecord]:
        """A pipeline and its first version (named like the pipeline unless told), or neither."""
        with self._writing() as s:
            pipeline = _add_pipeline(s, namespace, display_name, description)
            version = _add_version(
                s,
                pipeline,
                version_display_name or display_name,
                description if version_description is None else version_description,
                pipeline_spec,
                platform_spec,
            )
        return _convert.pipeline_record(pipeline), _convert.pipeline_version_record(version)

    def get_pipeline(self, pipeline_id: str) -> PipelineRecord:
        with self._read.begin() as s:
            return _convert.pipeline_record(_pipeline(s, pipeline_id))

    def find_pipeline(self, namespace: str, display_name: str) -> PipelineRecord | None:
        """The pipeline with this name in the namespace, if there is one."""
        stmt = select(PipelineRow).where(
            PipelineRow.namespace == namespace, PipelineRow.display_name == display_name
        )
        with self._read.begin() as s:
            row = s.scalars(stmt).one_or_none()
            return None if row is None else _convert.pipeline_record(row)

    def list_pipelines(self, query: ListQuery) -> Page[PipelineRecord]:
        with self._read.begin() as s:
            rows, token, total = fetch_page(s, PIPELINE_LISTING, query)
            return Page([_convert.pipeline_record(r) for r in rows], token, total)

    def delete_pipeline(self, pipeline_id: str, cascade: bool = False) -> None:
        """Delete a pipeline; with versions only when `cascade` (their runs stay, unlinked).

        Refused while a recurring run uses the pipeline or one of its versions.
        """
        with self._writing() as s:
            pipeline = _pipeline(s, pipeline_id)
            versions = select(PipelineVersionRow.id).where(
                PipelineVersionRow.pipeline_id == pipeline_id
            )
            count = s.scalar(select(func.count()).select_from(versions.subquery())) or 0
            if count and not cascade:
                raise ConflictError(
                    f"pipeline {pipeline.display_name!r} ({pipeline_id}) has {count} version(s)",
                    "delete its versions first, or delete the pipeline with cascade",
                )
            _refuse_if_scheduled(
                s,
                or_(
                    RecurringRunRow.pipeline_id == pipeline_id,
                    RecurringRunRow.pipeline_version_id.in_(versions),
                ),
                f"pipeline {pipeline.display_name!r}",
            )
            s.execute(
                delete(PipelineVersionRow).where(PipelineVersionRow.pipeline_id == pipeline_id)
            )
            s.execute(delete(PipelineRow).where(PipelineRow.id == pipeline_id))

    def create_pipeline_version(
        self,
        pipeline_id: str,
        display_name: str,
        description: str,
        pipeline_spec: dict[str, Any],
        platform_spec: dict[str, Any] | None = None,
    ) -> PipelineVersionRecord:
        """A new version of a pipeline; its name must be new for the pipeline."""
        with self._writing() as s:
            pipeline = _pipeline(s, pipeline_id)
            row = _add_version(s, pipeline, display_name, description, pipeline_spec, platform_spec)
        return _convert.pipeline_version_record(row)

    def get_pipeline_version(self, version_id: str) -> PipelineVersionRecord:
        with self._read.begin() as s:
            row = s.get(PipelineVersionRow, version_id)
            if row is None:
                raise NotFoundError(f"pipeline version {version_id!r} not found")
            return _convert.pipeline_version_record(row)

    def latest_pipeline_version(self, pipeline_id: str) -> PipelineVersionRecord:
        """The pipeline's most recently created version."""
        stmt = (
            select(PipelineVersionRow)
            .where(PipelineVersionRow.pipeline_id == pipeline_id)
            .order_by(PipelineVersionRow.created_at.desc(), PipelineVersionRow.id.desc())
            .limit(1)
        )
        with self._read.begin() as s:
            pipeline = _pipeline(s, pipeline_id)
            row = s.scalars(stmt).first()
            if row is None:
                raise NotFoundError(
                    f"pipeline {pipeline.display_name!r} ({pipeline_id}) has no versions",
                    "upload a version first",
                )
            return _convert.pipeline_version_record(row)

    def list_pipeline_versions(
        self, pipeline_id: str, query: ListQuery
    ) -> Page[PipelineVersionRecord]:
        """One page of a pipeline's versions (`query.namespace` does not apply)."""
        condition = PipelineVersionRow.pipeline_id == pipeline_id
        with self._read.begin() as s:
            require(s, PipelineRow.id, pipeline_id, "pipeline")
            rows, token, total = fetch_page(
                s, VERSION_LISTING, query, [condition], {"pipeline_id": pipeline_id}
            )
            return Page([_convert.pipeline_version_record(r) for r in rows], token, total)

    def delete_pipeline_version(self, version_id: str) -> None:
        """Delete a version (its runs stay, unlinked); refused while a recurring run pins it."""
        with self._writing() as s:
            row = s.get(PipelineVersionRow, version_id)
            if row is None:
                raise NotFoundError(f"pipeline version {version_id!r} not found")
            _refuse_if_scheduled(
                s,
                RecurringRunRow.pipeline_version_id == version_id,
                f"pipeline version {row.display_name!r}",
            )
            s.execute(delete(PipelineVersionRow).where(PipelineVersionRow.id == version_id))


def _pipeline(s: Session, pipeline_id: str) -> PipelineRow:
    row = s.get(PipelineRow, pipeline_id)
    if row is None:
        raise NotFoundError(f"pipeline {pipeline_id!r} not found")
    return row


def _add_pipeline(s: Session, namespace: str, display_name: str, description: str) -> PipelineRow:
    ensure_namespace(s, namespace)
    row = PipelineRow(
        id=_common.new_id(),
        namespace=namespace,
        display_name=display_name,
        description=description,
        created_at=_common.now(),
    )
    conflict = ConflictError(
        f"a pipeline named {display_name!r} already exists in namespace {namespace!r}",
        "choose another name, or upload a new version of that pipeline",
    )
    insert_unique(s, row, conflict)
    return row


def _add_version(
    s: Session,
    pipeline: PipelineRow,
    display_name: str,
    description: str,
    pipeline_spec: dict[str, Any],
    platform_spec: dict[str, Any] | None,
) -> PipelineVersionRow:
    row = PipelineVersionRow(
        id=_common.new_id(),
        pipeline_id=pipeline.id,
        display_name=display_name,
        description=description,
        created_at=_common.now(),
        pipeline_spec=pipeline_spec,
        platform_spec=platform_spec,
    )
    conflict = ConflictError(
        f"pipeline {pipeline.display_name!r} already has a version named {display_name!r}",
        "choose another version name",
    )
    insert_unique(s, row, conflict)
    return row


def _refuse_if_scheduled(s: Session, uses: Any, what: str) -> None:
    names = list(s.scalars(select(RecurringRunRow.display_name).where(uses).limit(5)))
    if names:
        raise ConflictError(
            f"{what} is used by recurring run(s) {', '.join(repr(n) for n in names)}",
            "delete those recurring runs first",
        )
