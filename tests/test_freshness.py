"""A build with nothing to do skips loading and rendering; anything changed is rebuilt."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

import generator.api
from generator.cli import main
from generator.output import record as freshness
from tests.helpers import SEED


@pytest.fixture
def built(project: Path) -> Path:
    shutil.copy(SEED, project / "topologies" / SEED.name)
    assert main(["build", "-q"]) == 0
    return project


def forbid_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(_topology: object) -> None:
        raise AssertionError("rendered although nothing changed")

    monkeypatch.setattr(generator.api, "render", fail)


def test_nothing_changed_skips_all_work(built: Path, monkeypatch: pytest.MonkeyPatch,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    capsys.readouterr()
    forbid_rendering(monkeypatch)
    assert main(["build"]) == 0
    assert capsys.readouterr().out.startswith("output/icp-iks-bookinfo: up to date (")


@pytest.mark.parametrize("change", ["edit-output", "delete-output", "extra-output",
                                    "edit-topology", "new-generator", "stale-folder"])
def test_any_change_means_a_real_build(built: Path, change: str,
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    folder = built / "output" / "icp-iks-bookinfo"
    target = folder / "icp" / "namespaces.yaml"
    original = target.read_bytes()
    if change == "edit-output":
        target.write_bytes(original + b"# edited\n")
    elif change == "delete-output":
        target.unlink()
    elif change == "extra-output":
        (folder / "icp" / "notes.txt").write_text("x")
    elif change == "edit-topology":
        topology = built / "topologies" / SEED.name
        topology.write_text(topology.read_text() + "\n# a comment changes the bytes\n")
    elif change == "new-generator":
        monkeypatch.setattr(freshness, "fingerprint", lambda: "another meshgen")
    elif change == "stale-folder":
        shutil.copytree(folder, built / "output" / "gone")
    assert freshness.unchanged([built / "topologies" / SEED.name], Path("output"), True) is None
    assert main(["build", "-q"]) == 0
    assert target.read_bytes() == original
    assert not (folder / "icp" / "notes.txt").exists()
    assert not (built / "output" / "gone").exists()
    assert main(["check"]) == 0


def test_a_refused_build_keeps_the_record_of_the_last_good_one(built: Path) -> None:
    topology = built / "topologies" / SEED.name
    topology.write_text(topology.read_text().replace("v3: 50}", "v3: 51}"))
    assert main(["build", "-q"]) == 1
    # The record of the last good build stays true to output/, which did not change.
    assert (built / "output" / freshness.RECORD).exists()
    topology.write_text(SEED.read_text())
    assert freshness.unchanged([topology], Path("output"), True) is not None


@pytest.mark.parametrize("umask", [0o022, 0o077])
def test_the_record_is_what_a_walk_of_the_output_finds(built: Path, umask: int) -> None:
    """The writer keeps each file's status as it writes or links it; the record it makes is
    what walking the folder afterwards finds, whatever the umask took away."""
    folder = built / "output" / "icp-iks-bookinfo"
    (folder / "icp" / "namespaces.yaml").write_bytes(b"# edited\n")  # rewritten; others linked
    old = os.umask(umask)
    try:
        assert main(["build", "-q"]) == 0
    finally:
        os.umask(old)
    record = json.loads((built / "output" / freshness.RECORD).read_text(encoding="utf-8"))
    (entry,) = record["topologies"].values()
    assert entry["files"] == freshness.tree_stats(folder)
    assert {mode & 0o777 for _, _, mode in entry["files"].values()} == {0o644, 0o755}
