"""What meshgen finds in output/ that it did not write, and an output folder it cannot use.

Each case of :data:`~tests.helpers.HOSTILE_OUTPUT` plants links, FIFOs, sockets or devices in
a built project; ``build``, ``check``, ``diff``, ``verify`` and ``docs`` must each exit 1 with
exactly the case's located errors, never show what a link points at (nor put it on the site),
never wait on a FIFO or read a device, and leave output/ as it was. An output folder that is
a file, is read-only or vanishes mid-build is an I/O error: exit 2, one line.
"""

from __future__ import annotations

import collections
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.cli import main
from generator.output.record import RECORD
from generator.output.tree import read_regular
from generator.output.writer import LOCK_NAME
from tests.helpers import (
    CHILD_LIMIT,
    HOSTILE_OUTPUT,
    SECRET,
    VALID,
    CliRun,
    Fifo,
    Paused,
    Symlink,
    finish,
    make_project,
    plant_hostile,
    require_program,
    require_root,
    run_cli,
    start_cli,
    write_tree,
)

READERS = ("check", "diff", "verify")
LOCATED = re.compile(r"(\S+): error\[([a-z0-9-]+)\]")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A docs-ready project whose output/ holds the build of :data:`VALID` (``lab``)."""
    return make_project(tmp_path_factory.mktemp("built") / "project",
                        {"lab.yaml": VALID}, built=("lab.yaml",))


@pytest.fixture
def project(built: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of :func:`built` as the working directory."""
    copy = tmp_path / "project"
    shutil.copytree(built, copy, symlinks=True)
    monkeypatch.chdir(copy)
    return copy


@pytest.fixture
def no_hang() -> Iterator[None]:
    """Fail instead of waiting for ever should anything in this process open a FIFO."""
    def expired(_signum: int, _frame: object) -> None:
        raise TimeoutError("blocked: something opened a FIFO")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(CHILD_LIMIT)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


Snapshot = dict[str, tuple[int, int, bytes]]


def snapshot(folder: Path) -> Snapshot:
    """Every entry under ``folder`` by its own status (links not followed, nothing but
    regular files opened): mode, size and, for regular files, the bytes."""
    found: Snapshot = {}
    for directory, folders, files in os.walk(folder):
        for name in folders + files:
            path = Path(directory) / name
            info = path.lstat()
            data = read_regular(str(path)) if stat.S_ISREG(info.st_mode) else b""
            found[str(path.relative_to(folder))] = (info.st_mode, info.st_size, data)
    return found


def located(text: str) -> collections.Counter[tuple[str, str]]:
    return collections.Counter((rule, where) for where, rule in LOCATED.findall(text))


def in_process(capsys: pytest.CaptureFixture[str], *args: str) -> CliRun:
    code = main(list(args))
    captured = capsys.readouterr()
    return CliRun(code, captured.out, captured.err)


def site_text(site: Path) -> str:
    return "".join(p.read_bytes().decode("utf-8", "replace")
                   for p in site.rglob("*") if p.is_file())


@pytest.mark.parametrize("name", sorted(HOSTILE_OUTPUT))
def test_every_command_reports_what_meshgen_did_not_write(
        name: str, project: Path, capsys: pytest.CaptureFixture[str], no_hang: None) -> None:
    case = HOSTILE_OUTPUT[name]
    plant_hostile(project, case)
    before = snapshot(project / "output")
    elsewhere = snapshot(project / "elsewhere")
    expected = collections.Counter(case.expected)
    runs = {command: in_process(capsys, command) for command in ("build", *READERS)}
    runs["docs"] = run_cli("docs", "-d", str(project / "site"), cwd=project)
    for command, run in runs.items():
        said = run.stdout + run.stderr
        assert run.returncode == 1, (command, said)
        assert located(said) == expected, (command, said)
        assert "Traceback" not in said and "internal error" not in said, (command, said)
        assert case.shown not in said, (command, said)
        assert snapshot(project / "output") == before, command
    assert snapshot(project / "elsewhere") == elsewhere
    assert (project / "secret.txt").read_text() == SECRET + "\n"
    assert "nothing was written" in runs["build"].stderr
    site = project / "site"
    assert case.shown not in (site_text(site) if site.is_dir() else "")


def test_removing_what_is_reported_is_enough(project: Path, capsys: pytest.CaptureFixture[str],
                                             no_hang: None) -> None:
    plant_hostile(project, HOSTILE_OUTPUT["several-at-once"])
    assert in_process(capsys, "build").returncode == 1
    for where in ("apply.sh", "pipe", "east/namespaces.yaml"):
        (project / "output" / "lab" / where).unlink()  # what the hints say to do
    assert in_process(capsys, "build").returncode == 0
    assert in_process(capsys, "check").returncode == 0
    assert (project / "secret.txt").read_text() == SECRET + "\n"


def test_meshgens_own_files_are_never_followed_or_waited_on(
        project: Path, capsys: pytest.CaptureFixture[str], no_hang: None) -> None:
    output = project / "output"
    (project / "secret.txt").write_text(SECRET + "\n")
    # A FIFO in place of the build record: never read; the build replaces it.
    write_tree(output, {RECORD: Fifo()})
    run = in_process(capsys, "build")
    assert run.returncode == 0, run.stderr
    assert stat.S_ISREG((output / RECORD).lstat().st_mode)
    # A link in place of the lock: never opened, so the build stops, located.
    write_tree(output, {LOCK_NAME: Symlink("../secret.txt"), "lab": {"east": {"x": "y"}}})
    run = in_process(capsys, "build")
    assert run.returncode == 1
    assert located(run.stderr) == {("output-link", f"output/{LOCK_NAME}"): 1}
    assert (project / "secret.txt").read_text() == SECRET + "\n"
    write_tree(output, {LOCK_NAME: Fifo()})
    run = in_process(capsys, "build")
    assert located(run.stderr) == {("output-special-file", f"output/{LOCK_NAME}"): 1}
    # Commands that only read take no lock unless they have an interrupted build to undo.
    assert in_process(capsys, "check").returncode == 1  # the extra file east/x
    (output / LOCK_NAME).unlink()
    assert in_process(capsys, "build").returncode == 0
    assert in_process(capsys, "check").returncode == 0


def test_a_link_beside_the_topology_folders_is_left_alone(
        project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Entries directly in output/ that no topology names are not meshgen's: a build does
    not prune a linked folder, even one with a meshgen MANIFEST.json, nor read through it."""
    shutil.copytree(project / "output" / "lab", project / "other")
    (project / "output" / "other").symlink_to(project / "other", target_is_directory=True)
    assert in_process(capsys, "build").returncode == 0
    assert in_process(capsys, "check").returncode == 0
    assert (project / "output" / "other").is_symlink()
    assert (project / "other" / "MANIFEST.json").is_file()


# --- an output folder meshgen cannot use: exit 2, one line ----------------------------------


def one_line_error(run: CliRun, *words: str) -> None:
    lines = [line for line in run.stderr.splitlines() if line.startswith("meshgen: ")]
    assert run.returncode == 2, run.output
    assert len(lines) == 1 and all(word in lines[0] for word in words), run.output
    assert "Traceback" not in run.output and "internal error" not in run.output


@pytest.mark.parametrize("command", ["build", *READERS, "docs"])
def test_an_output_that_is_a_file_is_an_io_error(command: str, project: Path) -> None:
    shutil.rmtree(project / "output")
    (project / "output").write_text("not a folder\n")
    one_line_error(run_cli(command, cwd=project), "output", "not a folder")
    assert (project / "output").read_text() == "not a folder\n"


def test_a_folder_that_cannot_be_listed_is_an_io_error(
        project: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    real_scandir = os.scandir

    def scandir(path: str) -> Any:
        if str(path).endswith("lab/east"):
            raise PermissionError(13, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    for command in ("build", *READERS):
        run = in_process(capsys, command)
        one_line_error(run, "output/lab/east", "Permission denied")


def read_only(project: Path, *args: str) -> CliRun:
    """meshgen ARGS in a mount namespace of its own where output/ is mounted read-only."""
    require_root()
    require_program("unshare", "mount", package="util-linux")
    script = ('mount --bind output output && mount -o remount,bind,ro output && '
              'exec "$@"')
    done = subprocess.run(
        ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh",
         sys.executable, "-m", "generator", *args],
        cwd=project, capture_output=True, timeout=CHILD_LIMIT, stdin=subprocess.DEVNULL)
    return CliRun(done.returncode, done.stdout.decode(), done.stderr.decode())


def test_a_read_only_output_is_read_and_not_written(project: Path) -> None:
    topology = project / "topologies" / "lab.yaml"
    before = snapshot(project / "output")
    # Up to date: build has nothing to write, and the readers need to write nothing.
    assert read_only(project, "build").returncode == 0
    for command in ("check", "diff"):
        assert read_only(project, command).returncode == 0
    topology.write_text(VALID.replace("all-v1", "all-v-one"))
    one_line_error(read_only(project, "build"), "output", "Read-only file system")
    assert read_only(project, "check").returncode == 1
    assert snapshot(project / "output") == before


@pytest.mark.parametrize("point", ["locking", "locked"])
def test_an_output_that_vanishes_mid_build_is_an_io_error(point: str, project: Path,
                                                          tmp_path: Path) -> None:
    topology = project / "topologies" / "lab.yaml"
    topology.write_text(VALID.replace("all-v1", "all-v-one"))
    paused = Paused(tmp_path / "pause", point)
    child = start_cli("build", cwd=project, env=paused.env)
    paused.wait(child)
    shutil.rmtree(project / "output")
    paused.resume()
    one_line_error(finish(child), "cannot write", "No such file or directory")
