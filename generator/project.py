"""Where a project keeps its topologies; light enough for the CLI's fast paths."""

from __future__ import annotations

from pathlib import Path

from .errors import InputError

TOPOLOGY_SUFFIXES = (".yaml", ".yml")


def default_topologies(directory: Path = Path("topologies")) -> list[Path]:
    """Every topology file of the project, sorted."""
    if not directory.is_dir():
        raise InputError(
            f"no {directory}/ folder here; run meshgen in a project folder, name topology files "
            "on the command line, or create one with: meshgen new NAME"
        )
    return sorted(p for p in directory.iterdir() if p.suffix in TOPOLOGY_SUFFIXES)
