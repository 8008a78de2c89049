"""The errors users can act on: each names what is wrong and what to do."""

from __future__ import annotations


class HeadraceError(Exception):
    """Base of every error Headrace reports to a user (CLI exit 2, API 4xx)."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class PipelineLoadError(HeadraceError):
    """The pipeline file cannot be read, parsed or compiled."""


class PipelineSpecError(HeadraceError):
    """The pipeline IR is invalid or uses something Headrace cannot run."""


class ParameterError(HeadraceError):
    """A run parameter is unknown, missing or of the wrong type."""


class ConditionError(HeadraceError):
    """A trigger condition (CEL) does not parse or cannot be evaluated."""


class NotFoundError(HeadraceError):
    """A run, task or other stored object does not exist."""


class ConfigError(HeadraceError):
    """A setting has a value Headrace cannot use."""


class ConflictError(HeadraceError):
    """The request clashes with what is stored: a taken name, or a resource still in use."""


class InvalidArgumentError(HeadraceError):
    """A request argument (filter, sort, page token, page size, field) has a value that is wrong."""


class StorageError(HeadraceError):
    """Artifact or log bytes could not be read or written; names the URI and the endpoint."""
