"""The layout: each package (and each module at the top of generator/) says in its docstring what
it may import, the code keeps to it, and the README and docs/architecture.md say the same."""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.helpers import ROOT, imported

GENERATOR = ROOT / "generator"
SUB_UNITS = ("targets.vpn", "targets.istio", "targets.gitops")
"""Packages inside a package that keep rules of their own."""
MADE_LAST = ("generator.targets.runbook", "generator.targets.kustomize")
"""Made from what the other targets produce: only the targets' registry imports them."""


@dataclass(frozen=True)
class Unit:
    name: str
    """Dotted, relative to generator (``inputs``, ``targets.vpn``, ``api``)."""
    files: tuple[Path, ...]
    summary: str
    """The docstring's first paragraph, on one line."""
    may_import: frozenset[str]
    said: bool
    """False when the docstring has no 'May import:' line."""


def _defining_file(name: str) -> Path:
    folder = GENERATOR.joinpath(*name.split("."))
    return folder / "__init__.py" if folder.is_dir() else folder.with_suffix(".py")


def _unit_name(path: Path) -> str:
    parts = path.relative_to(GENERATOR).with_suffix("").parts
    if len(parts) == 1:
        return "generator" if parts[0] == "__init__" else parts[0]
    for sub in SUB_UNITS:
        if ".".join(parts).startswith(sub + "."):
            return sub
    return parts[0]


def _may_import(docstring: str) -> frozenset[str] | None:
    found = re.search(r"May import:(.*)", docstring, re.S)
    if found is None:
        return None
    if found.group(1).strip().startswith("nothing of meshgen"):
        return frozenset()
    return frozenset(re.findall(r"``([\w.]+)``", found.group(1)))


def units() -> dict[str, Unit]:
    grouped: dict[str, list[Path]] = {}
    for path in sorted(GENERATOR.rglob("*.py")):
        if path.name != "__main__.py":
            grouped.setdefault(_unit_name(path), []).append(path)
    found = {}
    for name, files in grouped.items():
        defining = GENERATOR / "__init__.py" if name == "generator" else _defining_file(name)
        docstring = ast.get_docstring(ast.parse(defining.read_text("utf-8"))) or ""
        allowed = _may_import(docstring)
        # Markdown's code spans for reStructuredText's literals, to compare with the pages.
        summary = re.sub(r"``(.+?)``", r"`\1`", " ".join(docstring.partition("\n\n")[0].split()))
        found[name] = Unit(name, tuple(files), summary,
                           allowed or frozenset(), allowed is not None)
    return found


UNITS = units()


def _within(module: str, name: str) -> bool:
    dotted = f"generator.{name}"
    return module == dotted or module.startswith(dotted + ".")


def test_every_package_says_what_it_may_import() -> None:
    silent = [str(_defining_file(u.name).relative_to(ROOT)) for u in UNITS.values() if not u.said]
    assert not silent, (f"{silent}: the docstring has no 'May import: ...' line; name what it "
                        "may import (see docs/architecture.md)")


def test_every_unit_names_only_units_that_exist() -> None:
    known = {*UNITS, *(f"{u}.{p.stem}" for u in UNITS for p in UNITS[u].files)}
    unknown = {f"{u.name}: {m}" for u in UNITS.values() for m in u.may_import
               if m not in known and not any(m.startswith(k + ".") for k in UNITS)}
    assert not unknown, sorted(unknown)


def _unit_of(module: str) -> str:
    dotted = module.removeprefix("generator.")
    for sub in SUB_UNITS:
        if dotted == sub or dotted.startswith(sub + "."):
            return sub
    return dotted.split(".")[0]


@pytest.mark.parametrize("name", sorted(UNITS))
def test_imports_go_only_where_the_docstring_allows(name: str) -> None:
    unit = UNITS[name]
    wrong = set()
    for path in unit.files:
        for module in imported(path):
            if module in ("generator", "generator.__version__"):
                continue
            other = _unit_of(module)
            if other == name or other.startswith(name + "."):
                continue  # itself, or a package of its own (the targets' registry)
            if any(_within(module, allowed) for allowed in unit.may_import):
                continue
            wrong.add(f"{path.relative_to(ROOT)} imports {module}")
    assert not wrong, sorted(wrong)


def test_the_runbook_and_kustomizations_are_made_last() -> None:
    """Only the targets' registry (and the docs, above every target) import them."""
    wrong = {f"{path.relative_to(ROOT)} imports {module}"
             for unit in UNITS.values() if unit.name.startswith("targets")
             for path in unit.files if path != GENERATOR / "targets" / "__init__.py"
             for module in imported(path) if module in MADE_LAST
             and path.with_suffix("").name != module.rpartition(".")[2]}
    assert not wrong, sorted(wrong)


def test_the_layers_have_no_cycle() -> None:
    """Read as a graph of units, the allowed imports run one way. The two front ends reach each
    other once: the command line starts the site through ``docs.command``, which imports nothing
    of the site and nothing of the command line, so the edge cannot close a loop."""
    graph = {name: {_unit_of(a) for a in unit.may_import if a != "docs.command"} - {name}
             for name, unit in UNITS.items()}
    starter = imported(GENERATOR / "docs" / "command.py")
    assert not {m for m in starter if _unit_of(m) in ("docs", "cli", "cli_reference")}
    seen: dict[str, int] = {}

    def visit(node: str, trail: tuple[str, ...]) -> None:
        if seen.get(node) == 2:
            return
        assert seen.get(node) != 1, "a cycle: " + " -> ".join((*trail, node))
        seen[node] = 1
        for following in sorted(graph.get(node, ())):
            visit(following, (*trail, node))
        seen[node] = 2

    for name in sorted(graph):
        visit(name, ())


def _rows(text: str, heading: str) -> dict[str, list[str]]:
    """Rows of the first table under ``heading``: first cell (without backticks) -> cells."""
    section = text.split(heading, 1)[1]
    rows = {}
    for line in section.splitlines():
        if line.startswith("|") and not line.startswith("|---"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            rows[cells[0].strip("`")] = cells
        elif rows and not line.startswith("|"):
            break
    return rows


def _label(name: str) -> str:
    return "generator/" if name == "generator" else (
        "generator/" + name.replace(".", "/") + ("/" if _defining_file(name).name ==
                                                  "__init__.py" else ".py"))


def test_the_readme_layout_says_what_the_docstrings_say() -> None:
    rows = _rows((ROOT / "README.md").read_text("utf-8"), "## Layout")
    listed = {label: cells[1] for label, cells in rows.items() if label.startswith("generator")}
    expected = {_label(name): unit.summary for name, unit in UNITS.items()}
    assert listed == expected


def test_the_architecture_page_says_what_the_docstrings_say() -> None:
    rows = _rows((ROOT / "docs" / "architecture.md").read_text("utf-8"), "## The packages")
    listed = {label: (cells[1], cells[2]) for label, cells in rows.items()
              if label.startswith("generator")}

    def allowed(unit: Unit) -> str:
        return ", ".join(f"`{a}`" for a in sorted(unit.may_import)) or "nothing of meshgen"

    expected = {_label(name): (unit.summary, allowed(unit)) for name, unit in UNITS.items()}
    assert listed == expected
