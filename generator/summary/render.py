"""A summary printed three ways: text for a terminal, Markdown for a pull-request comment (or
the site's Changes page), JSON for scripts."""

from __future__ import annotations

import json
from collections.abc import Iterator

from ..text import one_line
from .changes import MARKS, SECTION_TITLES, Change, Section
from .files import WHOLE, FolderChanges
from .report import Status, Summary, TopologySummary

FORMATS = ("text", "markdown", "json")
LISTED_FILES = 30
"""Files listed by name in one folder of a text summary; past that, counted."""


def render(summary: Summary, form: str) -> str:
    if form == "json":
        return json.dumps(summary.as_dict(), indent=2) + "\n"
    if form == "markdown":
        return markdown(summary)
    return text(summary)


def _sections(changes: list[Change]) -> Iterator[tuple[Section, list[Change]]]:
    for section in Section:
        found = [c for c in changes if c.section is section]
        if found:
            yield section, found


def folder_title(folder: str) -> str:
    return "(topology)" if folder == WHOLE else folder


def _counts(changes: FolderChanges) -> str:
    parts = [f"{len(paths)} {word}" for word, paths in
             (("added", changes.added), ("changed", changes.changed),
              ("removed", changes.removed)) if paths]
    return ", ".join(parts)


def headline(summary: Summary) -> str:
    changed = summary.changed
    same = len(summary.topologies) - len(changed)
    parts = [f"{len(changed)} topolog{'y' if len(changed) == 1 else 'ies'} changed"]
    if same:
        parts.append(f"{same} unchanged")
    return f"Compared with {summary.base}: {', '.join(parts)}"


def _status_words(t: TopologySummary) -> str:
    return {Status.ADDED: "added", Status.REMOVED: "removed", Status.CHANGED: "changed",
            Status.UNCHANGED: "unchanged", Status.INVALID: "not compared"}[t.status]


# --- text --------------------------------------------------------------------------------------


def text(summary: Summary) -> str:
    lines = [headline(summary)]
    for t in summary.changed:
        lines += ["", f"{t.name} ({t.display}): {_status_words(t)}"]
        lines += [f"  {note}" for note in t.notes]
        for section, changes in _sections(t.changes):
            lines.append(f"  {SECTION_TITLES[section]}")
            lines += [f"    {MARKS[c.kind]} {one_line(c.sentence())}" for c in changes]
        if t.files:
            lines.append("  Files")
            for folder, in_folder in t.files.items():
                lines.append(f"    {folder_title(folder)}: {_counts(in_folder)}")
                listed = [("+", p) for p in in_folder.added]
                listed += [("~", p) for p in in_folder.changed]
                listed += [("-", p) for p in in_folder.removed]
                lines += [f"      {mark} {path}" for mark, path in listed[:LISTED_FILES]]
                if len(listed) > LISTED_FILES:
                    lines.append(f"      ... and {len(listed) - LISTED_FILES} more")
    return "\n".join(lines) + "\n"


# --- Markdown ----------------------------------------------------------------------------------


def _md(value: str) -> str:
    """Text safe inside a Markdown paragraph or list item: no markup, one line."""
    out = one_line(value)
    for char in "\\`*_[]<|":
        out = out.replace(char, "\\" + char)
    return out


def _md_code(value: str) -> str:
    ticks = "``" if "`" in value else "`"
    pad = " " if value.startswith("`") or value.endswith("`") else ""
    return f"{ticks}{pad}{one_line(value)}{pad}{ticks}"


def markdown(summary: Summary, heading: str = "###") -> str:
    parts = [f"{_md(headline(summary))}\n"]
    for t in summary.changed:
        parts.append(f"\n{heading} {_md_code(t.name)} \u2014 {_status_words(t)}\n\n")
        parts.append(f"Source: {_md_code(t.display)}\n\n")
        parts += [f"> {_md(note)}\n\n" for note in t.notes]
        for section, changes in _sections(t.changes):
            parts.append(f"**{SECTION_TITLES[section]}**\n\n")
            parts += [f"- {MARKS[c.kind]} {_md_code(c.subject)}"
                      + (f": {_md(c.text)}" if c.text else "") + "\n" for c in changes]
            parts.append("\n")
        if t.files:
            parts.append(markdown_files(t))
    return "".join(parts)


def markdown_files(t: TopologySummary) -> str:
    rows = ["| Folder | Added | Changed | Removed |", "|---|---|---|---|"]
    for folder, in_folder in t.files.items():
        cells = [", ".join(_md_code(p.partition("/")[2] or p) for p in paths) or "\u2014"
                 for paths in (in_folder.added, in_folder.changed, in_folder.removed)]
        rows.append(f"| {_md_code(folder_title(folder))} | " + " | ".join(cells) + " |")
    total = sum(len(c.added) + len(c.changed) + len(c.removed) for c in t.files.values())
    return (f"<details><summary>Files: {total} changed in {len(t.files)} "
            f"folder{'s' if len(t.files) != 1 else ''}</summary>\n\n" + "\n".join(rows)
            + "\n\n</details>\n\n")
