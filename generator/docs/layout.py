"""Where the generated pages live in the site, and links between them.

Per topology: ``topologies/<slug>.md`` (the overview), ``topologies/<slug>/runbook.md`` (every
step of ``apply.sh``), ``topologies/<slug>/clusters/<folder>.md``
(one per top-level folder of ``output/<name>/``, so one per cluster) and
``topologies/<slug>/files.md`` (the files of the whole topology). So the number of pages follows
the number of clusters, never the number of files. A file too large to show in full is copied
to ``topologies/<slug>/download/<path>``; the files a page has no room for go, together, into
one zip archive under ``topologies/<slug>/archives/`` (one archive, not thousands of small
files: creating files is what costs most when a site is written).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass

from mkdocs.utils import get_relative_url

SECTION = "topologies"
INDEX = f"{SECTION}/index.md"
NAV_FOLDERS = 30
"""A topology with more cluster folders than this lists only its overview and its
whole-topology page in the nav: every page carries the nav, so listing every cluster would make
the site grow with the square of the clusters. Its overview's Files table and each cluster
page's links to its neighbours lead to the rest."""


def overview_uri(slug: str) -> str:
    return f"{SECTION}/{slug}.md"


def runbook_uri(slug: str) -> str:
    return f"{SECTION}/{slug}/runbook.md"


def files_uri(slug: str) -> str:
    return f"{SECTION}/{slug}/files.md"


def folder_uri(slug: str, page_name: str) -> str:
    return f"{SECTION}/{slug}/clusters/{page_name}.md"


def download_path(slug: str, path: str) -> str:
    """Where, in the built site, the whole of the generated file ``path`` is copied."""
    return f"{SECTION}/{slug}/download/{path}"


def archive_path(slug: str, src_uri: str) -> str:
    """Where, in the built site, the files a page has no room for are archived."""
    page = src_uri.removeprefix(f"{SECTION}/{slug}/").removesuffix(".md")
    return f"{SECTION}/{slug}/archives/{page}.zip"


def page_names(folders: list[str]) -> dict[str, str]:
    """A page name for each folder of ``output/<name>/``: the folder's own name where it is
    safe in a URL (cluster names are), else a cleaned one, numbered to keep names apart."""
    names: dict[str, str] = {}
    used: set[str] = set()
    for folder in folders:
        safe = re.fullmatch(r"[a-z0-9]([a-z0-9-]*[a-z0-9])?", folder) is not None
        if safe and folder not in used:
            name = folder
        else:
            base = re.sub(r"[^a-z0-9]+", "-", folder.lower()).strip("-") or "folder"
            name, number = base, 1
            while name in used or (name != folder and name in folders):
                number += 1
                name = f"{base}-{number}"
        used.add(name)
        names[folder] = name
    return names


def plain_url(src_uri: str) -> str:
    """The URL MkDocs gives a page when ``use_directory_urls`` is off."""
    return src_uri.removesuffix(".md") + ".html"


@dataclass(frozen=True)
class Limits:
    """How much of the generated files and runbook one page shows, so that no page grows
    past what a browser opens quickly; what is left out is linked, never dropped."""

    file_bytes: int = 256 * 1024
    """A file larger than this is shown in part, and offered whole as a download."""
    page_bytes: int = 256 * 1024
    """Files shown on one page, in all (highlighted, they take some five times as much); the
    files after them are offered in one zip archive."""
    step_bytes: int = 128 * 1024
    """Runbook commands shown on one page; later steps are listed by title."""


@dataclass(frozen=True)
class Links:
    """Relative links from the page at ``here`` (a URL in the site)."""

    here: str
    url_of: Callable[[str], str] = plain_url
    """The site URL of a page, from its source path."""

    def page(self, src_uri: str, anchor: str = "") -> str:
        url = self.url_of(src_uri)
        if anchor and url == self.here:
            return f"#{anchor}"
        target = get_relative_url(url, self.here)
        return f"{target}#{anchor}" if anchor else target

    def site_file(self, path: str) -> str:
        """A file copied into the site as it is (not a page)."""
        return get_relative_url(path, self.here)

    @classmethod
    def plain(cls, src_uri: str) -> Links:
        """Links for a page outside MkDocs (``use_directory_urls`` off), as in tests."""
        return cls(plain_url(src_uri), plain_url)


def relative_md(from_uri: str, to_uri: str) -> str:
    """A Markdown link target from one page's source to another's (MkDocs resolves it)."""
    return posixpath.relpath(to_uri, posixpath.dirname(from_uri) or ".")
