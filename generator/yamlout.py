"""One deterministic YAML emitter for every generated manifest and values file.

Block style, keys in the order the data gives them, two-space indentation with indented
sequences, no line folding, and comments where a value is wrapped in :class:`Commented`.
Quoting of each scalar is decided by PyYAML (so what is written reads back as the same value);
the layout is written here so that comments can sit next to the keys they explain.

May import: nothing of meshgen.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import yaml

try:
    _Dumper: type[yaml.SafeDumper] = yaml.CSafeDumper  # type: ignore[assignment]
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    _Dumper = yaml.SafeDumper


class Commented:
    """A mapping value with a comment written on the lines above its key."""

    __slots__ = ("comment", "value")

    def __init__(self, value: Any, comment: str) -> None:
        self.value = value
        self.comment = comment

    def __repr__(self) -> str:
        return f"Commented({self.value!r}, {self.comment!r})"


def plain(value: Any) -> Any:
    """``value`` with every :class:`Commented` wrapper removed (what a YAML reader sees)."""
    if isinstance(value, Commented):
        return plain(value.value)
    if isinstance(value, Mapping):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def dump(document: Any) -> str:
    """One YAML document as text, ending in a newline."""
    lines: list[str] = []
    _node(document, 0, lines)
    return "\n".join(lines) + "\n"


def dump_all(documents: Iterable[Any]) -> str:
    """Several documents separated by ``---``."""
    return "---\n".join(dump(d) for d in documents)


@functools.lru_cache(maxsize=65536)
def _string(text: str) -> str:
    style = None
    if not text.isprintable():
        # Line breaks, tabs and control characters: a literal block where it can hold them,
        # else double quotes, the only style with escapes (a break in a key would split it).
        if "\n" in text:
            block = _literal(text)
            if block is not None:
                return block
        style = '"'
    out = yaml.dump(text, Dumper=_Dumper, default_style=style, width=1 << 30,
                    allow_unicode=True, explicit_end=False)
    return out.removesuffix("\n...\n").removesuffix("\n")


def written_as_is(texts: Iterable[str]) -> set[str]:
    """Those of ``texts`` that :func:`scalar` writes as they are (plain), told by one dump of
    them all as a list rather than a dump of each: the emitter chooses a list item's style as
    it chooses a document's, and each item stays on its one line (no folding)."""
    items = [t for t in dict.fromkeys(texts) if t and t.isprintable()]
    if not items:
        return set()
    lines = yaml.dump(items, Dumper=_Dumper, default_flow_style=False, width=1 << 30,
                      allow_unicode=True).split("\n")
    if len(lines) != len(items) + 1:  # an item over several lines: ask one at a time
        return {t for t in items if scalar(t) == t}
    return {t for t, line in zip(items, lines, strict=False) if line == f"- {t}"}


def _literal(text: str) -> str | None:
    """A ``|`` block for readable multi-line text, or None where a block can't hold it."""
    body = text.rstrip("\n")
    trailing = len(text) - len(body)
    if trailing > 1 or not body or body[0] in " \n" or not body.replace("\n", "").isprintable():
        return None
    if any(line != line.rstrip(" \t") for line in body.split("\n")):
        return None
    chomp = "" if trailing == 1 else "-"
    return f"|{chomp}\n" + body


def scalar(value: Any) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    raise TypeError(f"cannot write {type(value).__name__} as YAML")


def _indent_block(text: str, pad: str) -> list[str]:
    head, _, rest = text.partition("\n")
    return [head] + [pad + line if line else line for line in rest.split("\n")] if rest else [head]


def _comment_lines(comment: str, pad: str) -> list[str]:
    return [f"{pad}# {line}".rstrip() for line in comment.splitlines()]


def _node(value: Any, indent: int, lines: list[str]) -> None:
    """Append ``value`` (a mapping or sequence at the top of a document) at ``indent``."""
    if isinstance(value, Commented):
        lines.extend(_comment_lines(value.comment, " " * indent))
        value = value.value
    if isinstance(value, Mapping):
        if not value:
            lines.append(" " * indent + "{}")
        else:
            _mapping(value, indent, lines)
    elif isinstance(value, list | tuple):
        if not value:
            lines.append(" " * indent + "[]")
        else:
            _sequence(value, indent, lines)
    else:
        lines.extend(_indent_block(" " * indent + scalar(value), " " * (indent + 2)))


def _mapping(value: Mapping[Any, Any], indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for key, item in value.items():
        if isinstance(item, Commented):
            lines.extend(_comment_lines(item.comment, pad))
            item = item.value
        head = f"{pad}{scalar(key)}:"
        if isinstance(item, Mapping) and item:
            lines.append(head)
            _mapping(item, indent + 2, lines)
        elif isinstance(item, list | tuple) and item:
            lines.append(head)
            _sequence(item, indent + 2, lines)
        elif isinstance(item, Mapping):
            lines.append(head + " {}")
        elif isinstance(item, list | tuple):
            lines.append(head + " []")
        else:
            lines.extend(_indent_block(f"{head} {scalar(item)}", pad + "  "))


def _sequence(value: Sequence[Any], indent: int, lines: list[str]) -> None:
    pad = " " * indent
    for item in value:
        comment = None
        if isinstance(item, Commented):
            comment, item = item.comment, item.value
        if comment:
            lines.extend(_comment_lines(comment, pad))
        if isinstance(item, Mapping | list | tuple) and item:
            start = len(lines)
            _node(item, indent + 2, lines)
            # Put the dash on the first line that is not a comment of the item's first key.
            for i in range(start, len(lines)):
                if lines[i].lstrip().startswith("#"):
                    lines[i] = pad + lines[i].lstrip()
                else:
                    lines[i] = f"{pad}- {lines[i][indent + 2:]}"
                    break
        elif isinstance(item, Mapping):
            lines.append(f"{pad}- {{}}")
        elif isinstance(item, list | tuple):
            lines.append(f"{pad}- []")
        else:
            lines.extend(_indent_block(f"{pad}- {scalar(item)}", pad + "  "))
