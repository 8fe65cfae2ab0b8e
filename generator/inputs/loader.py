"""YAML text -> plain data plus a source map (line and column of every key and value).

The composer from PyYAML (its C implementation where available) gives nodes with marks; the
data is then built here rather than by PyYAML's constructor so that duplicate keys, recursive
or exploding aliases and unsupported tags are reported with a location instead of being
resolved silently. Merge keys (``<<: *defaults``) are resolved here too, nested ones included,
with the meaning the YAML merge key gives them; a merged value keeps the line and column where
it was written, and merged content counts toward the alias limit.

Two kinds of problem are told apart. Text that cannot be read as one YAML mapping at all (a
syntax error, an alias bomb, nesting too deep) stops here: :class:`LoadFailed`. A mistake inside
a readable mapping (a key written twice, a tag meshgen does not read, a key that is not a name)
is reported and reading goes on: a duplicate key keeps its first value, and a value that cannot
be read is left out and its path recorded in :attr:`SourceDocument.lost`, so that the schema
and the checks still judge the rest of the file and say nothing more about that value.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import FieldPath, Location, Problem, written_path
from .characters import describe, refused
from .source_file import MAX_BYTES, Refused, read_topology_bytes

MAX_ALIAS_NODES = 10_000
MAX_DEPTH = 64

try:
    FastLoader: type[yaml.SafeLoader] = yaml.CSafeLoader  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    FastLoader = yaml.SafeLoader
"""PyYAML's safe loader, in C where PyYAML was built with libyaml."""

_TAG = "tag:yaml.org,2002:"
_SCALAR_TAGS = {f"{_TAG}{t}" for t in ("str", "int", "float", "bool", "null", "timestamp")}
_scalars = yaml.constructor.SafeConstructor()

Mark = tuple[int, int]


@dataclass(frozen=True)
class SourceDocument:
    """One topology file: its bytes' digest, its data and where each field came from."""

    display: str
    sha256: str
    data: dict[str, Any]
    marks: dict[FieldPath, Mark]
    key_marks: dict[FieldPath, Mark]
    problems: tuple[Problem, ...] = ()
    """Mistakes found while reading that did not stop it, located."""
    lost: frozenset[FieldPath] = frozenset()
    """Paths of values left out of ``data`` because they could not be read."""

    def locate(self, path: FieldPath, on_key: bool = False) -> Location:
        """Line and column of ``path``; of its nearest ancestor present in the file otherwise."""
        table = self.key_marks if on_key else self.marks
        probe = written_path(path)
        while True:
            mark = table.get(probe) or (self.marks.get(probe) if on_key else None)
            if mark is not None:
                return Location(self.display, mark[0], mark[1])
            if not probe:
                return Location(self.display, 1, 1)
            probe = probe[:-1]

    def locate_problem(self, problem: Problem) -> Problem:
        if problem.location is not None:
            return problem
        return problem.located(self.locate(problem.path, problem.on_key))


class LoadFailed(Exception):
    """The file cannot be turned into data; carries the located problems."""

    def __init__(self, problems: list[Problem]) -> None:
        super().__init__("\n".join(p.format() for p in problems))
        self.problems = problems


def _fail(display: str, rule: str, message: str, hint: str = "", at: Mark = (1, 1)) -> LoadFailed:
    return LoadFailed(
        [Problem(rule, message, hint=hint, location=Location(display, at[0], at[1]))]
    )


def _mark(node: yaml.Node) -> Mark:
    return (node.start_mark.line + 1, node.start_mark.column + 1)


def read_source(path: Path, display: str | None = None) -> SourceDocument:
    """Read and parse one topology file, refusing anything that is not a small UTF-8 mapping."""
    shown = display if display is not None else str(path)
    try:
        raw = read_topology_bytes(path)
    except Refused as refused:
        raise _fail(shown, refused.rule, refused.message, refused.hint) from None
    return parse_source(raw, shown)


def parse_source(raw: bytes, display: str) -> SourceDocument:
    if len(raw) > MAX_BYTES:
        raise _fail(display, "file-too-large", f"file is larger than {MAX_BYTES // 1024} KiB",
                    "a topology is a few kilobytes; check that the right file was named")
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        column = exc.start - (before.rfind(b"\n") + 1) + 1
        raise _fail(
            display,
            "not-utf8",
            f"byte 0x{raw[exc.start]:02x} is not valid UTF-8",
            "save the file as UTF-8",
            (line, column),
        ) from None
    text = text.removeprefix("\ufeff")
    node = _compose(text, display)
    if node is None:
        raise _fail(display, "not-a-mapping", "file is empty; a topology is a YAML mapping")
    if not isinstance(node, yaml.MappingNode):
        raise _fail(
            display,
            "not-a-mapping",
            f"the top level is a {_kind(node)}; a topology is a YAML mapping "
            "(name: ..., clusters: ...)",
            at=_mark(node),
        )
    builder = _Builder(display)
    try:
        data = builder.build(node, (), 0)
    except _Unreadable:  # the top level itself carries a tag meshgen does not read
        raise LoadFailed(builder.problems) from None
    return SourceDocument(display, digest, data, builder.marks, builder.key_marks,
                          tuple(builder.problems), frozenset(builder.lost))


def _compose(text: str, display: str) -> yaml.Node | None:
    loader = FastLoader(text)
    try:
        return loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        at = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = (exc.problem or "").strip()
        if "expected a single document" in f"{exc.context} {problem}":
            raise _fail(
                display,
                "multi-document",
                "file holds more than one YAML document",
                "keep one topology per file; remove the '---' separator",
                at,
            ) from None
        context = (exc.context or "").strip()
        message = f"{context}: {problem}" if context and problem else problem or context
        raise _fail(display, "yaml-syntax", message or "invalid YAML", _syntax_hint(text, at),
                    at=at) from None
    except yaml.reader.ReaderError as exc:
        at = _reader_mark(text, exc.position)
        if isinstance(exc.character, int) and refused(chr(exc.character)):
            raise _fail(display, "control-character",
                        f"the file holds {describe(chr(exc.character))}",
                        "remove the character; a topology holds printable text only",
                        at) from None
        raise _fail(display, "yaml-syntax", str(exc).splitlines()[0], at=at) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "mark", None)
        at = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise _fail(display, "yaml-syntax", str(exc).splitlines()[0], at=at) from None
    except RecursionError:
        raise _fail(display, "too-deep", f"nesting deeper than {MAX_DEPTH} levels") from None
    finally:
        loader.dispose()


def _syntax_hint(text: str, at: Mark) -> str:
    lines = text.splitlines()
    line = lines[at[0] - 1] if 0 < at[0] <= len(lines) else ""
    if "\t" in line[: at[1]]:
        return "YAML indents with spaces only; replace the tab"
    return ""


def _reader_mark(text: str, position: int) -> Mark:
    """Line and column of a character the reader refused. libyaml counts UTF-8 bytes of the
    text; the pure-Python reader counts characters."""
    if FastLoader is yaml.SafeLoader:
        before = text[:position]
    else:
        before = text.encode("utf-8")[:position].decode("utf-8", "replace")
    return (before.count("\n") + 1, len(before) - (before.rfind("\n") + 1) + 1)


def _kind(node: yaml.Node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "mapping"
    if isinstance(node, yaml.SequenceNode):
        return "list"
    return "scalar"


class _Unreadable(Exception):
    """A value that cannot be read (reported); the caller leaves it out of the data."""


class _Builder:
    """Turns composed nodes into dicts, lists and scalars, recording marks by field path.

    Problems that make the whole text unusable raise :class:`LoadFailed`; a value that cannot
    be read raises :class:`_Unreadable` up to the mapping or list holding it, which leaves it
    out and records its path as lost.
    """

    def __init__(self, display: str) -> None:
        self.display = display
        self.marks: dict[FieldPath, Mark] = {}
        self.key_marks: dict[FieldPath, Mark] = {}
        self.problems: list[Problem] = []
        self.lost: set[FieldPath] = set()
        self._seen: set[int] = set()
        self._active: set[int] = set()
        self._merging: set[int] = set()
        self._checked: set[int] = set()
        """Mappings whose own keys were checked for duplicates (each is reported once)."""
        self._alias_nodes = 0

    def _problem(self, rule: str, message: str, at: Mark, hint: str = "") -> None:
        self.problems.append(
            Problem(rule, message, hint=hint, location=Location(self.display, at[0], at[1]))
        )

    def build(self, node: yaml.Node, path: FieldPath, depth: int) -> Any:
        ident = id(node)
        if ident in self._active:
            self._problem("recursive-alias", "alias refers to a node that contains it",
                          self._alias_mark(path, node))
            raise LoadFailed(self.problems)
        if depth > MAX_DEPTH:
            self._problem("too-deep", f"nesting deeper than {MAX_DEPTH} levels", _mark(node))
            raise LoadFailed(self.problems)
        if ident in self._seen:
            self._alias_nodes += 1
            if self._alias_nodes > MAX_ALIAS_NODES:
                self._problem(
                    "alias-bomb",
                    f"aliases expand to more than {MAX_ALIAS_NODES} nodes",
                    self._alias_mark(path, node),
                    "write the repeated parts out, or reuse fewer anchors",
                )
                raise LoadFailed(self.problems)
        else:
            self._seen.add(ident)
        self.marks.setdefault(path, _mark(node))
        if isinstance(node, yaml.ScalarNode):
            return self._scalar(node)
        self._active.add(ident)
        try:
            if isinstance(node, yaml.SequenceNode):
                self._check_tag(node, f"{_TAG}seq")
                return [self._item(item, (*path, i), depth + 1)
                        for i, item in enumerate(node.value)]
            assert isinstance(node, yaml.MappingNode)
            self._check_tag(node, f"{_TAG}map")
            return self._mapping(node, path, depth)
        finally:
            self._active.discard(ident)

    def _item(self, node: yaml.Node, path: FieldPath, depth: int) -> Any:
        """A list item; one that cannot be read stands as null, so that the items after it
        keep their places (and their paths), and its path is recorded as lost."""
        try:
            return self.build(node, path, depth)
        except _Unreadable:
            self.lost.add(path)
            return None

    def _alias_mark(self, path: FieldPath, node: yaml.Node) -> Mark:
        # An alias resolves to its anchored node, whose mark is where the anchor was written;
        # the key the alias hangs under is where it was used.
        for end in range(len(path), 0, -1):
            mark = self.key_marks.get(path[:end])
            if mark is not None:
                return mark
        return _mark(node)

    def _check_tag(self, node: yaml.Node, expected: str) -> None:
        if node.tag not in (expected, "!"):
            self._unsupported(node)

    def _unsupported(self, node: yaml.Node) -> None:
        self._problem("unsupported-tag", f"tag {node.tag!r} is not supported", _mark(node),
                      "remove the tag: a topology holds plain text, numbers, lists and "
                      "mappings")
        raise _Unreadable

    def _scalar(self, node: yaml.ScalarNode) -> Any:
        tag = node.tag
        if tag == "!" or tag == f"{_TAG}str" or tag == f"{_TAG}timestamp":
            return node.value
        if tag not in _SCALAR_TAGS:
            self._unsupported(node)
        try:
            return _scalars.construct_object(node)
        except (yaml.YAMLError, ValueError):
            self._problem("yaml-syntax", f"cannot read {node.value!r} as {tag.rsplit(':', 1)[-1]}",
                          _mark(node))
            raise _Unreadable from None

    def _mapping(self, node: yaml.MappingNode, path: FieldPath, depth: int) -> dict[str, Any]:
        # The pairs in the merge key's order, '<<' merges resolved; a key given again overrides
        # the value given before it but keeps its place. Only the value that stands is read, so
        # its marks point where it was written (in the merged mapping, for a merged one).
        standing: dict[str, tuple[yaml.Node, yaml.Node]] = {}
        for key_node, value_node in self._pairs(node, depth):
            if not isinstance(key_node, yaml.ScalarNode):
                self._problem("non-string-key", "mapping keys must be plain names", _mark(key_node))
                continue
            standing[key_node.value] = (key_node, value_node)
        out: dict[str, Any] = {}
        for key, (key_node, value_node) in standing.items():
            self._entry(out, key, key_node, value_node, path, depth)
        return out

    def _entry(self, out: dict[str, Any], key: str, key_node: yaml.Node,
               value_node: yaml.Node, path: FieldPath, depth: int) -> None:
        """Read one key's value into ``out``; one that cannot be read is left out, lost."""
        key_path = (*path, key)
        self.key_marks[key_path] = _mark(key_node)
        try:
            out[key] = self.build(value_node, key_path, depth + 1)
        except _Unreadable:
            self.lost.add(key_path)

    def _pairs(self, node: yaml.MappingNode, depth: int) -> list[tuple[yaml.Node, yaml.Node]]:
        """The key/value pairs of ``node`` with its ``<<`` merge resolved, in the order that
        gives the merge key its meaning (yaml.org/type/merge.html) when later pairs override
        earlier ones: first the pairs of the merged mappings, each flattened the same way and,
        of a list of them, the earlier mapping's pairs last (so they win); then the node's own
        pairs, which win over all merged ones. This is the order PyYAML's ``flatten_mapping``
        made before 6.0.4, whose results now depend on whether two keys are the same string
        object. A key (``<<`` included) written twice among the node's own pairs is an error;
        the first stands."""
        ident = id(node)
        if depth > MAX_DEPTH:
            self._problem("too-deep", f"nesting deeper than {MAX_DEPTH} levels", _mark(node))
            raise LoadFailed(self.problems)
        merged: list[tuple[yaml.Node, yaml.Node]] = []
        own: list[tuple[yaml.Node, yaml.Node]] = []
        first: dict[str, yaml.Node] = {}
        check = ident not in self._checked
        self._checked.add(ident)
        self._merging.add(ident)
        try:
            merge_key: yaml.Node | None = None
            for key_node, value_node in node.value:
                if key_node.tag == f"{_TAG}merge":
                    if merge_key is not None:
                        if check:
                            self._problem(
                                "duplicate-key",
                                f"key '<<' appears twice in one mapping (first at line "
                                f"{_mark(merge_key)[0]})",
                                _mark(key_node),
                                "merge several mappings with one key: <<: [*first, *second]",
                            )
                        continue
                    merge_key = key_node
                    for source in reversed(self._merge_sources(value_node)):
                        if id(source) in self._merging:
                            self._problem("recursive-alias",
                                          "'<<' merges a mapping that contains it",
                                          _mark(key_node))
                            raise LoadFailed(self.problems)
                        pairs = self._pairs(source, depth + 1)
                        self._count_aliases(len(pairs), key_node)
                        merged.extend(pairs)
                    continue
                if isinstance(key_node, yaml.ScalarNode):
                    earlier = first.get(key_node.value)
                    if earlier is not None:
                        if check:
                            self._problem(
                                "duplicate-key",
                                f"key {key_node.value!r} appears twice in one mapping (first at "
                                f"line {_mark(earlier)[0]})",
                                _mark(key_node),
                                f"meshgen reads the first value (line {_mark(earlier)[0]}), other "
                                "YAML tools the last; remove one of them",
                            )
                        continue
                    first[key_node.value] = key_node
                own.append((key_node, value_node))
        finally:
            self._merging.discard(ident)
        return merged + own

    def _count_aliases(self, count: int, at: yaml.Node) -> None:
        """Merged pairs are content used again, as aliases are; they count toward the limit."""
        self._alias_nodes += count
        if self._alias_nodes > MAX_ALIAS_NODES:
            self._problem(
                "alias-bomb",
                f"aliases expand to more than {MAX_ALIAS_NODES} nodes",
                _mark(at),
                "write the repeated parts out, or reuse fewer anchors",
            )
            raise LoadFailed(self.problems)

    def _merge_sources(self, node: yaml.Node) -> list[yaml.MappingNode]:
        if isinstance(node, yaml.MappingNode):
            sources = [node]
        elif isinstance(node, yaml.SequenceNode) and all(
            isinstance(n, yaml.MappingNode) for n in node.value
        ):
            sources = list(node.value)
        else:
            self._problem("yaml-syntax", "'<<' merges only mappings", _mark(node))
            return []
        for source in sources:
            self._check_tag(source, f"{_TAG}map")
        return sources
