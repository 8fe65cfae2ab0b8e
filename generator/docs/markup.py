"""Small builders for the Markdown and HTML of generated pages.

Text that comes from a topology is never trusted: it is escaped for HTML everywhere, and for
Markdown where it sits in Markdown. Tables and figures are emitted as raw HTML blocks, which
Markdown passes through untouched, so a ``|`` or ``*`` in a description cannot change them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence

# Everything Markdown or its extensions could read as syntax, written as character references.
_MARKDOWN_SPECIALS = frozenset("\\`*_{}[]()#+-.!|~^=:<>&\"'$%@")


def esc(text: object) -> str:
    """``text`` made safe inside HTML elements and attribute values."""
    return html.escape(str(text), quote=True)


def md_text(text: object) -> str:
    """``text`` made literal in Markdown: no formatting, no links, no HTML."""
    return "".join(f"&#{ord(ch)};" if ch in _MARKDOWN_SPECIALS else ch for ch in str(text))


def md_code(text: object) -> str:
    """``text`` as a Markdown code span, whatever backticks it holds."""
    shown = str(text).replace("\n", " ")
    longest = max((len(m) for m in re.findall(r"`+", shown)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if shown.startswith("`") or shown.endswith("`") else ""
    return f"{ticks}{pad}{shown}{pad}{ticks}"


class Cell:
    """An HTML fragment already escaped by its maker, placed in a table as is."""

    __slots__ = ("markup",)

    def __init__(self, markup: str) -> None:
        self.markup = markup


CellValue = str | Cell


def cell(value: CellValue) -> str:
    return value.markup if isinstance(value, Cell) else esc(value)


def code(text: object) -> Cell:
    return Cell(f"<code>{esc(text)}</code>")


def table(headers: Sequence[CellValue], rows: Iterable[Sequence[CellValue]],
          css_class: str = "", row_headers: bool = False, search: bool = True) -> str:
    """An HTML table on one block; ``row_headers`` makes each row's first cell a ``th``;
    ``search=False`` keeps a long table out of the site's search index."""
    attributes = f' class="{esc(css_class)}"' if css_class else ""
    if not search:
        attributes += " data-search-exclude"
    head = "".join(f'<th scope="col">{cell(h)}</th>' for h in headers)
    body = []
    for row in rows:
        cells = []
        for i, value in enumerate(row):
            if i == 0 and row_headers:
                cells.append(f'<th scope="row">{cell(value)}</th>')
            else:
                cells.append(f"<td>{cell(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    # Material styles only tables without a class, so the class goes on a wrapper.
    return (f'<div{attributes}>\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n'
            + "\n".join(body) + "\n</tbody>\n</table>\n</div>\n")


def md_table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> str:
    """A Markdown table of cells that are Markdown already (escape text with :func:`md_text`,
    which also escapes ``|``); for cells that hold links to other pages."""
    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines.extend("| " + " | ".join(row) + " |" for row in rows)
    return "\n".join(lines) + "\n"


def fence(text: str, language: str, title: str = "", indent: str = "") -> str:
    """A fenced code block that no line of ``text`` can close early."""
    longest = max((len(m) for m in re.findall(r"`{3,}", text)), default=2)
    ticks = "`" * max(3, longest + 1)
    options = f' title="{title.replace(chr(34), "")}"' if title else ""
    body = text if text.endswith("\n") else text + "\n"
    lines = [f"{ticks}{language}{options}", *body.splitlines(), ticks]
    return "".join(f"{indent}{line}\n" if line else "\n" for line in lines)


def admonition(kind: str, title: str, body_markdown: str) -> str:
    lines = body_markdown.rstrip("\n").splitlines()
    inner = "".join(f"    {line}\n" if line else "\n" for line in lines)
    return f'!!! {kind} "{title.replace(chr(34), "")}"\n\n{inner}\n'


def size_words(size: int) -> str:
    """``812 B``, ``4.2 KiB``, ``56.3 MiB``."""
    if size < 1024:
        return f"{size} B"
    value, unit = float(size), "B"
    for larger in ("KiB", "MiB", "GiB"):
        value, unit = value / 1024, larger
        if value < 1024:
            break
    return f"{value:.1f} {unit}" if value < 100 else f"{value:.0f} {unit}"
