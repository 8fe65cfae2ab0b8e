"""The rule reference and the code agree, and every rule has a bad example that triggers it."""

from __future__ import annotations

import ast
import json
from typing import Any

from generator.rules import RULES
from tests.helpers import ROOT


def rules_in_code() -> set[str]:
    """Rule names given as literals where problems are made, plus those the schema names."""
    found: set[str] = set()
    for path in (ROOT / "generator").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
            position = {"Problem": 0, "_problem": 0, "_fail": 1, "Refused": 0}.get(str(name))
            if position is None or len(node.args) <= position:
                continue
            arg = node.args[position]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                found.add(arg.value)

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if "x-meshgen-wrong-type" in node:
                found.add(node["x-meshgen-wrong-type"]["rule"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(json.loads((ROOT / "schemas" / "topology.schema.json").read_text(encoding="utf-8")))
    return found


def test_every_rule_in_the_code_is_documented_and_no_other() -> None:
    assert rules_in_code() == set(RULES)


def test_every_rule_has_a_bad_example() -> None:
    expected: set[str] = set()
    for path in sorted((ROOT / "tests" / "bad").glob("*.yaml")):
        for line in path.read_bytes().decode("utf-8", "replace").splitlines():
            if line.startswith("# expect:"):
                expected.add(line.split()[2])
    # Entries under output/ are planted by the hostile-output table in the helpers.
    made_at_test_time = {"file-too-large", "unreadable", "duplicate-topology", "limit-stages",
                         "limit-primaries", "limit-steps", "limit-output-bytes", "limit-files",
                         "limit-links",
                         *(rule for rule, meaning in RULES.items() if meaning.stage == "output")}
    assert set(RULES) - made_at_test_time <= expected
    # The corpus's generated cases are in the helpers; a duplicate name is made in test_cli;
    # no file of 1 MiB can make too many files yet (test_limits makes a model that does).
    tests = "".join((ROOT / "tests" / name).read_text()
                    for name in ("helpers.py", "test_cli.py", "test_limits.py"))
    assert all(f'"{rule}"' in tests or rule in tests for rule in made_at_test_time)


def test_meanings_are_sentences() -> None:
    for name, rule in RULES.items():
        assert rule.stage in ("load", "schema", "check", "output"), name
        assert rule.meaning[0].isupper() and rule.meaning.endswith("."), name
