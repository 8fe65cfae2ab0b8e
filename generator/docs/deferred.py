"""Markdown with holes for HTML made after MkDocs has turned the Markdown into a page.

Highlighted files and long tables are large; passing them through Markdown costs far more than
making them, and keeping every page's HTML in memory until the build writes it costs a lot too.
So a page's Markdown holds a placeholder comment where such a block goes, and the block is made
and put in only when the page is written (:func:`fill`). Headings stay in the Markdown, so the
table of contents still lists them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

Block = Callable[[], str]
Part = str | Block
"""Markdown, or a block of HTML made when the page is written."""
_PLACEHOLDER = re.compile(r"<!-- meshgen:block (\d+) -->")


@dataclass
class Deferred:
    """A page's Markdown so far, and the blocks its placeholders stand for."""

    parts: list[str] = field(default_factory=list)
    blocks: list[Block] = field(default_factory=list)

    def add(self, markdown: str) -> None:
        self.parts.append(markdown)

    def later(self, block: Block) -> None:
        """Put ``block()``'s HTML here once the page is written."""
        self.parts.append(f"<!-- meshgen:block {len(self.blocks)} -->\n\n")
        self.blocks.append(block)

    def extend(self, parts: list[Part]) -> None:
        for part in parts:
            if isinstance(part, str):
                self.add(part)
            else:
                self.later(part)

    @property
    def markdown(self) -> str:
        return "".join(self.parts)


def made(blocks: Sequence[Block]) -> list[str]:
    return [block() for block in blocks]


def fill(page_html: str, html_blocks: Sequence[str]) -> str:
    """``page_html`` with each placeholder replaced by its block's HTML.

    Text from a topology or a generated file is escaped wherever it lands, so ``<!--`` in the
    page can only come from a placeholder; blocks are not searched for placeholders.
    """
    return _PLACEHOLDER.sub(lambda m: html_blocks[int(m.group(1))], page_html)


def fill_now(deferred: Deferred) -> str:
    """The page as Markdown with every block already in place (for use outside MkDocs)."""
    return fill(deferred.markdown, made(deferred.blocks))
