"""Code blocks as HTML, highlighted by Pygments, for pages too large to go through Markdown.

The markup is the one ``pymdownx.highlight`` writes for a fenced block with a title, so the
theme styles the block, shows the path above it and adds its copy button. One lexer per
language and one formatter serve every block; making them per block (as a fence does) costs
more than the highlighting itself on pages of hundreds of files.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# Pygments comes with the theme; its type stubs are a separate package.
from pygments import highlight  # type: ignore[import-untyped, unused-ignore]
from pygments.formatters import HtmlFormatter  # type: ignore[import-untyped, unused-ignore]
from pygments.lexers import get_lexer_by_name  # type: ignore[import-untyped, unused-ignore]
from pygments.util import ClassNotFound  # type: ignore[import-untyped, unused-ignore]

from .markup import esc

_PLAIN = "text"


@cache
def _lexer(language: str) -> Any:
    """The lexer of ``language``; None for plain text (escaping is all it needs)."""
    if language == _PLAIN:
        return None
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=True)
    except ClassNotFound:
        return None


@cache
def _formatter() -> Any:
    return HtmlFormatter(nowrap=True)


def highlighted(text: str, language: str) -> str:
    """The inner HTML of the ``<code>`` element: escaped, with token spans where known."""
    lexer = _lexer(language)
    if lexer is None:
        return esc(text if text.endswith("\n") or not text else text + "\n")
    result: str = highlight(text, lexer, _formatter())
    return result


def code_block(text: str, language: str, title: str = "") -> str:
    """A highlighted block with ``title`` (a file's path) above it, as the theme expects."""
    shown = language if _lexer(language) is not None else _PLAIN
    heading = f'<span class="filename">{esc(title)}</span>' if title else ""
    return (f'<div class="language-{esc(shown)} highlight">{heading}<pre><span></span><code>'
            f"{highlighted(text, language)}</code></pre></div>\n")
