"""Errors of the service layer that the HeadraceError family does not already name."""

from __future__ import annotations

from headrace.errors import HeadraceError


class UnimplementedError(HeadraceError):
    """The request is valid but this Headrace cannot do it yet (API 501)."""
