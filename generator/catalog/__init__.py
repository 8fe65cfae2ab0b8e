"""Bundled app definitions (Bookinfo), as data in the same shape as an app's ``services``.

Owns the ``*.yaml`` files beside this module and :func:`catalogs`, which reads them with the
topology loader.

May import: ``inputs``, ``errors``.
"""

from __future__ import annotations

import functools
from importlib import resources
from typing import Any

from ..inputs.loader import LoadFailed, parse_source


@functools.cache
def catalogs() -> dict[str, dict[str, Any]]:
    """Bundled app definitions by name."""
    found: dict[str, dict[str, Any]] = {}
    for entry in sorted(resources.files(__name__).iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            doc = parse_source(entry.read_bytes(), f"catalog/{entry.name}")
            if doc.problems:
                raise LoadFailed(list(doc.problems))
            found[entry.name.removesuffix(".yaml")] = doc.data
    return found


__all__ = ["catalogs"]
