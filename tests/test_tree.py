"""The one walk over an output folder and the one comparison with a rendered tree.

The walk lists regular files only; what else it meets (links, FIFOs, sockets, folders it cannot
list) it collects, never opening or following it. The comparison reports each kind of
difference, with unified diffs only when asked for them.
"""

from __future__ import annotations

import builtins
import os
import shutil
import signal
import socket
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.api import differences
from generator.artifacts import Artifact, Kind, RenderedTree, render_tree
from generator.output import tree as tree_module
from generator.output.tree import (
    LINK,
    SPECIAL_FILE,
    Difference,
    DifferenceKind,
    Skipped,
    compare,
    read_regular,
    walk,
)
from generator.output.writer import write_tree
from tests.helpers import SEED
from tests.helpers import write_tree as write_files


def rendered(**files: str) -> RenderedTree:
    """A tree named ``lab``; keys use __ for / and a trailing _sh for an executable .sh."""
    artifacts = [Artifact(key.replace("__", "/").replace("_", "."), text, Kind.TEXT,
                          executable=key.endswith("_sh"))
                 for key, text in files.items()]
    return render_tree("lab", "lab.yaml", "0" * 64, artifacts)


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Fail instead of waiting for ever should anything open a FIFO for reading."""
    def expired(_signum: int, _frame: object) -> None:
        raise TimeoutError("blocked: something opened a FIFO")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(20)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def opened(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every path opened or listed from now on, by any of the ways Python opens one."""
    seen: list[str] = []

    def spy(real: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(path: Any, *args: Any, **kwargs: Any) -> Any:
            seen.append(os.fsdecode(path) if isinstance(path, (str, bytes, os.PathLike))
                        else repr(path))
            return real(path, *args, **kwargs)
        return wrapper

    monkeypatch.setattr(os, "open", spy(os.open))
    monkeypatch.setattr(os, "scandir", spy(os.scandir))
    monkeypatch.setattr(builtins, "open", spy(builtins.open))
    return seen


def odd_folder(tmp_path: Path) -> tuple[Path, Path]:
    """A folder holding regular files beside a link to a file, a link to a folder full of
    files, a dangling link, a FIFO and a socket; and the folder the link points into."""
    elsewhere = tmp_path / "elsewhere"
    write_files(elsewhere, {"secret.txt": "not for the walk\n", "deep": {"x.txt": "no\n"}})
    folder = tmp_path / "lab"
    write_files(folder, {"a.yaml": "a: 1\n", "east": {"b.yaml": "b: 2\n"}})
    (folder / "east" / "b.yaml").chmod(0o640)
    (folder / "file-link").symlink_to(elsewhere / "secret.txt")
    (folder / "east" / "folder-link").symlink_to(elsewhere, target_is_directory=True)
    (folder / "dangling").symlink_to(tmp_path / "nothing")
    os.mkfifo(folder / "east" / "pipe")
    return folder, elsewhere


# --- the walk -------------------------------------------------------------------------------


def test_walk_lists_regular_files_with_size_and_mode(tmp_path: Path) -> None:
    write_files(tmp_path, {"z.txt": "zz", "a": {"b": {"c.txt": "x"}}})
    (tmp_path / "a/b/c.txt").chmod(0o640)
    found = walk(tmp_path)
    assert [(f.path, f.size, f.permissions) for f in found.files] == [
        ("a/b/c.txt", 1, 0o640), ("z.txt", 2, 0o644)]
    assert all(stat.S_ISREG(f.mode) for f in found.files)
    assert found.location(found.files[0]) == str(tmp_path / "a/b/c.txt")
    assert found.skipped == ()


def test_a_missing_folder_holds_nothing(tmp_path: Path) -> None:
    assert walk(tmp_path / "absent").files == ()
    assert walk(tmp_path / "absent").skipped == ()


def test_walk_collects_links_fifos_and_sockets_without_opening_them(
        tmp_path: Path, opened: list[str], no_hang: None) -> None:
    folder, elsewhere = odd_folder(tmp_path)
    with socket.socket(socket.AF_UNIX) as listening:
        listening.bind(str(folder / "east" / "sock"))
        found = walk(folder)
    assert [f.path for f in found.files] == ["a.yaml", "east/b.yaml"]
    assert found.skipped == (
        Skipped("dangling", "a symbolic link", LINK),
        Skipped("east/folder-link", "a symbolic link", LINK),
        Skipped("east/pipe", "a FIFO", SPECIAL_FILE),
        Skipped("east/sock", "a socket", SPECIAL_FILE),
        Skipped("file-link", "a symbolic link", LINK),
    )
    # Only the two real folders were listed; nothing was opened, least of all the FIFO.
    assert sorted(opened) == [str(folder), str(folder / "east")]
    assert not any(path.startswith(str(elsewhere)) for path in opened)


def test_a_linked_folder_is_skipped_whole(tmp_path: Path, opened: list[str]) -> None:
    real = tmp_path / "real"
    write_files(real, {"a.yaml": "a: 1\n"})
    (tmp_path / "lab").symlink_to(real, target_is_directory=True)
    found = walk(tmp_path / "lab")
    assert found.files == ()
    assert found.skipped == (Skipped("", "a symbolic link, not a folder", LINK),)
    assert opened == []


def test_a_folder_that_cannot_be_listed_is_skipped(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    write_files(tmp_path, {"a.yaml": "a: 1\n", "locked": {"b.yaml": "b: 2\n"}})
    real_scandir = os.scandir

    def scandir(path: Any) -> Any:
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    found = walk(tmp_path)
    assert [f.path for f in found.files] == ["a.yaml"]
    assert found.skipped == (Skipped("locked", "a folder that cannot be read "
                                                "(Permission denied)"),)


def test_read_regular_refuses_a_link_and_a_fifo(tmp_path: Path, no_hang: None) -> None:
    (tmp_path / "real").write_text("x")
    (tmp_path / "link").symlink_to(tmp_path / "real")
    os.mkfifo(tmp_path / "pipe")
    assert read_regular(str(tmp_path / "real")) == b"x"
    with pytest.raises(OSError):
        read_regular(str(tmp_path / "link"))
    with pytest.raises(OSError, match="not a regular file"):
        read_regular(str(tmp_path / "pipe"))


# --- the comparison -------------------------------------------------------------------------


def test_an_identical_folder_has_no_differences(tmp_path: Path) -> None:
    tree = rendered(a_yaml="a: 1\n", east__run_sh="#!/bin/sh\n")
    write_tree(tmp_path, tree)
    result = compare(tmp_path / "lab", tree, diffs=True)
    assert result.differences == ()
    assert result.unchanged == frozenset(tree.files)


def test_each_kind_of_difference(tmp_path: Path) -> None:
    tree = rendered(a_yaml="a: 1\n", b_yaml="b: 2\n", run_sh="#!/bin/sh\n", same_yaml="s\n")
    write_tree(tmp_path, tree)
    folder = tmp_path / "lab"
    (folder / "a.yaml").write_text("a: 2\n")  # same size, other bytes
    (folder / "b.yaml").unlink()
    (folder / "stray.txt").write_text("stray\n")
    (folder / "run.sh").chmod(0o644)
    result = compare(folder, tree)
    assert result.differences == (
        Difference("a.yaml", DifferenceKind.CHANGED),
        Difference("b.yaml", DifferenceKind.MISSING),
        Difference("run.sh", DifferenceKind.MODE),
        Difference("stray.txt", DifferenceKind.EXTRA),
    )
    assert result.unchanged == {"same.yaml", "MANIFEST.json"}
    diffs = {d.path: d.diff for d in compare(folder, tree, diffs=True).differences}
    label = f"{tmp_path.name}/lab"
    assert diffs["a.yaml"].startswith(f"--- a/{label}/a.yaml\n+++ b/{label}/a.yaml\n")
    assert "-a: 2\n" in diffs["a.yaml"] and "+a: 1\n" in diffs["a.yaml"]
    assert diffs["b.yaml"].startswith(f"--- /dev/null\n+++ b/{label}/b.yaml\n")
    assert diffs["run.sh"] == f"mode of {label}/run.sh is 644, expected 755\n"
    assert diffs["stray.txt"] == (f"--- a/{label}/stray.txt\n+++ /dev/null\n"
                                  "@@ -1 +0,0 @@\n-stray\n")


def test_skipped_entries_differ_without_being_read(tmp_path: Path, no_hang: None) -> None:
    tree = rendered(a_yaml="a: 1\n", b_yaml="b: 2\n")
    write_tree(tmp_path, tree)
    folder, _ = odd_folder(tmp_path)
    (folder / "a.yaml").unlink()
    (folder / "a.yaml").symlink_to(tmp_path / "elsewhere" / "secret.txt")
    result = compare(folder, tree, diffs=True)
    kinds = {d.path: d.kind for d in result.differences}
    assert kinds == {"a.yaml": "changed", "dangling": "extra", "east/b.yaml": "extra",
                     "east/folder-link": "extra", "east/pipe": "extra", "file-link": "extra"}
    said = {d.path: d.diff for d in result.differences}
    assert said["east/pipe"] == f"{tmp_path.name}/lab/east/pipe is a FIFO, not a regular file\n"
    assert said["a.yaml"].endswith("a.yaml is a symbolic link, not a regular file\n")
    assert "not for the walk" not in "".join(said.values())
    assert [s.path for s in result.skipped] == ["a.yaml", "dangling", "east/folder-link",
                                                "east/pipe", "file-link"]


def test_a_linked_folder_holds_none_of_the_files(tmp_path: Path) -> None:
    tree = rendered(a_yaml="a: 1\n")
    write_tree(tmp_path / "real", tree)
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "lab").symlink_to(tmp_path / "real" / "lab", target_is_directory=True)
    result = compare(tmp_path / "out" / "lab", tree)
    assert {d.kind for d in result.differences} == {DifferenceKind.MISSING}
    assert [s.path for s in result.skipped] == [""]


def test_without_diffs_a_file_of_another_size_is_not_read(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    tree = rendered(a_yaml="a: 1\n", big_yaml="b: 2\n")
    write_tree(tmp_path, tree)
    (tmp_path / "lab" / "big.yaml").write_text("b: 2\n" * 1000)
    read: list[str] = []
    real = tree_module.read_regular

    def counting(location: str) -> bytes:
        read.append(Path(location).name)
        return real(location)

    monkeypatch.setattr(tree_module, "read_regular", counting)
    assert compare(tmp_path / "lab", tree).differences == (
        Difference("big.yaml", DifferenceKind.CHANGED),)
    assert "big.yaml" not in read and "a.yaml" in read
    diff = compare(tmp_path / "lab", tree, diffs=True).differences[0].diff
    assert diff.count("\n-b: 2") == 999  # with diffs it is read, once, to be diffed
    assert read.count("big.yaml") == 1


def test_a_folder_whose_topology_is_gone_is_stale(project: Path) -> None:
    shutil.copy(SEED, project / "topologies" / SEED.name)
    gone = (project / "topologies" / "gone.yaml")
    gone.write_text(SEED.read_text().replace("name: icp-iks-bookinfo", "name: gone"))
    paths = sorted((project / "topologies").glob("*.yaml"))
    from generator.api import build

    build(paths, Path("output"))
    gone.unlink()
    found = differences([project / "topologies" / SEED.name], Path("output"), prune=True)
    assert found == [Difference("gone", DifferenceKind.STALE,
                                "output/gone/ has no topology any more\n")]
    assert f"{found[0].kind:8}|" == "stale   |"
