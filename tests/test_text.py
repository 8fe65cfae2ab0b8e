"""Free text from a topology as one line: the same on the site as in the runbook."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from generator.api import render
from generator.docs.deferred import fill_now
from generator.docs.sources import collect
from generator.docs.topology_page import topology_page
from generator.text import one_line
from tests.helpers import seed_data, write_tree


@pytest.mark.parametrize(("text", "shown"), [
    ("plain words", "plain words"),
    ("  two\n lines\tand  tabs ", "two lines and tabs"),
    ("bell\x07and escape\x1b[31m", "bell and escape [31m"),
    ("zero\u200bwidth and nbsp\xa0here", "zero width and nbsp here"),
    ("line\u2028separator\x85next", "line separator next"),
    ("", ""),
])
def test_one_line(text: str, shown: str) -> None:
    assert one_line(text) == shown


@given(st.text())
def test_one_line_is_one_printable_line(text: str) -> None:
    shown = one_line(text)
    assert shown.isprintable()
    assert shown == shown.strip() and "  " not in shown
    assert one_line(shown) == shown
    assert all(word in text for word in shown.split())  # printable runs are kept as they were


def test_the_site_and_the_runbook_show_a_description_alike(tmp_path: Path) -> None:
    data = seed_data()
    data["description"] = "Two\x1b[31m lines,\nwith a bell\x07 and\u200bzero width"
    write_tree(tmp_path, {"topologies": {"seed.yaml": yaml.safe_dump(data)}})
    (doc,) = collect(tmp_path / "topologies", tmp_path / "output", tmp_path)
    assert doc.topology is not None
    shown = "Two [31m lines, with a bell and zero width"
    overview = fill_now(topology_page(doc))
    assert f'<p class="meshgen-lede">{html.escape(shown)}</p>' in overview
    runbook = render(doc.topology).files["apply.sh"].decode()
    assert f"# Runbook of topology {data['name']}: {shown}\n" in runbook
