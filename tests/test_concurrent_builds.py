"""Builds that overlap: the build record never disagrees with what is on disk.

Two real ``meshgen build`` processes of different contents of one topology run at once, in an
order forced by holding one of them at a named point of its writer (``Paused``), never by
sleeping. Whatever the order, when the record says a topology is up to date, its folder holds
exactly what the topology renders to. Each case runs with the fast lock (flock) and with the
portable one (filelock's marker file, ``MESHGEN_PORTABLE_WRITER``).
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

import pytest

from generator.api import render
from generator.output.record import unchanged
from generator.output.tree import compare
from generator.output.writer import LOCK_NAME, PORTABLE_VARIABLE, SOFT_LOCK_NAME
from tests.helpers import VALID, Paused, finish, run_cli, start_cli, topology_of

OLDER = VALID
NEWER = VALID.replace("all-v1", "all-v-one")


@pytest.fixture(params=[False, True], ids=["flock", "portable"])
def portable(request: pytest.FixtureRequest) -> dict[str, str]:
    """The environment that picks the lock: the fast one, or the portable fallback."""
    return {PORTABLE_VARIABLE: "1"} if request.param else {}


@pytest.fixture
def lab(project: Path) -> Path:
    """The project's one topology file, ``lab``, built once as :data:`OLDER`."""
    topology = project / "topologies" / "lab.yaml"
    topology.write_text(OLDER)
    assert run_cli("build", "-q", cwd=project).returncode == 0
    return topology


def record_agrees(topology: Path) -> bool:
    """Whether the record calls the topology up to date; fails the test when it does and the
    folder is not exactly what the topology renders to."""
    output = topology.parent.parent / "output"
    if unchanged([topology], output, prune=False) is None:
        return False
    differences = compare(output / "lab", render(topology_of(topology))).differences
    assert differences == (), "the record says up to date, output/ says otherwise"
    return True


def lock_held_by(project: Path, pid: int, portable: dict[str, str]) -> bool:
    output = project / "output"
    if portable:
        marker = output / SOFT_LOCK_NAME
        return marker.is_file() and str(pid) in marker.read_text()
    fd = os.open(output / LOCK_NAME, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def test_an_older_build_finishing_last_leaves_no_record_of_the_newer(
        lab: Path, tmp_path: Path, portable: dict[str, str]) -> None:
    """A renders the older file and waits at the lock; B, of the newer file, swaps its tree
    in and stops before writing its record. A can only write once B's record is written, so
    the record describes A's (older) tree, and the file's newer bytes are not up to date."""
    project = lab.parent.parent
    lab.write_text(NEWER.replace("all-v-one", "all-v-two"))  # neither is on disk now
    held_a = Paused(tmp_path / "a", "locking")
    a = start_cli("build", "-q", cwd=project, env={**held_a.env, **portable})
    held_a.wait(a)  # A has read and rendered the file as it was
    lab.write_text(NEWER)
    held_b = Paused(tmp_path / "b", "swapped")
    b = start_cli("build", "-q", cwd=project, env={**held_b.env, **portable})
    b_pid = held_b.wait(b)
    assert lock_held_by(project, b_pid, portable), "the record is written outside the lock"
    assert not record_agrees(lab)  # forgotten while the tree changes
    held_a.resume()  # A now waits for the lock B holds
    held_b.resume()
    assert finish(b).returncode == 0
    assert finish(a).returncode == 0
    # On disk: A's tree, of bytes the file no longer has; the record must not call it current.
    assert not record_agrees(lab)
    assert run_cli("check", cwd=project).returncode == 1
    rebuilt = run_cli("build", cwd=project)
    assert rebuilt.returncode == 0 and "up to date" not in rebuilt.stdout, rebuilt.output
    assert record_agrees(lab)
    assert run_cli("check", cwd=project).returncode == 0


def test_a_build_waiting_for_the_lock_writes_after_the_holder(
        lab: Path, tmp_path: Path, portable: dict[str, str]) -> None:
    """A holds the lock before comparing anything; B starts meanwhile with the newer file and
    waits. A writes the older tree and its record, then B the newer one and its record."""
    project = lab.parent.parent
    lab.write_text(NEWER.replace("all-v-one", "all-v-two"))
    held_a = Paused(tmp_path / "a", "locked")
    a = start_cli("build", "-q", cwd=project, env={**held_a.env, **portable})
    a_pid = held_a.wait(a)
    assert lock_held_by(project, a_pid, portable)
    lab.write_text(NEWER)
    held_b = Paused(tmp_path / "b", "locked")
    b = start_cli("build", "-q", cwd=project, env={**held_b.env, **portable})
    held_a.resume()
    held_b.wait(b)  # B holds the lock: A let it go, after writing its record
    assert finish(a).returncode == 0
    assert not record_agrees(lab)  # A's record is of the bytes it read, not of NEWER
    held_b.resume()
    assert finish(b).returncode == 0
    assert record_agrees(lab)
    assert run_cli("check", cwd=project).returncode == 0
