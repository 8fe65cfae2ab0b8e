"""The same topologies give byte-identical output whatever the hash seed, locale or time zone."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from tests.helpers import TOPOLOGIES


def build_in(folder: Path, env: dict[str, str]) -> dict[str, tuple[bytes, int]]:
    shutil.copytree(TOPOLOGIES, folder / "topologies")
    done = subprocess.run(
        [sys.executable, "-m", "generator", "build", "-q"],
        cwd=folder, env={**os.environ, **env}, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mode & 0o777)
        for p in sorted((folder / "output").rglob("*"))
        if p.is_file() and not p.name.startswith(".meshgen")
    }


def test_two_processes_with_different_seed_locale_and_zone(tmp_path: Path) -> None:
    first = build_in(tmp_path / "a", {"PYTHONHASHSEED": "1", "LC_ALL": "C", "TZ": "UTC"})
    second = build_in(tmp_path / "b", {"PYTHONHASHSEED": "4242", "LC_ALL": "C.UTF-8",
                                       "TZ": "Pacific/Chatham"})
    assert first.keys() == second.keys()
    assert len(first) > 3
    for path in first:
        assert first[path] == second[path], path


def test_output_in_the_repository_is_current() -> None:
    """What is committed under output/ is what the generator writes."""
    from generator.api import default_topologies, differences

    root = TOPOLOGIES.parent
    cwd = Path.cwd()
    os.chdir(root)
    try:
        found = differences(default_topologies(), Path("output"), prune=True)
    finally:
        os.chdir(cwd)
    assert [(d.kind, d.path) for d in found] == []
