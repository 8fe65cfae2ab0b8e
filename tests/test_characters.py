"""Characters that print nothing: refused in every key and value of a topology, and escaped in
every problem meshgen prints, so that nothing quoted can start a line or a terminal sequence."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from generator.api import check_file
from generator.errors import Location, Problem, printable
from generator.inputs.characters import control_character_problems, first_refused, refused
from tests.helpers import BAD, VALID, edited, run_cli

REFUSED = ["\t", "\n", "\r", "\x00", "\x1b", "\x7f", "\x85", "\x9b", "\xad", "\u061c",
           "\u200b", "\u200d", "\u200e", "\u202a", "\u202b", "\u202c", "\u202d", "\u202e",
           "\u2028", "\u2029", "\u2066", "\u2067", "\u2068", "\u2069", "\ufeff", "\ud800",
           "\ue000", "\ufdd0", "\ufffe", "\uffff", "\U0001fffe", "\U0010ffff", "\U000e0001"]
ALLOWED = ["a", " ", "~", "\xa0", "\xe9", "\u3000", "\u4e2d", "\U0001f600", "\u2014", "'",
           '"', "\\", "$"]


@pytest.mark.parametrize("ch", REFUSED)
def test_characters_that_print_nothing_are_refused(ch: str) -> None:
    assert refused(ch)
    assert first_refused(f"ok{ch}ok") == ch


@pytest.mark.parametrize("ch", ALLOWED)
def test_printing_characters_and_spaces_are_allowed(ch: str) -> None:
    assert not refused(ch)
    assert first_refused(f"ok{ch}ok") is None


@given(st.text())
def test_a_string_is_refused_exactly_when_one_of_its_characters_is(text: str) -> None:
    found = first_refused(text)
    assert found == next((ch for ch in text if refused(ch)), None)


@given(st.characters())
def test_every_refused_character_is_one_python_does_not_print(ch: str) -> None:
    """The quick test of a whole string (``str.isprintable``) never misses a character."""
    if refused(ch):
        assert not ch.isprintable()
    if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp"):
        assert refused(ch)


def test_a_tab_is_allowed_in_descriptions_only() -> None:
    data = {"description": "a\tb", "clusters": [{"description": "c\td", "context": "e\tf"}]}
    problems = control_character_problems(data)
    assert [(p.rule, p.path) for p in problems] == [
        ("control-character", ("clusters", 0, "context"))]


def test_keys_are_checked_and_reported_on_the_key() -> None:
    match: dict[str, Any] = {"match": {"headers": {"x\u202ey": {}}}}
    data: dict[str, Any] = {"traffic": [{"routes": {"reviews": [match]}}]}
    (problem,) = control_character_problems(data)
    assert problem.on_key
    assert problem.path == ("traffic", 0, "routes", "reviews", 0, "match", "headers", "x\u202ey")
    assert problem.message == "key 'x\\u202ey' holds U+202E RIGHT-TO-LEFT OVERRIDE"


# --- what a problem shows -------------------------------------------------------------------


def test_printable_escapes_as_repr_does() -> None:
    assert printable("a\nb\x1b[2J\u202ec\td") == "a\\nb\\x1b[2J\\u202ec\\td"
    assert printable("plain 'text' \u00e9 \xa0") == "plain 'text' \u00e9 \\xa0"
    assert printable(printable("\x1b")) == printable("\x1b")


def test_a_problem_cannot_forge_a_line_or_a_terminal_sequence() -> None:
    key = "end-user\n/etc/x.yaml:1:1: error[fake]: \x1b[2J"
    problem = Problem("unknown-field", f"unknown field '{key}'", ("traffic", 0, key),
                      f"did you mean '{key}'?", on_key=True,
                      location=Location("to\x1bpologies/lab\n.yaml", 3, 5))
    text = problem.format()
    assert "\x1b" not in text
    assert text.count("\n") == 1  # the hint's own line
    assert text.startswith("to\\x1bpologies/lab\\n.yaml:3:5: error[unknown-field]: ")
    # Read back from JSON, every text still prints as it is.
    shown = json.loads(json.dumps(problem.as_dict()))
    assert all(value.isprintable() for value in shown.values() if isinstance(value, str))


def test_validate_prints_one_line_per_problem(tmp_path: Path) -> None:
    """The corpus case with a newline and ESC in a header name, through the command line."""
    (tmp_path / "topologies").mkdir()
    case = tmp_path / "topologies" / "lab.yaml"
    case.write_bytes((BAD / "text-key-newline.yaml").read_bytes())
    run = run_cli("validate", "topologies/lab.yaml", cwd=tmp_path)
    assert run.returncode == 1
    assert "\x1b" not in run.output
    errors = [line for line in run.output.splitlines() if "error[" in line]
    assert len(errors) == 1 and errors[0].startswith("topologies/lab.yaml:38:")
    assert "end-user\\n\\x1b[2Jx" in errors[0]


def test_a_tab_in_a_description_is_valid(tmp_path: Path) -> None:
    (tmp_path / "topologies").mkdir()
    (tmp_path / "topologies" / "lab.yaml").write_text(
        edited(VALID, ("name: lab\n", 'name: lab\ndescription: "two\\tcolumns"\n')))
    run = run_cli("validate", "topologies/lab.yaml", cwd=tmp_path)
    assert run.returncode == 0, run.output



def test_a_mistake_written_once_is_reported_once(tmp_path: Path) -> None:
    """A value used again through an alias is one mistake, where it was written; the same
    text written again elsewhere is another."""
    path = tmp_path / "lab.yaml"
    path.write_text(edited(
        VALID,
        ("    role: primary\n", '    role: primary\n    context: &ctx "east\\e"\n'),
        ("    role: remote\n", '    role: remote\n    context: *ctx\n'),
        ("  - name: all-v1\n", '  - name: all-v1\n    description: "east\\e"\n')))
    found = [(p.rule, p.location.line if p.location else 0, p.path)
             for p in check_file(path).errors]
    assert found == [("control-character", 10, ("clusters", 0, "context")),
                     ("control-character", 35, ("traffic", 0, "description"))]
