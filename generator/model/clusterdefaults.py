"""Cluster defaults: settings most clusters share, written once in ``clusterDefaults``.

A cluster that writes a setting keeps its own; one that leaves it out takes the default, with
``<name>`` replaced by the cluster's name (``context: <name>-admin``); one that neither writes
it nor has a default gets the built-in default, as before.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

SHARED = ("provider", "context", "network", "listenPool")
"""The cluster settings ``clusterDefaults`` may give."""
NAME = "<name>"


def with_defaults(raw: Mapping[str, Any], defaults: Mapping[str, Any], name: str
                  ) -> tuple[dict[str, Any], frozenset[str]]:
    """The cluster's entry with the defaults it leaves out filled in, and their keys."""
    taken = {key: value for key, value in defaults.items() if key in SHARED and key not in raw}
    filled = {key: value.replace(NAME, name) if isinstance(value, str) else value
              for key, value in taken.items()}
    return {**raw, **filled}, frozenset(filled)
