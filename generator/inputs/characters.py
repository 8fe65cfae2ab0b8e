"""Characters no topology string may hold, in values and keys alike.

A topology's strings become folder names, shell words and comments, YAML, strongSwan configs
and pages of the review site, and its errors are printed on terminals. A character that prints
nothing there can still act: a newline ends a comment and starts a command, ESC starts a
terminal sequence, a bidi override makes text read differently from what it holds. Refused are
the characters Unicode does not class as printing ones:

- controls (Cc): C0 including tab, newline and carriage return, DEL, C1;
- format characters (Cf): bidi embeddings, overrides and isolates (U+202A-U+202E,
  U+2066-U+2069), marks, zero-width characters, the soft hyphen, the byte order mark;
- line and paragraph separators (Zl, Zp);
- surrogates (Cs), which no UTF-8 file can hold, and private-use characters (Co);
- noncharacters (U+FDD0-U+FDEF and the last two code points of every plane).

Unassigned code points are not refused: which ones are unassigned depends on the Unicode
version of the Python that runs meshgen, and a topology must mean the same everywhere.

A tab is allowed in descriptions only: they are prose, a tab cannot end a line or start a
sequence, and every place a description is shown folds white space into one space.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterator
from typing import Any

from ..errors import FieldPath, Problem

_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Cs", "Co"})
_FREE_TEXT_KEYS = frozenset({"description"})
"""Fields whose values are prose, where a tab is allowed."""


def refused(ch: str) -> bool:
    """True for a character no topology string may hold."""
    code = ord(ch)
    if 0xFDD0 <= code <= 0xFDEF or (code & 0xFFFE) == 0xFFFE:
        return True
    return unicodedata.category(ch) in _CATEGORIES


@functools.lru_cache(maxsize=65536)
def first_refused(text: str, allow: str = "") -> str | None:
    """The first refused character of ``text`` (other than those in ``allow``), or None.
    Remembered: a string used again through an alias is looked at once."""
    if text.isprintable():  # every refused character is also one Python does not print
        return None
    return next((ch for ch in text if ch not in allow and refused(ch)), None)


def describe(ch: str) -> str:
    """``U+202E RIGHT-TO-LEFT OVERRIDE``, or ``U+001B (a control character)``."""
    name = unicodedata.name(ch, "")
    return f"U+{ord(ch):04X} {name}" if name else f"U+{ord(ch):04X} (a control character)"


def control_character_problems(data: object) -> list[Problem]:
    """One problem for each key or string value of ``data`` that holds a refused character."""
    return list(_walk(data, ()))


def _walk(node: Any, path: FieldPath) -> Iterator[Problem]:
    if isinstance(node, dict):
        for key, value in node.items():
            here = (*path, key)
            found = first_refused(key) if isinstance(key, str) else None
            if found is not None:
                yield Problem("control-character", f"key {key!r} holds {describe(found)}", here,
                              "keys are names: remove the character", on_key=True)
                continue
            yield from _walk(value, here)
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, (*path, index))
    elif isinstance(node, str):
        prose = bool(path) and path[-1] in _FREE_TEXT_KEYS
        found = first_refused(node, "\t" if prose else "")
        if found is not None:
            yield Problem("control-character", f"{_quoted(node)} holds {describe(found)}", path,
                          _hint(found, prose))


def _quoted(text: str) -> str:
    shown = repr(text)  # escapes every character that does not print
    return shown if len(shown) <= 60 else shown[:57] + "..."


def _hint(ch: str, prose: bool) -> str:
    if ch in "\n\r" and prose:
        return ("write the description on one line; a folded block ('>-') joins the lines "
                "of a long one")
    if ch in "\n\r":
        return "remove the line break; a value here is one line (a quoted string ends it)"
    return "remove the character; it prints nothing and can change how the text is read"
