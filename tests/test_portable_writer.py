"""The writer where the system has no atomic exchange or no flock, tried here by turning the
fast paths off (``MESHGEN_PORTABLE_WRITER``): the swap is two renames, the lock filelock's
marker file.

A build is killed between its two renames (held at that exact point, then SIGKILLed), which
leaves ``output/lab`` absent, the old tree moved aside and the dead build's lock marker
behind. The next run of any command that reads the output folder takes the lock over from
the dead build and puts the old tree back before it reads anything.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from generator.api import render
from generator.artifacts import Artifact, Kind, RenderedTree, render_tree
from generator.errors import InputError
from generator.output import writer
from generator.output.tree import compare
from generator.output.writer import (
    PORTABLE_VARIABLE,
    RETIRED_PREFIX,
    SOFT_LOCK_NAME,
    STAGING_PREFIX,
    write_tree,
)
from tests.helpers import (
    CHILD_LIMIT,
    VALID,
    CliRun,
    Paused,
    make_project,
    require_program,
    require_root,
    run_cli,
    start_cli,
    topology_of,
)

PORTABLE = {PORTABLE_VARIABLE: "1"}
NEWER = VALID.replace("all-v1", "all-v-one")


def portable_env() -> dict[str, str]:
    return {**os.environ, **PORTABLE}


@pytest.fixture(scope="module")
def killed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, RenderedTree]:
    """A docs-ready project whose build of a newer ``lab`` was killed between the two renames
    of the portable swap; and the tree of the older ``lab`` it had built before."""
    project = make_project(tmp_path_factory.mktemp("killed") / "project", {}, built=())
    topology = project / "topologies" / "lab.yaml"
    topology.write_text(VALID)
    assert run_cli("build", "-q", cwd=project, env=portable_env()).returncode == 0
    older = render(topology_of(topology))
    topology.write_text(NEWER)
    held = Paused(tmp_path_factory.mktemp("pause") / "retired", "retired")
    child = start_cli("build", "-q", cwd=project, env={**held.env, **PORTABLE})
    held.wait(child)
    child.send_signal(signal.SIGKILL)
    assert child.wait(CHILD_LIMIT) == -signal.SIGKILL
    output = project / "output"
    assert not (output / "lab").exists()
    assert (output / f"{RETIRED_PREFIX}lab").is_dir()
    assert str(child.pid) in (output / SOFT_LOCK_NAME).read_text()  # the dead build's lock
    assert any(p.name.startswith(STAGING_PREFIX) for p in output.iterdir())
    return project, older


@pytest.fixture
def after_kill(killed: tuple[Path, RenderedTree], tmp_path: Path) -> Path:
    """A copy of :func:`killed`'s project, lock marker and leftovers included."""
    copy = tmp_path / "project"
    shutil.copytree(killed[0], copy, symlinks=True)
    return copy


def holds(folder: Path, tree: RenderedTree) -> bool:
    return compare(folder, tree).differences == ()


def assert_recovered(project: Path) -> None:
    names = sorted(p.name for p in (project / "output").iterdir())
    assert not [n for n in names if n.startswith((RETIRED_PREFIX, STAGING_PREFIX))], names
    assert (project / "output" / "lab").is_dir()


@pytest.mark.parametrize(("command", "code"), [("check", 1), ("diff", 0), ("verify", 0),
                                               ("docs", 0)])
@pytest.mark.parametrize("env", [PORTABLE, {}], ids=["portable", "fast"])
def test_any_reading_command_puts_the_old_tree_back(
        command: str, code: int, env: dict[str, str], after_kill: Path,
        killed: tuple[Path, RenderedTree], reference_dir: Path) -> None:
    extra = {"verify": ["--crds", str(reference_dir / "istio-1.30.3")],
             "docs": ["-d", str(after_kill / "site")]}.get(command, [])
    run = run_cli(command, *extra, cwd=after_kill, env={**os.environ, **env})
    assert run.returncode == code, run.output
    assert "Traceback" not in run.output
    assert_recovered(after_kill)
    assert holds(after_kill / "output" / "lab", killed[1])  # the old tree, whole


def test_the_next_build_recovers_and_writes_the_new_tree(after_kill: Path) -> None:
    run = run_cli("build", cwd=after_kill, env=portable_env())
    assert run.returncode == 0, run.output
    assert_recovered(after_kill)
    newer = render(topology_of(after_kill / "topologies" / "lab.yaml"))
    assert holds(after_kill / "output" / "lab", newer)
    assert not (after_kill / "output" / SOFT_LOCK_NAME).exists()  # let go when done
    assert run_cli("check", cwd=after_kill).returncode == 0


def test_recovery_on_a_read_only_output_is_one_io_error(after_kill: Path) -> None:
    require_root()
    require_program("unshare", "mount", package="util-linux")
    script = 'mount --bind output output && mount -o remount,bind,ro output && exec "$@"'
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
         sys.executable, "-m", "generator", "check"],
        cwd=after_kill, capture_output=True, timeout=CHILD_LIMIT, stdin=subprocess.DEVNULL,
        env={k: v for k, v in os.environ.items() if k != PORTABLE_VARIABLE})
    run = CliRun(done.returncode, done.stdout.decode(), done.stderr.decode())
    assert run.returncode == 2, run.output
    assert run.stderr.count("\n") == 1, run.stderr
    assert "Read-only file system" in run.stderr and "interrupted build" in run.stderr
    assert "Traceback" not in run.output


def test_a_second_rename_that_fails_is_undone(tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    older, newer = (render_tree("lab", "lab.yaml", "0" * 64,
                                [Artifact("east/a.yaml", text, Kind.TEXT)])
                    for text in ("a: 1\n", "a: 2\n"))
    write_tree(tmp_path, older)
    monkeypatch.setenv(PORTABLE_VARIABLE, "1")
    real_rename = os.rename

    def rename(source: object, target: object) -> None:
        if str(source).startswith(str(tmp_path / STAGING_PREFIX)):
            raise PermissionError(13, "Access is denied")  # what Windows says of an open file
        real_rename(source, target)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "rename", rename)
    with pytest.raises(InputError, match="Access is denied"):
        write_tree(tmp_path, newer)
    assert holds(tmp_path / "lab", older)
    assert not [p for p in tmp_path.iterdir()
                if p.name.startswith((STAGING_PREFIX, RETIRED_PREFIX))]


def test_without_the_fast_paths_no_exchange_is_tried(monkeypatch: pytest.MonkeyPatch) -> None:
    assert writer._exchange_call() is not None, "this Linux has renameat2: the fast path"
    monkeypatch.setenv(PORTABLE_VARIABLE, "1")
    assert not writer._exchange(Path("/nonexistent/a"), Path("/nonexistent/b"))
