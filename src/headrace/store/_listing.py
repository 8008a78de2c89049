"""Kubeflow v2beta1 listing over any table: filter predicates, sort_by and keyset page tokens.

A page token is base64url JSON holding the sort value and id of the last row of the page and a
hash of the query's shape (resource, sort, filter, namespace, scope), so a page never skips or
repeats rows that are inserted meanwhile and a token is refused when used with another query.
NULLs sort as the smallest values on every database (first ascending, last descending).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.base import ExecutableOption

from headrace.errors import InvalidArgumentError
from headrace.store.records import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, ListQuery

Kind = Literal["string", "timestamp", "bool", "int"]

# The integer codes are those kfp.Client sends (kfp/client/client.py, _FILTER_OPERATIONS).
OPERATIONS = {
    "EQUALS": 1,
    "NOT_EQUALS": 2,
    "GREATER_THAN": 3,
    "GREATER_THAN_EQUALS": 5,
    "LESS_THAN": 6,
    "LESS_THAN_EQUALS": 7,
    "IN": 8,
    "IS_SUBSTRING": 9,
}
_BY_CODE = {code: name for name, code in OPERATIONS.items()}
_SCALAR_KEYS = ("string_value", "int_value", "long_value", "timestamp_value", "bool_value")
_LIST_KEYS = ("string_values", "int_values", "long_values")


@dataclass(frozen=True)
class Field:
    """A column that the API may filter (and, when `sortable`, sort) by."""

    column: Any
    kind: Kind = "string"
    sortable: bool = False
    nullable: bool = False


@dataclass(frozen=True)
class Listing:
    """What one resource exposes to list calls: its table, its API field names and aliases."""

    resource: str
    entity: Any
    fields: Mapping[str, Field]
    namespace_column: Any = None
    default_sort: str = "created_at"

    def field(self, key: str, purpose: str) -> Field:
        found = self.fields.get(key)
        if found is None:
            raise InvalidArgumentError(
                f"cannot {purpose} {self.resource} by unknown field {key!r}",
                f"use one of: {', '.join(sorted(self.fields))}",
            )
        return found


@dataclass(frozen=True)
class _Predicate:
    key: str
    operation: str
    value: Any


def fetch_page(
    s: Session,
    listing: Listing,
    query: ListQuery,
    conditions: Sequence[ColumnElement[bool]] = (),
    scope: Mapping[str, str | None] | None = None,
    options: Sequence[ExecutableOption] = (),
) -> tuple[list[Any], str | None, int]:
    """One page of `listing.entity` rows, the token of the next page and the total count.

    `conditions` and `scope` narrow the list the way the caller's arguments do (an experiment id,
    a pipeline id); `scope` names them so that a page token cannot cross scopes.
    """
    size = page_size(query.page_size)
    key, descending = parse_sort(listing, query.sort_by)
    sort_field = listing.fields[key]
    predicates = parse_filter(listing, query.filter)
    where = list(conditions)
    if query.namespace is not None and listing.namespace_column is not None:
        where.append(listing.namespace_column == query.namespace)
    where.extend(_condition(listing.fields[p.key], p) for p in predicates)
    shape = _shape(listing, sort_field, descending, predicates, query.namespace, scope or {})

    total = s.scalar(select(func.count()).select_from(listing.entity).where(*where)) or 0
    stmt = select(listing.entity).where(*where)
    if query.page_token:
        value, last_id = _decode_token(query.page_token, shape, sort_field)
        stmt = stmt.where(_after(sort_field, listing.entity.id, value, last_id, descending))
    order = _order(sort_field, listing.entity.id, descending, s.get_bind().dialect.name)
    rows = list(s.scalars(stmt.options(*options).order_by(*order).limit(size + 1)))
    next_token = None
    if len(rows) > size:
        rows = rows[:size]
        last = rows[-1]
        next_token = _encode_token(shape, sort_field, getattr(last, sort_field.column.key), last.id)
    return rows, next_token, total


def page_size(requested: int | None) -> int:
    if not requested:
        return DEFAULT_PAGE_SIZE
    if requested < 0 or requested > MAX_PAGE_SIZE:
        raise InvalidArgumentError(
            f"page_size {requested} is out of range", f"give 1 to {MAX_PAGE_SIZE}, or 0 for 20"
        )
    return requested


def parse_sort(listing: Listing, sort_by: str) -> tuple[str, bool]:
    """The field and whether it is descending, from "field", "field asc" or "field desc"."""
    parts = sort_by.split()
    if not parts:
        return listing.default_sort, False
    if len(parts) > 2 or (len(parts) == 2 and parts[1].lower() not in ("asc", "desc")):
        raise InvalidArgumentError(
            f"sort_by {sort_by!r} is not 'field', 'field asc' or 'field desc'",
            f"sort {listing.resource} by one of: {', '.join(_sortable(listing))}",
        )
    key = parts[0]
    found = listing.fields.get(key)
    if found is None or not found.sortable:
        raise InvalidArgumentError(
            f"cannot sort {listing.resource} by {key!r}",
            f"sort by one of: {', '.join(_sortable(listing))}",
        )
    return key, len(parts) == 2 and parts[1].lower() == "desc"


def _sortable(listing: Listing) -> list[str]:
    return sorted(k for k, f in listing.fields.items() if f.sortable)


def parse_filter(listing: Listing, text: str | None) -> list[_Predicate]:
    """The predicates of a v2beta1 Filter in JSON (snake_case or camelCase keys)."""
    if text is None or not text.strip():
        return []
    try:
        document = json.loads(text)
    except ValueError as exc:
        raise InvalidArgumentError(
            f"filter is not valid JSON: {exc}",
            'give {"predicates": [{"key": ..., "operation": ..., "string_value": ...}]}',
        ) from exc
    if not isinstance(document, dict):
        raise InvalidArgumentError("filter must be a JSON object with a 'predicates' list")
    unknown = set(document) - {"predicates"}
    if unknown:
        raise InvalidArgumentError(
            f"filter has unknown field(s) {', '.join(sorted(unknown))}",
            "a filter has only 'predicates'",
        )
    raw = document.get("predicates")
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise InvalidArgumentError("filter 'predicates' must be a list")
    return [_predicate(listing, item) for item in raw]


def _predicate(listing: Listing, item: Any) -> _Predicate:
    if not isinstance(item, dict):
        raise InvalidArgumentError(f"filter predicate {item!r} is not a JSON object")
    values = {_snake(k): v for k, v in item.items()}
    unknown = set(values) - {"key", "operation", *_SCALAR_KEYS, *_LIST_KEYS}
    if unknown:
        raise InvalidArgumentError(f"filter predicate has unknown field(s) {sorted(unknown)}")
    key = values.pop("key", None)
    if not isinstance(key, str):
        raise InvalidArgumentError(f"filter predicate {item!r} has no 'key'")
    field = listing.field(key, "filter")
    operation = _operation(values.pop("operation", None), key)
    if len(values) != 1:
        raise InvalidArgumentError(
            f"filter predicate on {key!r} needs exactly one value",
            f"give one of {', '.join(_SCALAR_KEYS + _LIST_KEYS)}",
        )
    ((value_key, raw),) = values.items()
    if operation == "IN":
        if value_key not in _LIST_KEYS:
            raise InvalidArgumentError(
                f"filter IN on {key!r} needs string_values, int_values or long_values"
            )
        if isinstance(raw, dict) and set(raw) <= {"values"}:
            raw = raw.get("values") or []
        if not isinstance(raw, list):
            raise InvalidArgumentError(f"filter {value_key} on {key!r} must be a list")
        scalar_key = value_key[:-1]
        return _Predicate(key, operation, [_coerce(field, key, scalar_key, v) for v in raw])
    if value_key not in _SCALAR_KEYS:
        raise InvalidArgumentError(f"filter {operation} on {key!r} needs a single value")
    if operation == "IS_SUBSTRING" and field.kind != "string":
        raise InvalidArgumentError(f"filter IS_SUBSTRING needs a text field, not {key!r}")
    if field.kind == "bool" and operation not in ("EQUALS", "NOT_EQUALS"):
        raise InvalidArgumentError(f"filter on {key!r} takes only EQUALS or NOT_EQUALS")
    return _Predicate(key, operation, _coerce(field, key, value_key, raw))


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name)


def _operation(raw: Any, key: str) -> str:
    name: str | None = None
    if isinstance(raw, bool):
        name = None
    elif isinstance(raw, int):
        name = _BY_CODE.get(raw)
    elif isinstance(raw, str):
        name = _BY_CODE.get(int(raw)) if raw.isdigit() else raw.upper()
    if name not in OPERATIONS:
        codes = ", ".join(f"{n} ({c})" for n, c in OPERATIONS.items())
        raise InvalidArgumentError(
            f"filter predicate on {key!r} has unknown operation {raw!r}", f"use one of: {codes}"
        )
    return name


def _coerce(field: Field, key: str, value_key: str, raw: Any) -> Any:
    wrong = InvalidArgumentError(
        f"filter value {raw!r} ({value_key}) does not fit {field.kind} field {key!r}",
        {
            "string": "give string_value",
            "timestamp": "give timestamp_value (RFC 3339) or int_value/long_value (Unix seconds)",
            "bool": "give bool_value",
            "int": "give int_value or long_value",
        }[field.kind],
    )
    if field.kind == "string":
        if value_key != "string_value" or not isinstance(raw, str):
            raise wrong
        return raw
    if field.kind == "bool":
        if value_key != "bool_value" or not isinstance(raw, bool):
            raise wrong
        return raw
    if value_key in ("int_value", "long_value"):
        number = _integer(raw)
        if number is None:
            raise wrong
        if field.kind == "int":
            return number
        try:
            return datetime.fromtimestamp(number, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            raise wrong from exc
    if field.kind == "timestamp" and value_key in ("timestamp_value", "string_value"):
        if not isinstance(raw, str):
            raise wrong
        try:
            parsed = datetime.fromisoformat(raw)
        except ValueError as exc:
            raise wrong from exc
        return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
    raise wrong


def _integer(raw: Any) -> int | None:
    # int64 values travel as JSON strings in proto3 JSON.
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, str) and raw.lstrip("-").isdigit():
        return int(raw)
    return None


def _condition(field: Field, predicate: _Predicate) -> ColumnElement[bool]:
    column: Any = field.column
    value = predicate.value
    if predicate.operation == "IN":
        result: ColumnElement[bool] = column.in_(value) if value else false()
    elif predicate.operation == "IS_SUBSTRING":
        result = column.icontains(value, autoescape=True)
    else:
        result = _COMPARISONS[predicate.operation](column, value)
    return result


_COMPARISONS = {
    "EQUALS": operator.eq,
    "NOT_EQUALS": operator.ne,
    "GREATER_THAN": operator.gt,
    "GREATER_THAN_EQUALS": operator.ge,
    "LESS_THAN": operator.lt,
    "LESS_THAN_EQUALS": operator.le,
}


def _order(field: Field, id_column: Any, descending: bool, dialect: str) -> list[Any]:
    if descending:
        first = field.column.desc()
        if field.nullable and dialect == "postgresql":
            first = first.nulls_last()
        return [first, id_column.desc()]
    first = field.column.asc()
    if field.nullable and dialect == "postgresql":
        first = first.nulls_first()
    return [first, id_column.asc()]


def _after(
    field: Field, id_column: Any, value: Any, last_id: str, descending: bool
) -> ColumnElement[bool]:
    """The rows that come after (value, last_id) in the page order.

    Written as `col >= v AND (col > v OR id > last)` rather than a row-value comparison so that
    every database turns the first term into an index range.
    """
    column = field.column
    if value is None:
        if descending:
            return and_(column.is_(None), id_column < last_id)
        return or_(column.is_not(None), and_(column.is_(None), id_column > last_id))
    if descending:
        after = and_(column <= value, or_(column < value, id_column < last_id))
        return or_(after, column.is_(None)) if field.nullable else after
    return and_(column >= value, or_(column > value, id_column > last_id))


def _shape(
    listing: Listing,
    field: Field,
    descending: bool,
    predicates: list[_Predicate],
    namespace: str | None,
    scope: Mapping[str, str | None],
) -> str:
    document = {
        "resource": listing.resource,
        "sort": [field.column.key, descending],
        "filter": [
            [listing.fields[p.key].column.key, p.operation, _jsonable(p.value)] for p in predicates
        ],
        "namespace": namespace,
        "scope": dict(scope),
    }
    encoded = json.dumps(document, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()[:16]


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value


def _encode_token(shape: str, field: Field, value: Any, last_id: str) -> str:
    document = {"s": shape, "v": _jsonable(value), "i": last_id}
    return base64.urlsafe_b64encode(json.dumps(document).encode()).decode()


def _decode_token(token: str, shape: str, field: Field) -> tuple[Any, str]:
    malformed = InvalidArgumentError(
        f"page_token {token[:40]!r} is not one this server made",
        "pass the next_page_token of the previous page unchanged",
    )
    try:
        document = json.loads(base64.urlsafe_b64decode(token.encode()))
    except (ValueError, binascii.Error) as exc:
        raise malformed from exc
    if not isinstance(document, dict) or not isinstance(document.get("i"), str):
        raise malformed
    if document.get("s") != shape:
        raise InvalidArgumentError(
            "page_token belongs to a list with another sort_by, filter, namespace or parent",
            "send the same sort_by and filter as the first page, or start again without a token",
        )
    value = document.get("v")
    if value is None:
        return None, document["i"]
    if field.kind == "timestamp":
        try:
            value = datetime.fromisoformat(value)
        except (TypeError, ValueError) as exc:
            raise malformed from exc
    elif not isinstance(value, _TOKEN_TYPES[field.kind]):
        raise malformed
    return value, document["i"]


_TOKEN_TYPES = {"string": str, "bool": bool, "int": int}
