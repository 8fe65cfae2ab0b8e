"""Text helpers for free text from a topology.

It imports nothing of meshgen, so every layer (targets, docs) may use it.

May import: nothing of meshgen.
"""

from __future__ import annotations


def one_line(text: str) -> str:
    """Free text from the topology as one printable line: each run of white space or control
    characters becomes one space, and the ends are trimmed."""
    if text.isprintable():
        return " ".join(text.split())
    return " ".join("".join(ch if ch.isprintable() else " " for ch in text).split())
