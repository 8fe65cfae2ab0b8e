"""Two output trees of one topology compared folder by folder: the files added, changed and
removed under each cluster's folder (and the topology's own files, such as ``apply.sh``).

MANIFEST.json is left out: it lists every file's hash, so it changes whenever anything does,
and says nothing a reviewer needs.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field

from ..artifacts import MANIFEST

WHOLE = ""
"""The folder key of files at the top of ``output/<name>/`` (``apply.sh``, scripts)."""


@dataclass
class FolderChanges:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.added or self.changed or self.removed)

    def as_dict(self) -> dict[str, list[str]]:
        return {"added": self.added, "changed": self.changed, "removed": self.removed}


def folder_of(path: str) -> str:
    head, sep, _ = path.partition("/")
    return head if sep else WHOLE


def compare_files(old: Mapping[str, bytes], new: Mapping[str, bytes]
                  ) -> dict[str, FolderChanges]:
    """Folder -> what changed in it, for the folders where anything did, in path order."""
    found: dict[str, FolderChanges] = {}

    def at(path: str) -> FolderChanges:
        return found.setdefault(folder_of(path), FolderChanges())

    for path in sorted(set(old) | set(new)):
        if path == MANIFEST:
            continue
        if path not in old:
            at(path).added.append(path)
        elif path not in new:
            at(path).removed.append(path)
        elif old[path] != new[path]:
            at(path).changed.append(path)
    return dict(sorted(found.items(), key=lambda item: (item[0] == WHOLE, item[0])))


def unified(path: str, old: bytes | None, new: bytes | None) -> str:
    """The unified diff of one file, from ``old`` to ``new`` (None: the file is not there)."""
    before = _lines(old)
    after = _lines(new)
    diff = difflib.unified_diff(before, after, f"a/{path}" if old is not None else "/dev/null",
                                f"b/{path}" if new is not None else "/dev/null")
    text = "".join(line if line.endswith("\n") else line + "\n" for line in diff)
    return text


def _lines(data: bytes | None) -> list[str]:
    if data is None:
        return []
    return data.decode("utf-8", "replace").splitlines(keepends=True)
