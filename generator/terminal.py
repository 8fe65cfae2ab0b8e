"""Colour on a terminal, and only there.

A stream gets colour when it is a terminal (``isatty``) whose ``TERM`` is not ``dumb``; never a
file or a pipe. ``NO_COLOR`` (set and not empty) turns colour off everywhere and wins over
``FORCE_COLOR`` (set and not empty), which turns it on even in a pipe, for CI logs that render
ANSI colours.

May import: nothing of meshgen.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import IO

_CODES = {"bold": "1", "dim": "2", "red": "31", "green": "32", "yellow": "33", "cyan": "36",
          "magenta": "35"}


def wants_colour(stream: IO[str], environ: Mapping[str, str] | None = None) -> bool:
    env = os.environ if environ is None else environ
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    if env.get("TERM") == "dumb":
        return False
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty and isatty())
    except ValueError:  # a closed stream
        return False


class Style:
    """Wraps text in ANSI colours when ``enabled``; otherwise returns it unchanged."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled

    @classmethod
    def for_stream(cls, stream: IO[str]) -> Style:
        return cls(wants_colour(stream))

    def __call__(self, text: str, *styles: str) -> str:
        if not self.enabled or not styles or not text:
            return text
        codes = ";".join(_CODES[s] for s in styles)
        return f"\033[{codes}m{text}\033[0m"

    def diff(self, text: str) -> str:
        """A unified diff with its added, removed and hunk lines coloured."""
        if not self.enabled:
            return text
        out = []
        for line in text.splitlines(keepends=True):
            body, end = (line[:-1], "\n") if line.endswith("\n") else (line, "")
            if line.startswith(("+++", "---")):
                out.append(self(body, "bold") + end)
            elif line.startswith("+"):
                out.append(self(body, "green") + end)
            elif line.startswith("-"):
                out.append(self(body, "red") + end)
            elif line.startswith("@@"):
                out.append(self(body, "cyan") + end)
            else:
                out.append(line)
        return "".join(out)
