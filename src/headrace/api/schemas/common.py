"""What every v2beta1 schema shares: strict parsing, RFC 3339 UTC times, int64 as strings."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, PlainSerializer


def utc(value: datetime) -> datetime:
    """The same instant in UTC; a time without a zone is taken to be UTC already."""
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def rfc3339(value: datetime) -> str:
    """`2024-05-01T12:00:00Z`, with fractions of a second only when there are some."""
    text = utc(value).replace(tzinfo=None).isoformat()
    return f"{text}Z"


def _int64(value: Any) -> Any:
    # proto3 JSON writes int64 as a string; clients send either form.
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return value


# A time: read as RFC 3339 (UTC when no zone is given), written as RFC 3339 UTC with `Z`.
Timestamp = Annotated[datetime, AfterValidator(utc), PlainSerializer(rfc3339, str)]
# An int64 field: read from a number or a string, written as a string (proto3 JSON).
Int64 = Annotated[int, BeforeValidator(_int64), PlainSerializer(str, str)]


class ApiModel(BaseModel):
    """A v2beta1 message: snake_case fields, unknown fields rejected, as Kubeflow does."""

    model_config = ConfigDict(extra="forbid", strict=False)


class Status(ApiModel):
    """google.rpc.Status: how Kubeflow reports an error inside a resource and as a response."""

    code: int | None = None
    message: str | None = None
    details: list[dict[str, Any]] | None = None


class ErrorBody(BaseModel):
    """The body of every 4xx/5xx answer (grpc-gateway's shape)."""

    error: str
    code: int
    message: str
    details: list[dict[str, Any]]


class Empty(ApiModel):
    """The `{}` that actions such as archive and delete answer with."""
