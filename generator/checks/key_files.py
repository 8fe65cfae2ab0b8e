"""Key files named by the topology (``psk: {file: ...}``), as far as validation can see them.

Unlike the other checks this one looks at the file system, so it is not in the registry: the
API runs it with the project folder, where apply.sh is meant to be started and relative key
paths are read from. A key file may well not exist where the topology is validated (keys live
with the operator), so a missing file is fine; but a path that names something other than a
regular file (a named pipe would hang apply.sh, a device would feed it without end) or that
lies inside ``output/`` (committed to git, published on the site) is refused wherever it
already does. Nothing is opened: the file is looked at with ``stat`` only.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from ..errors import Problem
from ..inputs.source_file import kind_of
from ..model import SecretRef, Topology

OUTPUT_FOLDER = "output"


def key_path(ref: SecretRef, project: Path) -> Path:
    """Where apply.sh started in ``project`` reads the key file: ``~/`` from the home folder,
    a relative path from the project folder."""
    name = ref.name
    if name == "~" or name.startswith("~/"):
        return Path(os.path.expanduser(name))
    return project / name if ref.relative else Path(name)


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def key_file_problems(t: Topology, project: Path,
                      output: Path | None = None) -> Iterator[Problem]:
    """Problems with the key files of ``t``'s VPN links, read from ``project``; ``output`` is
    the generated folder (``project/output`` unless given)."""
    out = Path(os.path.realpath(output if output is not None else project / OUTPUT_FOLDER))
    for link in t.vpn:
        if link.psk.is_env or not link.psk.name:
            continue
        at = (*link.at, "psk", "file")
        where = Path(os.path.realpath(key_path(link.psk, project)))
        if _inside(where, out):
            yield Problem(
                "key-file",
                f"key file {link.psk.name} is inside {out.name}/, which is generated, "
                "committed to git and published on the review site",
                at,
                "keep keys out of output/ and out of git, e.g. ~/.secrets/<link>.psk",
            )
            continue
        try:
            mode = os.stat(where).st_mode
        except OSError:
            continue  # not here (yet): apply.sh checks it when it runs
        if not stat.S_ISREG(mode):
            yield Problem(
                "key-file",
                f"key file {link.psk.name} is {kind_of(mode)}, not a regular file",
                at,
                "name a regular file that holds the key: apply.sh reads it whole, and a named "
                "pipe or a device would block it or never end",
            )
