"""The bad-input corpus: every topology in ``tests/bad/`` is refused, precisely.

Each file names the errors it must produce in its header (see ``tests/bad/README.md``). Cases
that cannot be committed as files are made at test time (``GENERATED`` in
:mod:`tests.helpers`). Every case runs in-process through :func:`generator.api.check_file`
and as a real ``python -m generator`` child for ``validate`` and ``build``. How fast and in how
little memory the children refuse them is measured by ``benchmarks/run.py``.
"""

from __future__ import annotations

import collections
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.api import build, check_file
from tests.helpers import (
    BAD,
    BAD_CASES,
    UNREADABLE,
    VALID,
    CliRun,
    Expected,
    committed_cases,
    expectations,
    run_cli,
    write_case,
)

WHY = re.compile(rb"^# why: \S", re.MULTILINE)


@dataclass(frozen=True)
class Case:
    path: Path
    expected: Expected


@pytest.fixture
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Case:
    """The case named by the test's ``name`` parameter, as a file in a fresh folder."""
    folder = tmp_path / "topologies"
    folder.mkdir()
    return Case(*write_case(request.param, folder))


def located_errors(text: str, display: str) -> Expected:
    """(rule, line) of every ``display:line:col: error[rule]`` line of ``text``."""
    pattern = re.compile(rf"^{re.escape(display)}:([0-9]+):([0-9]+): error\[([a-z0-9-]+)\]",
                         re.MULTILINE)
    return collections.Counter((m.group(3), int(m.group(1))) for m in pattern.finditer(text))


def assert_refused_well(run: CliRun, display: str, expected: Expected) -> None:
    assert "Traceback" not in run.output, run.output
    assert "internal error" not in run.output, run.output
    assert run.returncode == 1, run.output
    assert located_errors(run.output, display) == expected, run.output
    unlocated = [line for line in run.output.splitlines()
                 if "error[" in line and not line.startswith(f"{display}:")]
    assert unlocated == []


# --- output/ before and after ---------------------------------------------------------------


Snapshot = dict[str, tuple[bytes, int, int]]


def snapshot(folder: Path) -> Snapshot:
    """Every entry under ``folder``: contents (files), mode and modification time."""
    found: Snapshot = {}
    for path in sorted(folder.rglob("*")):
        stat = path.lstat()
        data = path.read_bytes() if path.is_file() and not path.is_symlink() else b""
        found[str(path.relative_to(folder))] = (data, stat.st_mode, stat.st_mtime_ns)
    stat = folder.lstat()
    found["."] = (b"", stat.st_mode, stat.st_mtime_ns)
    return found


@pytest.fixture(scope="module")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Snapshot]]:
    """A project whose output/ holds the build of a valid topology named like the bad ones."""
    root = tmp_path_factory.mktemp("built")
    (root / "valid").mkdir()
    valid = root / "valid" / "lab.yaml"
    valid.write_text(VALID)
    reports = build([valid], root / "output")
    assert reports and reports[0].added
    yield root, snapshot(root / "output")


# --- the tests ------------------------------------------------------------------------------


def test_corpus_is_broad() -> None:
    assert len(BAD_CASES) >= 40
    for name in committed_cases():
        raw = (BAD / name).read_bytes()
        assert expectations(raw), f"{name} has no '# expect: <rule> line <n>' header"
        assert WHY.search(raw), f"{name} has no '# why: ...' header"
    rules = {rule for name in committed_cases()
             for rule, _ in expectations((BAD / name).read_bytes())}
    # Each layer of the pipeline is exercised, not only the schema.
    assert {"yaml-syntax", "duplicate-key", "alias-bomb", "not-utf8"} <= rules
    assert {"unknown-field", "wrong-type", "invalid-value", "literal-secret"} <= rules
    assert {"cidr-overlap", "unknown-reference", "weights-sum", "link-missing"} <= rules


@pytest.mark.parametrize("case", BAD_CASES, indirect=True)
def test_check_file_reports_exactly_the_expected_errors(case: Case) -> None:
    result = check_file(case.path, case.path.name)
    assert not result.valid
    assert all(p.location is not None for p in result.problems), result.problems
    found = collections.Counter(
        (p.rule, p.location.line) for p in result.errors if p.location is not None)
    assert found == case.expected, "\n".join(p.format() for p in result.problems)


# The cases that are not files (UNREADABLE) are I/O errors on the command line: test_project.py
# covers them. Every other case is a file.
FILE_CASES = [name for name in BAD_CASES if name not in UNREADABLE]


@pytest.mark.parametrize("case", FILE_CASES, indirect=True)
def test_validate_refuses_with_located_errors(case: Case) -> None:
    project = case.path.parent.parent
    display = f"topologies/{case.path.name}"
    run = run_cli("validate", display, cwd=project)
    assert_refused_well(run, display, case.expected)


@pytest.mark.parametrize("case", FILE_CASES, indirect=True)
def test_build_refuses_and_leaves_output_untouched(
    case: Case, built_project: tuple[Path, Snapshot]
) -> None:
    root, before = built_project
    display = f"topologies/{case.path.name}"
    run = run_cli("build", str(case.path), "-o", str(root / "output"), cwd=case.path.parent.parent)
    assert_refused_well(run, display, case.expected)
    assert "nothing was written" in run.stderr
    assert snapshot(root / "output") == before


def test_a_tab_in_the_indentation_is_named_in_the_hint() -> None:
    result = check_file(BAD / "yaml-tab-indent.yaml")
    assert [p.hint for p in result.problems] == ["YAML indents with spaces only; replace the tab"]
