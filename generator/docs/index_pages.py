"""The list of topologies: a section page, and the short list on the home page."""

from __future__ import annotations

from collections.abc import Sequence

from .markup import md_table, md_text
from .sources import TopologyDoc
from .topology_page import summary_line


def _verdict(doc: TopologyDoc) -> str:
    checked = doc.checked
    if checked.errors:
        return f"invalid ({len(checked.errors)} error{'s' if len(checked.errors) != 1 else ''})"
    if checked.warnings:
        count = len(checked.warnings)
        return f"valid, {count} warning{'s' if count != 1 else ''}"
    return "valid"


def topology_list(docs: Sequence[TopologyDoc], prefix: str) -> str:
    """A Markdown list linking each topology page, ``prefix`` leading to the section."""
    if not docs:
        return "*No topologies yet: write one with `meshgen new NAME`.*\n"
    return "".join(f"- [{md_text(doc.name)}]({prefix}{doc.slug}.md) \u2014 "
                   f"{md_text(doc.summary)}\n" for doc in docs)


def topology_index_page(docs: Sequence[TopologyDoc], section: str) -> str:
    parts = ["# Topologies\n\n",
             f"One overview per file in `{section}/` (diagram, tables, traffic stages, "
             "runbook), and a page of generated files for each of its clusters.\n\n"]
    if not docs:
        return "".join(parts) + topology_list(docs, "")
    rows = []
    for doc in docs:
        t = doc.topology
        rows.append([
            f"[{md_text(doc.name)}]({doc.slug}.md)",
            md_text(doc.summary),
            md_text(summary_line(t)) if t is not None else "",
            md_text(_verdict(doc)),
            md_text(doc.output.note),
        ])
    parts.append(md_table(("Topology", "Description", "Shape", "Validation", "output/"), rows))
    return "".join(parts)
