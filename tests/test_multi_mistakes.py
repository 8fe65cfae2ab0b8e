"""Every mistake in one pass: the files in ``tests/multi/`` each hold several mistakes, and one
``meshgen validate`` run reports every one of them (see ``tests/multi/README.md``).

Where one mistake hides another (listed in the file with the reason), the edit that fixes the
first must uncover exactly the hidden ones in a second run.
"""

from __future__ import annotations

import collections
import json
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from generator.api import check_file
from tests.helpers import ROOT, Expected, expectations, run_cli

MULTI = ROOT / "tests" / "multi"
FILES = sorted(p.name for p in MULTI.glob("*.yaml"))
FIX = re.compile(r'^# fix: line ([0-9]+): ("(?:[^"\\]|\\.)*") => ("(?:[^"\\]|\\.)*")$',
                 re.MULTILINE)
HIDDEN = re.compile(r"^# hidden: ([a-z0-9-]+) line ([0-9]+): (\S.*)$", re.MULTILINE)


@dataclass(frozen=True)
class Corpus:
    """One file's mistakes: what the first run reports, the edits that uncover the rest, and
    what a second run reports besides."""

    text: str
    first: Expected
    fixes: tuple[tuple[int, str, str], ...]
    hidden: Expected

    @classmethod
    def read(cls, name: str) -> Corpus:
        text = (MULTI / name).read_text("utf-8")
        fixes = tuple((int(line), json.loads(old), json.loads(new))
                      for line, old, new in FIX.findall(text))
        hidden = collections.Counter((rule, int(line)) for rule, line, _ in HIDDEN.findall(text))
        return cls(text, expectations(text.encode()), fixes, hidden)

    @property
    def mistakes(self) -> int:
        return sum(self.first.values()) + sum(self.hidden.values())

    def fixed(self) -> str:
        lines = self.text.split("\n")
        for number, old, new in self.fixes:
            assert lines[number - 1] == old, f"line {number} is not {old!r}"
            lines[number - 1] = new
        return "\n".join(lines)

    def second(self) -> Expected:
        fixed_lines = {number for number, _, _ in self.fixes}
        kept = collections.Counter({(rule, line): n for (rule, line), n in self.first.items()
                                    if line not in fixed_lines})
        return kept + self.hidden


def errors_of(path: Path) -> Expected:
    result = check_file(path, path.name)
    assert all(p.location is not None for p in result.problems)
    return collections.Counter((p.rule, p.location.line) for p in result.errors
                               if p.location is not None)


def test_the_corpus_is_large_and_says_why_each_round_is_needed() -> None:
    corpora = [Corpus.read(name) for name in FILES]
    assert len(corpora) >= 12
    assert sum(c.mistakes for c in corpora) >= 70
    assert len({rule for c in corpora for rule, _ in c.first}) >= 30
    for name, corpus in zip(FILES, corpora, strict=True):
        assert "# why: " in corpus.text, name
        assert bool(corpus.hidden) == bool(corpus.fixes) == name.startswith("two-rounds-"), name
        if not corpus.hidden:
            assert corpus.mistakes >= 6, name
    assert sum(bool(c.hidden) for c in corpora) == 4


@pytest.mark.parametrize("name", FILES)
def test_one_run_reports_every_mistake(name: str) -> None:
    corpus = Corpus.read(name)
    assert errors_of(MULTI / name) == corpus.first


@pytest.mark.parametrize("name", [n for n in FILES if n.startswith("two-rounds-")])
def test_the_fix_uncovers_exactly_what_was_hidden(name: str, tmp_path: Path) -> None:
    corpus = Corpus.read(name)
    path = tmp_path / name
    path.write_text(corpus.fixed(), "utf-8")
    assert errors_of(path) == corpus.second()


def test_one_validate_run_over_the_whole_corpus() -> None:
    """The real command, once, over every file: each mistake reported, located, nothing else."""
    run = run_cli("validate", *(f"tests/multi/{name}" for name in FILES), cwd=ROOT)
    assert run.returncode == 1 and "Traceback" not in run.output, run.output
    found = collections.Counter(
        (m.group(1), m.group(4), int(m.group(2))) for m in re.finditer(
            r"^tests/multi/([a-z0-9-]+\.yaml):([0-9]+):([0-9]+): error\[([a-z0-9-]+)\]",
            run.stdout, re.MULTILINE))
    expected = collections.Counter({(name, rule, line): n for name in FILES
                                    for (rule, line), n in Corpus.read(name).first.items()})
    assert found == expected
    assert not [line for line in run.stdout.splitlines()
                if "error[" in line and not line.startswith("tests/multi/")]
