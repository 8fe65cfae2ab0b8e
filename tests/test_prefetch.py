"""Reading the committed files in a second process while this one renders.

``check`` and ``diff`` must say the same whether the folders were read by a forked process
(and compared by digest) or here (and compared byte by byte): every kind of difference, each
diff, the refusal of entries meshgen did not write.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import shutil
import signal
from pathlib import Path

import pytest

from generator.api import build, differences
from generator.artifacts import Artifact, Kind, header, render_tree
from generator.errors import ForeignEntries
from generator.output import prefetch
from generator.output.prefetch import Committed, read_ahead, read_with_digests
from generator.output.tree import DifferenceKind, compare
from tests.helpers import SEED


def forking(monkeypatch: pytest.MonkeyPatch, on: bool) -> None:
    """Read the folders in a forked process (as on an idle machine), or here."""
    if on:
        if ("fork" not in multiprocessing.get_all_start_methods()
                or prefetch.usable_cores() < 2):
            pytest.skip("forking is not available here (one core, or no fork)")
        # Other tests' idle server threads would otherwise keep it from forking.
        monkeypatch.setattr(prefetch, "cores_to_fork", lambda: 2)
    monkeypatch.setattr(prefetch, "spare_core", lambda: on)


def built_seed(project: Path) -> Path:
    shutil.copy(SEED, project / "topologies" / SEED.name)
    topology = project / "topologies" / SEED.name
    build([topology], Path("output"))
    return topology


def spoil(folder: Path) -> None:
    """One of each difference: changed (same size and not), extra, missing, mode."""
    values = next(folder.glob("*/vpn/*/values.yaml"))
    text = values.read_text()
    values.write_text(text.replace("ikev2", "ikev1", 1))  # the same size
    conf = next(folder.glob("*/vpn/*/ipsec.conf"))
    conf.write_text(conf.read_text() + "# by hand\n")
    (folder / "notes.txt").write_text("not meshgen's\n")
    next(folder.glob("*/namespaces.yaml")).unlink()
    os.chmod(folder / "apply.sh", 0o644)


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "here"])
def test_the_same_differences_either_way(project: Path, monkeypatch: pytest.MonkeyPatch,
                                         fork: bool) -> None:
    topology = built_seed(project)
    spoil(Path("output") / "icp-iks-bookinfo")
    forking(monkeypatch, fork)
    found = differences([topology], Path("output"))
    kinds = sorted((d.kind, d.path.partition("/")[2].rpartition("/")[2]) for d in found)
    assert kinds == sorted([
        (DifferenceKind.CHANGED, "values.yaml"), (DifferenceKind.CHANGED, "ipsec.conf"),
        (DifferenceKind.EXTRA, "notes.txt"),
        (DifferenceKind.MISSING, "namespaces.yaml"), (DifferenceKind.MODE, "apply.sh")])
    by_name = {d.path.rpartition("/")[2]: d.diff for d in found}
    lines = by_name["values.yaml"].splitlines()
    assert any(line.startswith("-") and "ikev1" in line for line in lines)
    assert any(line.startswith("+") and "ikev2" in line for line in lines)
    assert by_name["ipsec.conf"].endswith("-# by hand\n")
    assert "mode of" in by_name["apply.sh"]


def test_both_ways_give_the_same_text(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    topology = built_seed(project)
    spoil(Path("output") / "icp-iks-bookinfo")
    forking(monkeypatch, True)
    forked = differences([topology], Path("output"))
    forking(monkeypatch, False)
    assert differences([topology], Path("output")) == forked


def test_a_busy_machine_reads_here(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built_seed(project)
    monkeypatch.setattr(os, "getloadavg", lambda: (float(os.cpu_count() or 1), 0.0, 0.0))
    assert not prefetch.spare_core()
    with read_ahead(Path("output"), ["icp-iks-bookinfo"]) as committed:
        assert not multiprocessing.active_children()
        assert committed().digests is None
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    assert prefetch.spare_core() == bool(prefetch.cores_to_fork())


@pytest.mark.parametrize("fork", [True, False], ids=["forked", "here"])
def test_a_link_is_refused_either_way(project: Path, monkeypatch: pytest.MonkeyPatch,
                                      fork: bool) -> None:
    topology = built_seed(project)
    target = Path("output") / "icp-iks-bookinfo" / "apply.sh"
    target.unlink()
    target.symlink_to("/etc/passwd")
    forking(monkeypatch, fork)
    with pytest.raises(ForeignEntries, match=r"apply\.sh"):
        differences([topology], Path("output"))


def test_the_digests_are_those_of_the_files(project: Path) -> None:
    built_seed(project)
    committed = read_with_digests(Path("output"), ["icp-iks-bookinfo", "absent"])
    digests = committed.digests_of("icp-iks-bookinfo")
    assert digests is not None and committed.digests_of("absent") == {}
    walked = committed.found.walks["icp-iks-bookinfo"]
    assert sorted(digests) == [entry.path for entry in walked.files]
    for entry in walked.files:
        data = Path(walked.location(entry)).read_bytes()
        assert digests[entry.path] == hashlib.sha256(data).digest()


def test_a_file_that_could_not_be_read_is_compared_by_its_bytes(tmp_path: Path) -> None:
    tree = render_tree("lab", "lab.yaml", "0" * 64, [Artifact("a.txt", "a\n", Kind.TEXT)])
    folder = tmp_path / "lab"
    folder.mkdir()
    for path, data in tree.files.items():
        (folder / path).write_bytes(data)
        os.chmod(folder / path, 0o644)
    unreadable: dict[str, bytes | None] = {path: None for path in tree.files}
    assert compare(folder, tree, diffs=True, digests=unreadable).differences == ()
    (folder / "a.txt").write_text("b\n")
    taken = {path: hashlib.sha256((folder / path).read_bytes()).digest() for path in tree.files}
    (changed,) = compare(folder, tree, diffs=True, digests=taken).differences
    assert (changed.path, changed.kind) == ("a.txt", DifferenceKind.CHANGED)
    assert changed.diff.endswith(f"-b\n+# {header('lab.yaml')}\n+a\n")  # read again to diff


def test_read_here_when_no_process_can_be_forked(project: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    built_seed(project)
    monkeypatch.setattr(prefetch, "cores_to_fork", lambda: 0)
    monkeypatch.setattr(os, "getloadavg", lambda: (0.0, 0.0, 0.0))
    with read_ahead(Path("output"), ["icp-iks-bookinfo"]) as committed:
        found = committed()
    assert isinstance(found, Committed) and found.digests is None
    assert found.found.walks["icp-iks-bookinfo"].files


def test_a_lost_process_is_made_up_for_here(project: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    forking(monkeypatch, True)
    built_seed(project)
    folder = Path("output") / "icp-iks-bookinfo"
    with read_ahead(Path("output"), ["icp-iks-bookinfo"]) as committed:
        for child in multiprocessing.active_children():
            os.kill(child.pid or 0, signal.SIGKILL)
        found = committed()
    assert [entry.path for entry in found.found.walks["icp-iks-bookinfo"].files] == sorted(
        str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())
