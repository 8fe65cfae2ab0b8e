"""A string enum that reads as its value wherever it is written.

Python 3.10 has no ``enum.StrEnum``, and a plain ``(str, Enum)`` member formats differently
across versions (``format()`` gives the value on 3.10, ``Class.MEMBER`` from 3.11 on). Members
of :class:`StrEnum` are their value in ``str()``, f-strings, JSON and comparisons everywhere.

May import: nothing of meshgen.
"""

from __future__ import annotations

import enum


class StrEnum(str, enum.Enum):
    def __str__(self) -> str:
        return str.__str__(self)

    def __format__(self, format_spec: str) -> str:
        return str.__format__(str(self), format_spec)
