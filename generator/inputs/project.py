"""Where a project keeps its topologies and how they may be named; light enough for the CLI's
fast paths."""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import InputError

TOPOLOGY_SUFFIXES = (".yaml", ".yml")
DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
"""Names of topologies, clusters, apps and services (the schema's pattern; at most 63 long)."""
DNS_LABEL_MAX = 63


def is_dns_label(name: str) -> bool:
    return len(name) <= DNS_LABEL_MAX and re.fullmatch(DNS_LABEL, name) is not None


def default_topologies(directory: Path = Path("topologies")) -> list[Path]:
    """Every topology file of the project, sorted."""
    if not directory.is_dir():
        raise InputError(
            f"no {directory}/ folder here; run meshgen in a project folder, name topology files "
            "on the command line, or create one with: meshgen new NAME"
        )
    return sorted(p for p in directory.iterdir() if p.suffix in TOPOLOGY_SUFFIXES)
