"""HTTP Range requests (RFC 9110 section 14): one byte range of a file of known size."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ByteRange:
    start: int
    length: int

    @property
    def end(self) -> int:
        """The last byte, inclusive, as Content-Range writes it."""
        return self.start + self.length - 1


class RangeNotSatisfiable(Exception):
    """The range starts at or after the end of the file."""


def requested_range(header: str | None, size: int) -> ByteRange | None:
    """The range a `Range` header asks for; None to send the whole file.

    A header this server does not serve (several ranges, another unit, bad syntax) is ignored,
    as RFC 9110 allows: the answer is then the whole file with 200.
    """
    if not header:
        return None
    unit, _, spec = header.strip().partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first, dash, last = spec.strip().partition("-")
    first, last = first.strip(), last.strip()
    if not dash:
        return None
    if not first:  # the last N bytes
        if not last.isdigit():
            return None
        suffix = int(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable
        start = max(0, size - suffix)
        return ByteRange(start, size - start)
    if not first.isdigit() or (last and not last.isdigit()):
        return None
    start = int(first)
    if last and int(last) < start:
        return None
    if start >= size:
        raise RangeNotSatisfiable
    end = size - 1 if not last else min(int(last), size - 1)
    return ByteRange(start, end - start + 1)
