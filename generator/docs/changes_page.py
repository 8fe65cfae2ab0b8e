"""The Changes page: what a change to the topologies does, against a git revision, in words
(the summary ``meshgen review`` prints) and then file by file, each diff highlighted.

Made when the site is built with ``meshgen docs --against BASE`` (or ``against: BASE`` in the
plugin's settings); the site has no such page otherwise.
"""

from __future__ import annotations

from ..summary.render import folder_title, markdown
from ..summary.report import Summary
from .highlight import code_block
from .markup import esc

CHANGES_PAGE = "changes.md"
LISTED_DIFF_BYTES = 512 * 1024
"""Diff text shown on the page, in all; past it, files are listed without their diffs."""


def changes_page(summary: Summary) -> str:
    parts = ["# Changes\n\n",
             "What this change does to each topology, in words, then each generated file that "
             "it adds, changes or removes. `meshgen review` prints the same summary; "
             "MANIFEST.json is left out (it changes whenever anything does).\n\n",
             markdown(summary, heading="##")]
    spent = 0
    for t in summary.changed:
        if not t.diffs:
            continue
        parts.append(f'\n<h3 id="files-{esc(t.name)}">Files of <code>{esc(t.name)}</code>'
                     "</h3>\n\n")
        for folder, changes in t.files.items():
            paths = [*changes.added, *changes.changed, *changes.removed]
            parts.append(f"<h4>{esc(folder_title(folder))}</h4>\n\n")
            for path in paths:
                diff = t.diffs.get(path, "")
                spent += len(diff)
                if spent > LISTED_DIFF_BYTES:
                    parts.append(f"<p><code>{esc(path)}</code>: not shown (the page holds "
                                 "enough); see <code>meshgen review</code> or the pull "
                                 "request.</p>\n")
                    continue
                parts.append(code_block(diff, "diff", path))
    if not summary.changed:
        parts.append("\nNothing changed.\n")
    return "".join(parts)
