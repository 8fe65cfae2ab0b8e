"""Where a project is, where it keeps its topologies and how they may be named; light enough for
the CLI's fast paths.

A project is found the way git and ruff find theirs: from the working folder upwards, the
nearest folder holding ``meshgen.toml``, a ``pyproject.toml`` with a ``[tool.meshgen]`` table,
or a ``topologies/`` folder; the walk stops at the top of a git repository. ``--project DIR``
names it instead. Without one, the working folder is the project (so files named on the
command line still work anywhere).
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import InputError, UsageError
from .settings import PYPROJECT, SETTINGS_FILE, Settings, has_pyproject_table, read_settings

TOPOLOGY_SUFFIXES = (".yaml", ".yml")
DNS_LABEL = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
"""Names of topologies, clusters, apps and services (the schema's pattern; at most 63 long)."""
DNS_LABEL_MAX = 63
LOCAL_SCHEMA = Path("schemas") / "topology.schema.json"
"""Where a project keeps the topology schema its files' ``$schema`` modeline names, relative
to the project folder; ``meshgen build`` keeps it current."""
STDIN = "-"
"""The file name that means standard input."""
STDIN_DISPLAY = "<stdin>"
"""How errors name a topology read from standard input."""


def is_dns_label(name: str) -> bool:
    return len(name) <= DNS_LABEL_MAX and re.fullmatch(DNS_LABEL, name) is not None


class Project:
    """A project folder and its settings; paths it hands out are absolute."""

    def __init__(self, root: Path, settings: Settings, marker: str) -> None:
        self.root = root
        self.settings = settings
        self.marker = marker
        """What made this folder the project: a file or folder name, ``--project`` or ``.``."""

    @property
    def topologies(self) -> Path:
        return self.root / self.settings.topologies

    @property
    def output(self) -> Path:
        return self.root / self.settings.output

    @property
    def found(self) -> bool:
        """False when no project was found and the working folder stands in for one."""
        return self.marker != "."

    def default_topologies(self) -> list[Path]:
        """Every topology file of the project, sorted."""
        folder = self.topologies
        if not folder.is_dir():
            where = display(folder)
            raise InputError(
                f"no {where}/ folder here or in any folder above; run meshgen in a project "
                "folder (or pass --project DIR), name topology files on the command line, or "
                "start a project with: meshgen init"
            )
        return topologies_in(folder)


def display(path: Path) -> str:
    """``path`` relative to the working folder (``../topologies/lab.yaml`` from a subfolder,
    as git shows paths), or absolute when that is further than three folders up."""
    if str(path) == STDIN:
        return STDIN_DISPLAY
    try:
        relative = os.path.relpath(path, Path.cwd())
    except ValueError:  # another drive
        return str(path)
    ups = relative.split(os.sep).count("..")
    return relative if ups <= 3 else str(path.resolve())


def find_project(start: Path | None = None, explicit: Path | None = None) -> Project:
    """The project ``explicit`` names, else the nearest one at or above ``start`` (the working
    folder), else the working folder itself without settings."""
    here = (start if start is not None else Path.cwd()).resolve()
    if explicit is not None:
        root = explicit.resolve()
        if not root.is_dir():
            raise UsageError(f"--project {explicit}: no such folder")
        return _project_at(root, "--project")
    for folder in (here, *here.parents):
        if (folder / SETTINGS_FILE).is_file():
            return _project_at(folder, SETTINGS_FILE)
        if (folder / PYPROJECT).is_file() and has_pyproject_table(folder / PYPROJECT):
            return _project_at(folder, PYPROJECT)
        if (folder / "topologies").is_dir():
            return _project_at(folder, "topologies/")
        if (folder / ".git").exists():
            break
    return Project(here, Settings(), ".")


def _project_at(root: Path, marker: str) -> Project:
    for name in (SETTINGS_FILE, PYPROJECT):
        path = root / name
        if path.is_file() and (name == SETTINGS_FILE or has_pyproject_table(path)):
            return Project(root, read_settings(path, display(path)), marker)
    return Project(root, Settings(), marker)


def topologies_in(folder: Path) -> list[Path]:
    """Every topology file (``*.yaml``, ``*.yml``) under ``folder``, sorted; hidden files and
    folders are left out."""
    found: list[Path] = []
    for current, folders, files in os.walk(folder):
        folders[:] = sorted(f for f in folders if not f.startswith("."))
        found.extend(Path(current) / name for name in files
                     if name.endswith(TOPOLOGY_SUFFIXES) and not name.startswith("."))
    return sorted(found)


def expand_inputs(named: Sequence[Path], project: Project, stdin: bool = False
                  ) -> tuple[list[Path], bool]:
    """The topology files ``named`` (a folder stands for every topology under it; ``-`` for
    standard input where ``stdin`` allows it), or the project's; the flag is true in the last
    case, where a build also prunes the output folders no topology owns any more."""
    if not named:
        return project.default_topologies(), True
    files: list[Path] = []
    for path in named:
        if str(path) == STDIN:
            if not stdin:
                raise UsageError("'-' (standard input) can be validated only: meshgen "
                                 "validate -; other commands read topology files")
            files.append(path)
        elif path.is_dir():
            inside = topologies_in(path)
            if not inside:
                raise InputError(f"{path}: a folder without topology files (*.yaml, *.yml)")
            files.extend(inside)
        elif path.exists():
            files.append(path)
        else:
            files.append(_by_name(project, path))
    if sum(str(p) == STDIN for p in files) > 1:
        raise UsageError("'-' (standard input) can be named once")
    return list(dict.fromkeys(files)), False


def _by_name(project: Project, path: Path) -> Path:
    """The project's topology file named ``path`` (``lab`` for ``topologies/lab.yaml``)."""
    name = str(path)
    if is_dns_label(name) and project.topologies.is_dir():
        found = [p for p in topologies_in(project.topologies) if p.stem == name]
        if len(found) == 1:
            return found[0]
    raise InputError(f"{path}: no such file" + (
        f", nor a topology of that name in {display(project.topologies)}/"
        if is_dns_label(name) else ""))


def topology_names(project: Project) -> list[str]:
    """Names of the project's topology files, as the command line accepts them."""
    if not project.topologies.is_dir():
        return []
    return sorted({p.stem for p in topologies_in(project.topologies)})
