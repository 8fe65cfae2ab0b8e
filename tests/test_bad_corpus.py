"""The bad-input corpus: every topology in ``tests/bad/`` is refused, precisely and cheaply.

Each file names the errors it must produce in its header (see ``tests/bad/README.md``). Cases
that cannot be committed as files are made at test time (:data:`GENERATED`). Every case runs
in-process through :func:`generator.api.check_file` and as a real ``python -m generator``
child for ``validate`` and ``build``; the child's wall time and peak memory are measured with
``os.wait4``.
"""

from __future__ import annotations

import collections
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.api import build, check_file

BAD = Path(__file__).resolve().parent / "bad"
EXPECT = re.compile(rb"^# expect: ([a-z0-9-]+) line ([0-9]+)$", re.MULTILINE)
WHY = re.compile(rb"^# why: \S", re.MULTILINE)
MAX_SECONDS = 1.0
MAX_RSS_BYTES = 200 * 1024 * 1024

Expected = collections.Counter[tuple[str, int]]

VALID = """\
name: lab
clusters:
  - name: east
    role: primary
    podCIDR: 10.1.0.0/16
    serviceCIDR: 10.0.0.0/24
    vpnGateway: 203.0.113.10
  - name: west
    role: remote
    podCIDR: 172.30.0.0/16
    serviceCIDR: 172.21.0.0/16
    vpnGateway: 198.51.100.20
vpn:
  - between: [west, east]
    psk: {env: LAB_PSK}
apps:
  - name: bookinfo
    catalog: bookinfo
    namespace: default
    ingress: east
    placement:
      east: [productpage-v1, details-v1, ratings-v1, reviews-v1, reviews-v2]
      west: [reviews-v3]
traffic:
  - name: all-v1
    routes: {productpage: v1, details: v1, ratings: v1, reviews: v1}
"""


def _fifty_megabytes(path: Path) -> list[tuple[str, int]]:
    with path.open("wb") as handle:
        handle.write(VALID.encode())
        handle.write(b"description: ")
        chunk = b"x" * (1024 * 1024)
        for _ in range(50):
            handle.write(chunk)
        handle.write(b"\n")
    return [("file-too-large", 1)]


def _utf16(path: Path) -> list[tuple[str, int]]:
    path.write_bytes(VALID.encode("utf-16"))
    return [("not-utf8", 1)]


def _directory(path: Path) -> list[tuple[str, int]]:
    path.mkdir()
    return [("unreadable", 1)]


def _spokes_that_talk(path: Path, count: int = 400) -> list[tuple[str, int]]:
    """A hub with hundreds of spokes, each running all of Bookinfo: every spoke calls every
    other, and no two spokes are linked. One error per spoke (listing the clusters it cannot
    reach), not one per pair, and quickly."""
    lines = ["name: lab", "clusters:"]
    for i in range(count):
        lines += [f"  - name: c{i}", f"    role: {'primary' if i == 0 else 'remote'}",
                  f"    podCIDR: 10.{i // 256}.{i % 256}.0/24",
                  f"    serviceCIDR: 11.{i // 256}.{i % 256}.0/24",
                  f"    vpnGateway: 100.64.{i // 250}.{i % 250 + 1}"]
    lines.append("vpn:")
    lines += [f"  - {{between: [c0, c{i}], psk: {{env: LAB_PSK}}}}" for i in range(1, count)]
    lines += ["apps:", "  - name: bookinfo", "    catalog: bookinfo", "    placement:"]
    first_placement = len(lines) + 1
    lines += [f"      c{i}: [productpage-v1, details-v1, reviews-v2, ratings-v1]"
              for i in range(count)]
    path.write_text("\n".join(lines) + "\n")
    # The hub is linked to all; the last spoke has been reported by every other one.
    return [("link-missing", first_placement + i) for i in range(1, count - 1)]


GENERATED: dict[str, Callable[[Path], list[tuple[str, int]]]] = {
    "generated-50-megabytes": _fifty_megabytes,
    "generated-utf16": _utf16,
    "generated-directory": _directory,
    "generated-400-spokes-that-talk": _spokes_that_talk,
}


def expectations(raw: bytes) -> Expected:
    return collections.Counter((m.group(1).decode(), int(m.group(2))) for m in EXPECT.finditer(raw))


def committed_cases() -> list[str]:
    return sorted(p.name for p in BAD.glob("*.yaml"))


CASES = committed_cases() + sorted(GENERATED)


@dataclass(frozen=True)
class Case:
    path: Path
    expected: Expected


@pytest.fixture
def case(request: pytest.FixtureRequest, tmp_path: Path) -> Case:
    """The case named by the test's ``name`` parameter, as a file in a fresh folder."""
    name: str = request.param
    if name in GENERATED:
        path = tmp_path / "topologies" / f"{name}.yaml"
        path.parent.mkdir()
        return Case(path, collections.Counter(GENERATED[name](path)))
    source = BAD / name
    path = tmp_path / "topologies" / name
    path.parent.mkdir()
    raw = source.read_bytes()
    path.write_bytes(raw)
    return Case(path, expectations(raw))


# --- running the real command line, measured ------------------------------------------------


@dataclass(frozen=True)
class Run:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    max_rss_bytes: int

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def child_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MESHGEN_DEBUG"}
    env.update(extra)
    return env


def run_cli(*args: str, cwd: Path, env: dict[str, str] | None = None) -> Run:
    """``python -m generator ARGS`` as a child; its own wall time and peak RSS.

    The usage comes from ``os.wait4`` for this one child: ``getrusage(RUSAGE_CHILDREN)``
    keeps the largest ``ru_maxrss`` of every child waited for so far, so it could not tell
    one case from the next.
    """
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        started = time.monotonic()
        child = subprocess.Popen([sys.executable, "-m", "generator", *args], cwd=cwd,
                                 stdin=subprocess.DEVNULL, stdout=out, stderr=err,
                                 env=env if env is not None else child_env())
        _, status, usage = os.wait4(child.pid, 0)
        seconds = time.monotonic() - started
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Run(child.returncode, out.read().decode("utf-8", "replace"),
                   err.read().decode("utf-8", "replace"), seconds,
                   usage.ru_maxrss * 1024)  # Linux reports kilobytes


def located_errors(text: str, display: str) -> Expected:
    """(rule, line) of every ``display:line:col: error[rule]`` line of ``text``."""
    pattern = re.compile(rf"^{re.escape(display)}:([0-9]+):([0-9]+): error\[([a-z0-9-]+)\]",
                         re.MULTILINE)
    return collections.Counter((m.group(3), int(m.group(1))) for m in pattern.finditer(text))


def assert_refused_well(run: Run, display: str, expected: Expected) -> None:
    assert "Traceback" not in run.output, run.output
    assert "internal error" not in run.output, run.output
    assert run.returncode == 1, run.output
    assert located_errors(run.output, display) == expected, run.output
    unlocated = [line for line in run.output.splitlines()
                 if "error[" in line and not line.startswith(f"{display}:")]
    assert unlocated == []
    assert run.seconds < MAX_SECONDS, f"took {run.seconds:.2f} s"
    assert run.max_rss_bytes < MAX_RSS_BYTES, f"peak RSS {run.max_rss_bytes >> 20} MB"


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
    assert len(CASES) >= 40
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


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_check_file_reports_exactly_the_expected_errors(case: Case) -> None:
    result = check_file(case.path, case.path.name)
    assert not result.valid
    assert all(p.location is not None for p in result.problems), result.problems
    found = collections.Counter(
        (p.rule, p.location.line) for p in result.errors if p.location is not None)
    assert found == case.expected, "\n".join(p.format() for p in result.problems)


@pytest.mark.parametrize("case", CASES, indirect=True)
def test_validate_refuses_with_located_errors_quickly(case: Case) -> None:
    project = case.path.parent.parent
    display = f"topologies/{case.path.name}"
    run = run_cli("validate", display, cwd=project)
    assert_refused_well(run, display, case.expected)


@pytest.mark.parametrize("case", CASES, indirect=True)
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
