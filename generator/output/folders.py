"""The output root and what is in it: its topology folders, and entries meshgen did not write.

meshgen writes regular files and folders only. Whatever else the walk (:mod:`.tree`) finds in
a topology's folder, or in the place of the folder itself, becomes one located problem here
(the path under ``output/``, the rule, a hint), never something read or followed; every
command stops on them the same way (:class:`~generator.errors.ForeignEntries`, exit 1), and
a build writes nothing while any is there. Entries directly in the output root that no
topology names are left alone and never opened.
"""

from __future__ import annotations

import json
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from ..artifacts import MANIFEST
from ..errors import ForeignEntries, InputError, Location, Problem
from .tree import LINK, NOT_FOLDER, SPECIAL_FILE, Skipped, Walk, read_regular

# What each kind of entry means, and what to do about it; the message is completed with
# what the entry is and the location with where it is.
TEMPLATES = {
    LINK: Problem(
        "output-link", "meshgen writes no links and follows none under the output folder",
        hint="remove the link (rm removes the link, not what it points to), then run meshgen "
             "build; files meshgen writes are never links"),
    SPECIAL_FILE: Problem(
        "output-special-file", "meshgen writes only regular files here and never opens "
        "anything else",
        hint="remove it, then run meshgen build; reading a FIFO would wait for ever and a "
             "device may never end, so meshgen leaves it unopened"),
    NOT_FOLDER: Problem(
        "output-not-folder", "this is where meshgen writes the topology's folder",
        hint="move the file elsewhere, then run meshgen build"),
}


def foreign_problem(location: str, skipped: Skipped) -> Problem:
    """The located problem of one entry meshgen did not write."""
    template = TEMPLATES[skipped.rule]
    return Problem(template.rule, f"{skipped.what}; {template.message}", hint=template.hint,
                   location=Location(location))


def foreign_problems(found: Walk) -> list[Problem]:
    """One problem per entry the walk passed over; a folder it could not list is an I/O error
    (InputError), since nothing can be said about what it holds."""
    problems = []
    for skipped in found.skipped:
        location = str(found.folder / skipped.path) if skipped.path else str(found.folder)
        if not skipped.rule:
            raise InputError(f"cannot read {location}: {skipped.what}")
        problems.append(foreign_problem(location, skipped))
    return problems


def refuse(problems: Iterable[Problem]) -> None:
    found = list(problems)
    if found:
        raise ForeignEntries(found)


def require_root(root: Path) -> bool:
    """Whether the output root exists; InputError when something else than a folder (or a
    link to one, the user's choice of where output goes) is in its place."""
    try:
        info = os.stat(root)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise InputError(f"cannot use {root}: {exc.strerror or exc}") from None
    if not stat.S_ISDIR(info.st_mode):
        raise InputError(f"cannot use {root}: it is a file, not a folder")
    return True


def folders_in(root: Path) -> list[str]:
    """Names of the real folders (never links) directly in the output root, without meshgen's
    own hidden entries; none when there is no root yet."""
    if not require_root(root):
        return []
    try:
        with os.scandir(root) as listing:
            return sorted(entry.name for entry in listing
                          if not entry.name.startswith(".")
                          and entry.is_dir(follow_symlinks=False))
    except OSError as exc:
        raise InputError(f"cannot read {root}: {exc.strerror or exc}") from None


def generated_folder(folder: Path) -> bool:
    """Whether ``folder`` is a real folder whose MANIFEST.json (a regular file) says meshgen
    wrote it."""
    try:
        if not stat.S_ISDIR(os.lstat(folder).st_mode):
            return False
        manifest = json.loads(read_regular(str(folder / MANIFEST)))
    except (OSError, ValueError):
        return False
    return isinstance(manifest, dict) and manifest.get("generator") == "meshgen"
