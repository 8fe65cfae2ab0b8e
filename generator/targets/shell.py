"""Shell words shared by the targets that write runbook commands."""

from __future__ import annotations

import shlex

from ..model import Cluster

INVOKED_FROM = "MESHGEN_INVOKED_FROM"
"""Set by apply.sh to the folder it was started from, before it changes to its own."""


def key_file_word(path: str) -> str:
    """A key file path as one bash word that never expands its content: ``~/`` is the home
    folder; a relative path is read from the folder apply.sh was started from, so a key kept
    beside the topologies is never looked for inside output/."""
    if path == "~":
        return '"$HOME"'
    if path.startswith("~/"):
        return '"$HOME"/' + shlex.quote(path[2:])
    if path.startswith("/"):
        return shlex.quote(path)
    # Outside apply.sh (a step copied into a shell) the current folder stands in.
    return f'"${{{INVOKED_FROM}:-$PWD}}"/' + shlex.quote(path)


def kubectl(cluster: Cluster, *args: str) -> str:
    """A kubectl command line against ``cluster``'s context."""
    return shlex.join(["kubectl", "--context", cluster.context, *args])
