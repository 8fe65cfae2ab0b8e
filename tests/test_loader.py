from __future__ import annotations

from pathlib import Path

import pytest

from generator.inputs.loader import (
    MAX_BYTES,
    LoadFailed,
    SourceDocument,
    parse_source,
    read_source,
)


def load(text: str | bytes) -> object:
    raw = text.encode() if isinstance(text, str) else text
    return parse_source(raw, "t.yaml")


def failure(text: str | bytes) -> tuple[str, int, int, str]:
    with pytest.raises(LoadFailed) as caught:
        load(text)
    problem = caught.value.problems[0]
    assert problem.location is not None
    return problem.rule, problem.location.line, problem.location.column, problem.message


def test_marks_point_at_keys_and_values() -> None:
    doc = parse_source(b"name: x\nclusters:\n  - name: a\n    podCIDR: 10.0.0.0/8\n", "t.yaml")
    assert doc.data == {"name": "x", "clusters": [{"name": "a", "podCIDR": "10.0.0.0/8"}]}
    assert doc.marks[("clusters", 0, "podCIDR")] == (4, 14)
    assert doc.key_marks[("clusters", 0, "podCIDR")] == (4, 5)
    assert str(doc.locate(("clusters", 0, "podCIDR"))) == "t.yaml:4:14"
    # A path missing from the file falls back to its nearest ancestor.
    assert str(doc.locate(("clusters", 0, "role"))) == "t.yaml:3:5"


def reported(text: str) -> tuple[SourceDocument, list[tuple[str, int, int, str]]]:
    """A document that was read despite mistakes, and the mistakes."""
    doc = parse_source(text.encode(), "t.yaml")
    return doc, [(p.rule, p.location.line, p.location.column, p.message)
                 for p in doc.problems if p.location is not None]


def test_a_duplicate_key_is_reported_and_the_first_value_kept() -> None:
    doc, problems = reported("name: a\nclusters: []\nname: b\n")
    [(rule, line, col, message)] = problems
    assert (rule, line, col) == ("duplicate-key", 3, 1)
    assert "line 1" in message
    assert doc.data == {"name": "a", "clusters": []}
    assert doc.lost == frozenset()


def test_nested_duplicate_keys_each_reported_and_reading_goes_on() -> None:
    doc, problems = reported("clusters:\n  - name: a\n    name: b\n    role: x\n    role: y\n"
                             "description: d\n")
    assert [(r, line) for r, line, _, _ in problems] == [("duplicate-key", 3),
                                                         ("duplicate-key", 5)]
    assert doc.data == {"clusters": [{"name": "a", "role": "x"}], "description": "d"}


def test_multi_document_file_is_refused() -> None:
    rule, line, _, _ = failure("name: a\n---\nname: b\n")
    assert (rule, line) == ("multi-document", 2)


@pytest.mark.parametrize("text", ["- a\n- b\n", "just text\n", ""])
def test_top_level_must_be_a_mapping(text: str) -> None:
    assert failure(text)[0] == "not-a-mapping"


def test_non_utf8_is_located() -> None:
    rule, line, col, _ = failure(b"name: a\ndescription: caf\xe9\n")
    assert (rule, line, col) == ("not-utf8", 2, 17)


def test_oversized_file_is_refused_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.write(b"name: a\n")
        handle.seek(MAX_BYTES * 50)
        handle.write(b"\n")
    with pytest.raises(LoadFailed) as caught:
        read_source(big)
    assert caught.value.problems[0].rule == "file-too-large"


def test_alias_bomb_is_stopped() -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        refs = ", ".join([f"*a{i - 1}"] * 10)
        lines.append(f"a{i}: &a{i} [{refs}]")
    assert failure("\n".join(lines) + "\n")[0] == "alias-bomb"


def test_small_aliases_and_merge_keys_are_fine() -> None:
    doc = load("base: &b {role: remote, provider: iks}\nc: {<<: *b, name: x, role: primary}\n")
    assert doc.data["c"] == {"name": "x", "role": "primary", "provider": "iks"}  # type: ignore[attr-defined]


def test_recursive_alias_is_refused() -> None:
    assert failure("a: &a [1, *a]\n")[0] == "recursive-alias"


def test_a_value_with_an_unsupported_tag_is_reported_and_left_out() -> None:
    doc, problems = reported("name: !!python/object:os.system x\nclusters:\n"
                             "  - !!binary aGk=\n  - {name: b}\n")
    assert [(r, line) for r, line, _, _ in problems] == [("unsupported-tag", 1),
                                                         ("unsupported-tag", 3)]
    # A list keeps its length, so the items after keep their paths.
    assert doc.data == {"clusters": [None, {"name": "b"}]}
    assert doc.lost == {("name",), ("clusters", 0)}


def test_an_unsupported_tag_on_the_whole_file_stops_reading() -> None:
    assert failure("--- !!python/object:os.system\nname: a\n")[0] == "unsupported-tag"


def test_syntax_error_is_located() -> None:
    rule, line, _, _ = failure("name: a\nclusters: [\n")
    assert rule == "yaml-syntax"
    assert line >= 2


def test_tabs_are_a_syntax_error() -> None:
    assert failure("name: a\nclusters:\n\t- name: x\n")[0] == "yaml-syntax"


def test_deep_nesting_is_refused() -> None:
    assert failure("a: " + "[" * 200 + "]" * 200 + "\n")[0] == "too-deep"


def test_scalars_keep_yaml_meaning_but_keys_stay_text() -> None:
    doc = load("on: yes\nn: 3\nf: 1.0\nd: 2024-01-01\nz: ~\n")
    assert doc.data == {"on": True, "n": 3, "f": 1.0, "d": "2024-01-01", "z": None}  # type: ignore[attr-defined]


def test_unreadable_path_is_reported(tmp_path: Path) -> None:
    with pytest.raises(LoadFailed) as caught:
        read_source(tmp_path)
    assert caught.value.problems[0].rule == "unreadable"
