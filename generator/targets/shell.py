"""Shell words shared by the targets that write runbook commands.

Every kubectl and istioctl line of the runbook is made here, so that each names its cluster
one way: ``--context CONTEXT``, every word quoted as :func:`shlex.join` quotes it. A word that
must stay shell (an expansion such as ``"$STATE_DIR"/file``) is passed as :class:`Shell`.
"""

from __future__ import annotations

import shlex

from ..model import Cluster, SecretRef

INVOKED_FROM = "MESHGEN_INVOKED_FROM"
"""Set by apply.sh to the folder it was started from, before it changes to its own."""
KEY_FILE_LIMIT = 4096
"""The largest key file the scripts read, in bytes: a pre-shared key is a line of text, and a
larger file (or a device that never ends) is a mistake, refused before it is read."""


class Shell(str):
    """A word already written as shell, placed in a command line as is."""

    __slots__ = ()


def command(*words: str) -> str:
    """One command line: each word quoted, except :class:`Shell` words."""
    return " ".join(w if isinstance(w, Shell) else shlex.quote(w) for w in words)


def kubectl(cluster: Cluster, *args: str) -> str:
    """A kubectl command line against ``cluster``'s context."""
    return command("kubectl", "--context", cluster.context, *args)


def istioctl(cluster: Cluster, subcommand: str, *args: str) -> str:
    """An istioctl command line against ``cluster``'s context."""
    return command("istioctl", subcommand, "--context", cluster.context, *args)


def pipe(*commands: str) -> str:
    """Commands joined by pipes, each reading what the one before it wrote."""
    return " | ".join(commands)


def key_file_word(key: SecretRef) -> Shell:
    """A key file's path as one bash word that never expands its content: ``~/`` is the home
    folder; a relative path is read from the folder apply.sh was started from, so a key kept
    beside the topologies is never looked for inside output/."""
    path = key.name
    if key.relative:
        # Outside apply.sh (a step copied into a shell) the current folder stands in.
        return Shell(f'"${{{INVOKED_FROM}:-$PWD}}"/' + shlex.quote(path))
    if path == "~":
        return Shell('"$HOME"')
    if path.startswith("~/"):
        return Shell('"$HOME"/' + shlex.quote(path[2:]))
    return Shell(shlex.quote(path))
