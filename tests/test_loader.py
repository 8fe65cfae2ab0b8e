from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import pytest
import yaml

from generator.errors import Problem
from generator.inputs.loader import LoadFailed, SourceDocument, parse_source, read_source
from generator.inputs.source_file import MAX_BYTES, Refused, read_topology_bytes
from generator.output.record import _digest as record_digest


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


# --- merge keys: the meaning the YAML merge key gives them ----------------------------------

MERGE_BASES = "a: &a {x: a, y: a}\nb: &b {<<: *a, y: b, z: b}\n"


@pytest.mark.parametrize(("mapping", "expected"), [
    # The mapping's own keys win over merged ones.
    ("{<<: *a, x: own}", {"x": "own", "y": "a"}),
    # A merged mapping's own merge is resolved first: b's y overrides a's.
    ("{<<: *b}", {"x": "a", "y": "b", "z": "b"}),
    ("{<<: *b, w: own}", {"x": "a", "y": "b", "z": "b", "w": "own"}),
    # Of a list of mappings, the earlier one wins.
    ("{<<: [*a, *b]}", {"x": "a", "y": "a", "z": "b"}),
    ("{<<: [*b, *a]}", {"x": "a", "y": "b", "z": "b"}),
    ("{<<: [*b, *a], y: own}", {"x": "a", "y": "own", "z": "b"}),
    # A merge may be written inline, and nested ones too.
    ("{<<: {<<: *a, x: inner}, z: own}", {"x": "inner", "y": "a", "z": "own"}),
])
def test_merge_keys_have_the_meaning_yaml_gives_them(mapping: str, expected: dict[str, str]
                                                     ) -> None:
    doc = load(MERGE_BASES + f"c: {mapping}\n")
    assert doc.data["c"] == expected  # type: ignore[attr-defined]
    assert doc.data["b"] == {"x": "a", "y": "b", "z": "b"}  # type: ignore[attr-defined]


def test_merge_keys_agree_with_pyyaml_where_its_answer_is_settled() -> None:
    """PyYAML 6.0.4 resolves a key that two merged mappings both give by whether the two keys
    are the same string object; where no two merged mappings share a key it is settled."""
    text = ("base: &base {provider: iks, role: remote}\n"
            "link: &link {ike: aes256gcm16-prfsha384-ecp384, esp: aes256gcm16-ecp384}\n"
            "nested: &nested {<<: *link, closeAction: hold}\n"
            "clusters:\n"
            "  - {<<: *base, name: west, role: primary}\n"
            "  - <<: [*base, {context: east-admin}]\n"
            "    name: east\n"
            "vpn:\n"
            "  - {<<: *nested, between: [west, east], closeAction: none}\n")
    doc = load(text)
    assert doc.data == yaml.safe_load(text)  # type: ignore[attr-defined]
    # ... key order included: merged keys first, as a mapping built by PyYAML has them.
    assert list(doc.data["vpn"][0]) == list(yaml.safe_load(text)["vpn"][0])  # type: ignore[attr-defined]


def test_merged_values_are_located_where_they_are_written() -> None:
    doc = load("clusters:\n"
               "  - &c\n"
               "    name: east\n"
               "    provider: iks\n"
               "  - <<: *c\n"
               "    name: west\n")
    assert doc.data["clusters"][1] == {"provider": "iks", "name": "west"}  # type: ignore[attr-defined]
    assert doc.marks[("clusters", 1, "provider")] == (4, 15)  # type: ignore[attr-defined]
    assert doc.key_marks[("clusters", 1, "provider")] == (4, 5)  # type: ignore[attr-defined]
    assert doc.marks[("clusters", 1, "name")] == (6, 11)  # type: ignore[attr-defined]


def test_an_overridden_merged_value_leaves_no_mark() -> None:
    doc = load("a: &a {x: 1}\nc:\n  <<: *a\n  x: 2\n")
    assert doc.data["c"] == {"x": 2}  # type: ignore[attr-defined]
    assert doc.marks[("c", "x")] == (4, 6)  # type: ignore[attr-defined]


@pytest.mark.parametrize(("text", "rule", "line"), [
    ("a: &a {x: 1}\nb: &b {y: 2}\nc:\n  <<: *a\n  <<: *b\n", "duplicate-key", 5),
    ("c:\n  <<: {x: 1, x: 2}\n", "duplicate-key", 2),
    ("a: &a {x: 1}\nc: {<<: [*a, 3]}\n", "yaml-syntax", 2),
    ("c: {<<: !!set {x: 1}}\n", "unsupported-tag", 1),
])
def test_bad_merges_are_reported(text: str, rule: str, line: int) -> None:
    _, problems = reported(text)
    assert [(found, at) for found, at, _, _ in problems] == [(rule, line)]


def test_a_mapping_that_merges_itself_is_refused() -> None:
    rule, line, _, _ = failure("a: &a\n  x: 1\n  <<: *a\n")
    assert (rule, line) == ("recursive-alias", 3)


def test_merges_count_toward_the_alias_limit() -> None:
    """Each level merges the one before it ten times over: a billion keys in 400 bytes."""
    lines = ["m0: &m0 {" + ", ".join(f"k{i}: v" for i in range(10)) + "}"]
    for level in range(1, 10):
        merged = ", ".join([f"*m{level - 1}"] * 10)
        lines.append(f"m{level}: &m{level} {{<<: [{merged}], own{level}: v}}")
    assert failure("\n".join(lines) + "\n")[0] == "alias-bomb"


# --- reading a file: a regular one, its size first --------------------------------------------


def refused_without(call: str, path: Path) -> Problem:
    """The one problem of reading ``path`` while ``os.<call>`` fails the test if it is used."""
    with mock.patch(f"os.{call}", side_effect=AssertionError(f"os.{call} was used")), \
            pytest.raises(LoadFailed) as caught:
        read_source(path)
    (problem,) = caught.value.problems
    return problem


@pytest.mark.parametrize(("make", "message"), [
    (os.mkfifo, "is a named pipe (FIFO), not a topology file"),
    (lambda path: path.symlink_to("/dev/zero"), "is a character device, not a topology file"),
    (os.mkdir, "is a directory, not a topology file"),
])
def test_a_file_that_is_not_regular_is_refused_without_being_opened(
        make: Callable[[Path], None], message: str, tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    make(path)
    problem = refused_without("open", path)
    assert (problem.rule, problem.message) == ("unreadable", message)


def test_a_huge_sparse_file_is_refused_before_a_byte_is_read(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.write(b"name: a\n")
        handle.truncate(2 * 2**30)
    assert refused_without("read", big).rule == "file-too-large"


def test_a_file_that_grows_past_the_limit_while_read_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "lab.yaml"
    path.write_bytes(b"name: a\n")
    real_read = os.read

    def growing(fd: int, size: int) -> bytes:
        return real_read(fd, size) or b"x" * size  # never ends, as a file still written

    with mock.patch("os.read", side_effect=growing), pytest.raises(Refused) as caught:
        read_topology_bytes(path, limit=1000)
    assert caught.value.rule == "file-too-large"


def test_the_build_record_reads_topologies_the_way_the_loader_does(tmp_path: Path) -> None:
    """The up-to-date check hashes a topology only when the loader would read it: neither a
    huge file nor a named pipe is read (and so neither is ever up to date)."""
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(2 * 2**30)
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    small = tmp_path / "small.yaml"
    small.write_bytes(b"name: a\n")
    with mock.patch("os.read", side_effect=AssertionError("read")):
        assert record_digest(big) is None
    with mock.patch("os.open", side_effect=AssertionError("opened")):
        assert record_digest(fifo) is None
    assert record_digest(small) == hashlib.sha256(b"name: a\n").hexdigest()


def test_a_control_character_in_the_file_is_named_where_it_is() -> None:
    rule, line, column, message = failure(b"name: a\ndescription: x\x1b[2J\n")
    assert (rule, line, column) == ("control-character", 2, 15)
    assert message == "the file holds U+001B (a control character)"
