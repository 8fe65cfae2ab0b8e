"""Shell completion for bash, zsh and fish, by argcomplete.

``meshgen completion SHELL`` prints argcomplete's script for that shell; the script runs
``meshgen`` with ``_ARGCOMPLETE`` set whenever the user presses Tab, and :func:`complete`
answers from the command line's own parser (commands, options, choices), offering the
project's topology names and files where a topology is expected.

May import: ``errors``, ``inputs``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

PROGRAM = "meshgen"


def script(shell: str) -> str:
    """The completion script for ``shell`` (bash, zsh or fish)."""
    from argcomplete import shell_integration

    text: str = shell_integration.shellcode([PROGRAM], shell=shell)
    return text


def complete(parser: argparse.ArgumentParser) -> None:
    """Answer the shell's completion request (exits), or return when there is none."""
    import argcomplete

    # Options are offered once a '-' is typed; before that, what the command expects.
    argcomplete.autocomplete(parser, always_complete_options=False)


def topology_candidates(prefix: str) -> list[str]:
    """What may stand where a topology is expected: the project's topology names, and files
    and folders that start with ``prefix``."""
    from .errors import MeshgenError
    from .inputs.project import find_project, topology_names

    try:
        names = topology_names(find_project())
    except MeshgenError:
        names = []
    found = [name for name in names if name.startswith(prefix)]
    folder, _, start = prefix.rpartition("/")
    base = Path(folder) if folder else Path(".")
    try:
        entries = sorted(base.iterdir())
    except OSError:
        entries = []
    for entry in entries:
        if not entry.name.startswith(start) or (entry.name.startswith(".") and not start):
            continue
        shown = f"{folder}/{entry.name}" if folder else entry.name
        if entry.is_dir():
            found.append(shown + "/")
        elif entry.suffix in (".yaml", ".yml"):
            found.append(shown)
    return found
