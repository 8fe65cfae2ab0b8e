"""The pages of generated files: one per cluster folder of ``output/<name>/``, one for the
files of the whole topology (``apply.sh``, ``MANIFEST.json``).

Each shows its files highlighted, with the path above and a copy button, within the
:class:`~.layout.Limits`: a file too large is shown in part, and offered whole as a plain
download copied into the site; the files past the page's share are listed, and offered
together in one zip archive. Where
the overview summarises (many VPN links, a long runbook), a cluster's page also carries that
cluster's links and runbook steps. The highlighted files are made only when the page is
written (see :mod:`.deferred`), and these pages stay out of the search index.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property, partial
from pathlib import Path, PurePosixPath

from ..artifacts import MANIFEST
from ..model import Cluster, Topology
from ..targets.runbook import SCRIPT as RUNBOOK
from ..targets.runbook import NumberedStep
from .committed import GeneratedFile, Status
from .deferred import Deferred
from .highlight import code_block
from .layout import (
    NAV_FOLDERS,
    Limits,
    Links,
    archive_path,
    download_path,
    files_uri,
    folder_uri,
    overview_uri,
    page_names,
)
from .layout import relative_md as link_to
from .markup import Cell, admonition, esc, md_code, md_text, size_words, table
from .runbook_section import steps_html, summarised
from .sources import TopologyDoc
from .vpn_section import cluster_links
from .vpn_section import compact as compact_vpn

WHOLE_TOPOLOGY = "Whole topology"
LISTED_DIFFERENCES = 50
"""At most this many differing files are named in a note; the files table marks them all."""
FRONT_MATTER = "---\nsearch:\n  exclude: true\n---\n\n"
"""File listings stay out of the search index: it would hold every generated file."""


@dataclass(frozen=True)
class FilesPage:
    slug: str
    """The topology's page name."""
    folder: str
    """The top-level folder of ``output/<name>/``; '' for the files of the whole topology."""
    src_uri: str
    title: str
    files: tuple[GeneratedFile, ...]
    limits: Limits = field(default_factory=Limits)
    in_nav: bool = True
    neighbours: tuple[tuple[str, str], ...] = ()
    """(label, src_uri) of the pages before and after this one, for links between them."""

    @property
    def stub(self) -> str:
        """What MkDocs reads before the plugin gives the page its Markdown."""
        return f"{FRONT_MATTER}# {md_text(self.title)}\n"

    @cached_property
    def shown(self) -> tuple[GeneratedFile, ...]:
        """The files shown on the page: the first ones, until they fill its share (always
        at least one); each counts for as much of it as is shown."""
        spent = 0
        for count, f in enumerate(self.files):
            spent += min(f.size, self.limits.file_bytes)
            if count and spent > self.limits.page_bytes:
                return self.files[:count]
        return self.files

    @cached_property
    def anchors(self) -> dict[str, str]:
        """The id of each shown file's block, by path."""
        return {f.path: f"file-{number}" for number, f in enumerate(self.shown, start=1)}

    @property
    def left_out(self) -> tuple[GeneratedFile, ...]:
        """The files past the page's share: listed, and archived together."""
        return self.files[len(self.shown):]

    @property
    def archive(self) -> str:
        """Where the site holds :attr:`left_out`, zipped."""
        return archive_path(self.slug, self.src_uri)

    def downloads(self) -> list[GeneratedFile]:
        """Files shown in part: copied whole into the site at :func:`~.layout.download_path`."""
        return [f for f in self.shown if f.size > self.limits.file_bytes]

    def href(self, path: str, links: Links) -> str | None:
        """Where a link to the file ``path`` of this page leads, from the page ``links`` serve:
        its block, when the page shows it."""
        anchor = self.anchors.get(path)
        return links.page(self.src_uri, anchor) if anchor is not None else None


def _in_order(files: Sequence[GeneratedFile]) -> tuple[GeneratedFile, ...]:
    """Files directly in the folder first, then each subfolder's, by path; of the whole
    topology's files, the runbook first and the MANIFEST.json hashes last."""
    return tuple(sorted(files, key=lambda f: (f.path == MANIFEST, f.path != RUNBOOK,
                                              f.path.count("/") > 1, f.path)))


def files_pages(doc: TopologyDoc, limits: Limits | None = None) -> list[FilesPage]:
    """Cluster folders in topology order, other folders by name, then the whole topology."""
    limits = limits or Limits()
    t = doc.topology
    groups = doc.output.by_group
    order = {c.name: i for i, c in enumerate(t.clusters)} if t else {}
    folders = sorted((g for g in groups if g), key=lambda g: (order.get(g, len(order)), g))
    names = page_names(folders)
    in_nav = len(folders) <= NAV_FOLDERS
    # A folder's page is titled by its page name: the folder's own name when it is safe (as
    # cluster names are), since themes write titles into the nav and <title> as they are.
    pages = [FilesPage(doc.slug, g, folder_uri(doc.slug, names[g]), names[g],
                       _in_order(groups[g]), limits, in_nav) for g in folders]
    if "" in groups:
        pages.append(FilesPage(doc.slug, "", files_uri(doc.slug), WHOLE_TOPOLOGY,
                               _in_order(groups[""]), limits))
    linked = []
    for k, page in enumerate(pages):
        before = pages[k - 1] if k else None
        after = pages[k + 1] if k + 1 < len(pages) else None
        neighbours = tuple((f"{arrow} {p.title}", p.src_uri)
                           for arrow, p in (("\u2190", before), ("\u2192", after)) if p)
        linked.append(replace(page, neighbours=neighbours))
    return linked


def _neighbours(page: FilesPage) -> str:
    if not page.neighbours:
        return ""
    return " \u00b7 ".join(f"[{md_text(label)}]({link_to(page.src_uri, uri)})"
                           for label, uri in page.neighbours) + "\n\n"


def _subfolder(f: GeneratedFile) -> str:
    parts = PurePosixPath(f.path).parts
    return parts[1] if len(parts) > 2 else ""


def _intro(page: FilesPage, doc: TopologyDoc, cluster: Cluster | None) -> str:
    overview = f"[{md_text(doc.name)}]({link_to(page.src_uri, overview_uri(doc.slug))})"
    size = sum(f.size for f in page.files)
    count = f"{len(page.files)} file{'s' if len(page.files) != 1 else ''}, {size_words(size)}"
    where = md_code(f"output/{doc.name}/{page.folder}/" if page.folder
                    else f"output/{doc.name}/")
    if doc.output.status is Status.MISSING:
        where += " (not committed: rendered in memory)"
    if cluster is not None:
        role = ("primary, runs istiod" if cluster.is_primary
                else f"remote of {cluster.primary}" if cluster.primary else "remote")
        lead = (f"Cluster {md_code(cluster.name)} of {overview} ({md_text(role)}; kubectl "
                f"context {md_code(cluster.context)}).")
    elif page.folder:
        lead = (f"The folder {md_code(page.folder)} of {overview}'s output, which names no "
                "cluster of the topology.")
    else:
        lead = f"The files of {overview} that belong to no one cluster."
    return f"{lead} {count} in {where}.\n\n"


def _differences(page: FilesPage, doc: TopologyDoc) -> dict[str, str]:
    prefix = f"{page.folder}/" if page.folder else ""
    return {d.path: d.kind for d in doc.output.differences
            if (d.path.startswith(prefix) if prefix else "/" not in d.path)}


def differences_listing(differing: Sequence[tuple[str, str]], rest: str) -> str:
    """The first (path, kind) pairs as a list inside a note, then how many more and where
    ``rest`` says they are marked."""
    named = differing[:LISTED_DIFFERENCES]
    listing = "".join(f"    - {md_text(kind)}: {md_code(path)}\n" for path, kind in named)
    if len(differing) > len(named):
        listing += f"    - and {len(differing) - len(named)} more, {rest}\n"
    return listing


def _status(differing: dict[str, str], doc: TopologyDoc) -> str:
    if not differing:
        return ""
    listing = differences_listing(list(differing.items()), "marked in the table of files")
    return admonition("warning", "Output is stale",
                      f"{len(differing)} file(s) here differ from what `meshgen build` writes "
                      f"for {md_code(doc.display)}; the committed files are shown.\n\n"
                      f'??? note "Files that differ"\n\n{listing}')


def _left_out(page: FilesPage, links: Links, output: str) -> str:
    rest = page.left_out
    if not rest:
        return ""
    archive = links.site_file(page.archive)
    return (f"The first {len(page.shown)} files are shown below. The other {len(rest)} "
            f"({size_words(sum(f.size for f in rest))}) would make the page too long to open "
            f'quickly: they are listed in the table, and all in <a href="{esc(archive)}" '
            f'download><code>{esc(posixpath.basename(page.archive))}</code></a>, a zip '
            f"archive that keeps their paths under <code>{esc(output)}</code>.\n\n")


def file_cell(page: FilesPage, path: str, links: Links) -> str:
    """``path`` linked to its block, or marked as archived when the page has no room for it."""
    href = page.href(path, links)
    if href is None:
        return f"<code>{esc(path)}</code> (in the archive)"
    return f'<a href="{esc(href)}"><code>{esc(path)}</code></a>'


def _index(page: FilesPage, links: Links, differing: dict[str, str]) -> str:
    rows: list[list[Cell | str]] = []
    for f in page.files:
        row: list[Cell | str] = [Cell(file_cell(page, f.path, links)), f.kind,
                                 size_words(f.size)]
        if differing:
            row.append(differing.get(f.path, ""))
        rows.append(row)
    headers = ["Path", "Kind", "Size", *(("Differs",) if differing else ())]
    return table(headers, rows, "meshgen-files")


def _file_block(page: FilesPage, f: GeneratedFile, anchor: str, links: Links,
                differs: str) -> str:
    data = f.data()
    note = ""
    limit = page.limits.file_bytes
    if len(data) > limit:
        cut = data.rfind(b"\n", 0, limit) + 1 or limit
        lines, shown_lines = data.count(b"\n"), data.count(b"\n", 0, cut)
        href = links.site_file(download_path(page.slug, f.path))
        note = ('<div class="admonition note meshgen-cut"><p class="admonition-title">'
                "Shown in part</p>"
                f"<p><code>{esc(f.path)}</code> is {esc(size_words(len(data)))} "
                f"({lines:,} lines), too large to show here: the first "
                f"{esc(size_words(cut))} ({shown_lines:,} lines) are below. "
                f'<a href="{esc(href)}" download>Download the whole file</a>.</p></div>\n')
        data = data[:cut]
    state = (f' \u00b7 <strong class="meshgen-differs">differs from what meshgen build writes '
             f"({esc(differs)})</strong>" if differs else "")
    text = data.decode("utf-8", errors="replace")
    return (f'<div class="meshgen-file" id="{anchor}">\n'
            f'<p class="meshgen-kind">{esc(f.kind)} \u00b7 {esc(size_words(f.size))}{state}</p>\n'
            f"{note}{code_block(text, f.language, f.path)}</div>\n")


def _files_html(page: FilesPage, files: Sequence[GeneratedFile], links: Links,
                differing: dict[str, str]) -> str:
    anchors = page.anchors
    return "".join(_file_block(page, f, anchors[f.path], links, differing.get(f.path, ""))
                   for f in files)


def _runbook(t: Topology, cluster: Cluster, steps: Sequence[NumberedStep], page: FilesPage,
             overview: str, d: Deferred) -> None:
    d.add("## Runbook steps {#runbook}\n\n"
          f"The steps of the runbook run against {md_code(cluster.name)}, numbered as in "
          f"`apply.sh` and the [overview's runbook]({overview}#runbook) "
          f"({len(steps)} step{'s' if len(steps) != 1 else ''}).\n\n")
    d.later(partial(steps_html, t, steps, page.limits.step_bytes))


def files_page(page: FilesPage, doc: TopologyDoc, links: Links) -> Deferred:
    """The page's Markdown, with the long parts left as blocks made when it is written."""
    t = doc.topology
    cluster = t.cluster(page.folder) if t is not None and page.folder else None
    d = Deferred()
    d.add(f"# {md_text(page.title)}\n\n")
    d.add(_intro(page, doc, cluster))
    d.add(_neighbours(page))
    differing = _differences(page, doc)
    d.add(_status(differing, doc))
    if t is not None and cluster is not None and compact_vpn(t) and t.links_of(cluster.name):
        def vpn_files(peer: str) -> list[str]:
            return [file_cell(page, p, links)
                    for p in doc.output.paths_under(f"{cluster.name}/vpn/{peer}/")]
        d.add("## VPN links {#vpn}\n\n")
        d.extend(cluster_links(t, cluster, vpn_files))
    steps = doc.steps_by_cluster.get(page.folder, ()) if page.folder else ()
    if t is not None and cluster is not None and summarised(doc.steps) and steps:
        _runbook(t, cluster, steps, page, link_to(page.src_uri, overview_uri(doc.slug)), d)
    d.add("## Files {#files}\n\n" + _left_out(page, links, f"output/{doc.name}/"))
    d.later(partial(_index, page, links, differing))
    sections: dict[str, list[GeneratedFile]] = {}
    for f in page.shown:
        sections.setdefault(_subfolder(f), []).append(f)
    for number, (name, files) in enumerate(sections.items(), start=1):
        if name:
            d.add(f"### {md_text(name)}/ {{#folder-{number}}}\n\n")
        d.later(partial(_files_html, page, files, links, differing))
    return d


def write_archive(page: FilesPage, site: Path) -> str:
    """Zip the files ``page`` has no room for into the site; the archive's site path.

    Entries are in page order with fixed dates and modes, so the same files make the same
    archive.
    """
    target = site / page.archive
    target.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for f in page.left_out:
            entry = zipfile.ZipInfo(f.path, date_time=(1980, 1, 1, 0, 0, 0))
            entry.external_attr = 0o644 << 16
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, f.data())
    return page.archive
