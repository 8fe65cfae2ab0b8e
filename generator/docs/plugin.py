"""The MkDocs plugin ``meshgen``: adds the pages made from topologies and ``output/``.

Enabled in ``mkdocs.yml`` as ``plugins: [meshgen]``; both ``meshgen docs`` and a plain
``mkdocs build`` use it, and no generated Markdown is ever written into ``docs/``.

Pages added: ``topologies/index.md`` (the list), per topology an overview and one page per
folder of its output (see :mod:`.layout`), ``reference/topology-file.md``,
``reference/cli.md`` and ``reference/rules.md``. A nav entry that names
``topologies/index.md`` becomes a section holding every topology, and the marker
``<!-- meshgen:topology-list -->`` in any page is replaced by the list of topologies. Pages
are made when MkDocs reads them, with links resolved from where each lands; their long blocks
are put in when each page is written (see :mod:`.deferred`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from importlib import resources
from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as options
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, event_priority, get_plugin_logger
from mkdocs.structure.files import File, Files, InclusionLevel
from mkdocs.structure.pages import Page

from ..api import review
from ..errors import Location, Problem
from ..inputs.site import RULES_PAGE
from .ahead import Ahead
from .changes_page import CHANGES_PAGE, changes_page
from .cli_page import cli_page
from .deferred import Block, Deferred, fill, made
from .files_pages import FRONT_MATTER, FilesPage, files_page, files_pages, write_archive
from .index_pages import topology_index_page, topology_list
from .layout import (
    INDEX,
    SECTION,
    Limits,
    Links,
    download_path,
    overview_uri,
    plain_url,
    runbook_uri,
)
from .markup import esc, md_text
from .offline_search import polyfills, write_offline_search
from .rules_page import rules_page
from .runbook_page import TITLE as RUNBOOK_TITLE
from .runbook_page import runbook_page
from .schema_page import schema_page
from .sources import TopologyDoc, collect
from .topology_page import topology_page

log = get_plugin_logger(__name__)

LIST_MARKER = "<!-- meshgen:topology-list -->"
SCHEMA_PAGE = "reference/topology-file.md"
CLI_PAGE = "reference/cli.md"
OVERVIEW_TITLE = "Overview"
STYLESHEET = "assets/meshgen.css"
"""The pages' stylesheet, added to every site the plugin is in (package data beside here)."""


@dataclass(frozen=True)
class Generated:
    """A page the plugin adds: what MkDocs reads first, and its real Markdown, made later."""

    stub: str
    make: Callable[[Links], str | Deferred]


class MeshgenConfig(base.Config):  # type: ignore[no-untyped-call]
    project = options.Type(str, default="")
    """The project folder, when the configuration is not in it (``meshgen docs``' built-in
    configuration lives in a temporary folder); the other folders are relative to it."""
    topologies = options.Type(str, default="topologies")
    """Folder of topology files, relative to mkdocs.yml."""
    output = options.Type(str, default="output")
    """Folder of generated output, relative to mkdocs.yml."""
    file_bytes = options.Type(int, default=Limits.file_bytes)
    """A generated file larger than this is shown in part, and offered whole as a download."""
    page_bytes = options.Type(int, default=Limits.page_bytes)
    """Generated files shown on one page, in all; the rest are offered as downloads."""
    step_bytes = options.Type(int, default=Limits.step_bytes)
    """Runbook commands shown on one cluster's page; later steps are listed by title."""
    against = options.Type(str, default="")
    """A git revision: adds a Changes page saying what the topologies do differently from
    that revision (``meshgen docs --against BASE`` sets it)."""


class MeshgenPlugin(BasePlugin[MeshgenConfig]):  # type: ignore[no-untyped-call]
    def __init__(self) -> None:
        self.docs: list[TopologyDoc] = []
        self.pages: dict[str, Generated] = {}
        self.files_pages: dict[str, list[FilesPage]] = {}
        self.blocks: dict[str, list[Block]] = {}
        self.files_markdown: dict[str, str] = {}
        self.archives: list[str] = []
        self.ahead = Ahead()
        self.project = Path.cwd()

    def _folder(self, setting: str) -> Path:
        return self.project / setting

    @property
    def limits(self) -> Limits:
        return Limits(self.config.file_bytes, self.config.page_bytes, self.config.step_bytes)

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if self.config.project:
            self.project = Path(self.config.project)
        elif config.config_file_path:
            self.project = Path(config.config_file_path).resolve().parent
        self.docs = collect(self._folder(self.config.topologies),
                            self._folder(self.config.output), self.project)
        self.pages = {
            INDEX: _ready(topology_index_page(self.docs, SECTION)),
            SCHEMA_PAGE: _ready(schema_page()),
            CLI_PAGE: _ready(cli_page()),
            RULES_PAGE: _ready(rules_page()),
        }
        self.files_pages = {}
        self.blocks = {}
        limits = self.limits
        for doc in self.docs:
            pages = self.files_pages[doc.slug] = files_pages(doc, limits)
            self.pages[overview_uri(doc.slug)] = Generated(
                f"# {md_text(doc.name)}\n", _overview_maker(doc, limits, pages))
            # Out of the search index, as the files are: it holds every command.
            self.pages[runbook_uri(doc.slug)] = Generated(
                f"{FRONT_MATTER}# {RUNBOOK_TITLE}\n", partial(_runbook_maker, doc, limits))
            for warning in doc.render_failures:
                log.warning(f"{doc.display}: {warning}")
            for problem in doc.output.problems:  # never read, never shown: strict fails
                log.warning(_relative(problem, self.project).format())
        if self.config.against:
            summary = review(self.config.against, self._folder(self.config.topologies),
                             diffs=True)
            self.pages[CHANGES_PAGE] = _ready(changes_page(summary))
            if config.nav is not None:
                config.nav = [*config.nav[:1], {"Changes": CHANGES_PAGE}, *config.nav[1:]]
        if config.nav is not None:
            listed = _names(config.nav, INDEX)
            config.nav = [self._expand(item) for item in config.nav]
            if not listed:  # a nav of its own without the topologies: they go at its end
                config.nav.append(self._expand(INDEX))
        if STYLESHEET not in config.extra_css:
            config.extra_css.append(STYLESHEET)
        if _searches(config):
            extra = config.extra.setdefault("polyfills", [])
            extra.extend(p for p in polyfills() if p not in extra)
        return config

    def _topology_nav(self, doc: TopologyDoc) -> Any:
        """The topology's section of the nav. Themes write nav titles into pages as they are,
        and a folder of output/ may be named anything, so the titles are escaped here."""
        pages = [p for p in self.files_pages.get(doc.slug, []) if p.in_nav]
        overview = overview_uri(doc.slug)
        return {esc(doc.name): [{OVERVIEW_TITLE: overview},
                                {RUNBOOK_TITLE: runbook_uri(doc.slug)},
                                *({esc(page.title): page.src_uri} for page in pages)]}

    def _expand(self, item: Any) -> Any:
        """The nav entry naming the topology list, turned into a section of every topology."""
        entries = [INDEX, *(self._topology_nav(doc) for doc in self.docs)]
        if item == INDEX:
            return {"Topologies": entries}
        if isinstance(item, dict) and len(item) == 1:
            ((title, value),) = item.items()
            if value == INDEX:
                return {title: entries}
            if isinstance(value, list):
                return {title: [self._expand(v) for v in value]}
        return item

    def on_files(self, files: Files, /, *, config: MkDocsConfig) -> Files | None:
        added = [(src_uri, generated.stub, True) for src_uri, generated in self.pages.items()]
        added += [(page.src_uri, page.stub, page.in_nav)
                  for pages in self.files_pages.values() for page in pages]
        for src_uri, stub, in_nav in added:
            existing = files.get_file_from_path(src_uri)
            if existing is not None:
                log.warning(f"docs/{src_uri} is generated at build time; the file in docs/ "
                            "is ignored (delete it)")
                files.remove(existing)
            inclusion = InclusionLevel.UNDEFINED if in_nav else InclusionLevel.NOT_IN_NAV
            files.append(File.generated(config, src_uri, content=stub, inclusion=inclusion))
        if files.get_file_from_path(STYLESHEET) is None:
            css = resources.files("generator.docs").joinpath("meshgen.css").read_text("utf-8")
            files.append(File.generated(config, STYLESHEET, content=css))
        self._start_files_pages(files, Path(config.site_dir))
        return files

    def _links(self, files: Files, here: str) -> Links:
        def url_of(src_uri: str) -> str:
            found = files.get_file_from_path(src_uri)
            return found.url if found is not None else plain_url(src_uri)

        return Links(here, url_of)

    def _start_files_pages(self, files: Files, site: Path) -> None:
        """Make the files pages' Markdown now, and start making their blocks and archives."""
        self.files_markdown = {}
        queued: list[tuple[str, list[Block]]] = []
        archives: list[tuple[str, list[Block]]] = []
        for doc in self.docs:
            for page in self.files_pages.get(doc.slug, []):
                file = files.get_file_from_path(page.src_uri)
                assert file is not None
                deferred = files_page(page, doc, self._links(files, file.url))
                self.files_markdown[page.src_uri] = deferred.markdown
                queued.append((page.src_uri, deferred.blocks))
                if page.left_out:
                    archives.append((page.archive, [partial(write_archive, page, site)]))
        self.archives = [name for name, _ in archives]
        self.ahead.start(queued + archives)

    def on_page_markdown(self, markdown: str, /, *, page: Page, config: MkDocsConfig,
                         files: Files) -> str | None:
        src_uri = page.file.src_uri
        if src_uri in self.files_markdown:
            return self.files_markdown[src_uri]
        generated = self.pages.get(src_uri)
        if generated is not None:
            made_page = generated.make(self._links(files, page.url))
            if isinstance(made_page, Deferred):
                self.blocks[src_uri] = made_page.blocks
                return made_page.markdown
            markdown = made_page
        if LIST_MARKER not in markdown:
            return markdown
        depth = page.file.src_uri.count("/")
        prefix = "../" * depth + f"{SECTION}/"
        return markdown.replace(LIST_MARKER, topology_list(self.docs, prefix))

    def on_post_page(self, output: str, /, *, page: Page, config: MkDocsConfig) -> str | None:
        src_uri = page.file.src_uri
        if self.ahead.has(src_uri):
            return fill(output, self.ahead.take(src_uri))
        blocks = self.blocks.pop(src_uri, None)
        return fill(output, made(blocks)) if blocks else output

    def on_build_error(self, *, error: Exception) -> None:
        self.ahead.close()

    @event_priority(-100)  # after the search plugin has written its index
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        """Finish the archives, copy each file shown in part whole into the site, and make
        search work from disk."""
        for name in self.archives:
            self.ahead.take(name)
        self.ahead.close()
        site = Path(config.site_dir)
        for slug, pages in self.files_pages.items():
            for page in pages:
                for generated_file in page.downloads():
                    target = site / download_path(slug, generated_file.path)
                    target.parent.mkdir(parents=True, exist_ok=True)
                    target.write_bytes(generated_file.data())
        if _searches(config):
            write_offline_search(site)

    def on_serve(self, server: LiveReloadServer, /, *, config: MkDocsConfig,
                 builder: Any) -> LiveReloadServer | None:
        for folder in (self.config.topologies, self.config.output):
            path = self._folder(folder)
            if path.is_dir():
                server.watch(str(path))
        return server


def _relative(problem: Problem, project: Path) -> Problem:
    """The problem located relative to the project folder, as the command line shows it."""
    if problem.location is None:
        return problem
    try:
        shown = Path(problem.location.file).relative_to(project).as_posix()
    except ValueError:
        return problem
    return problem.located(Location(shown))


def _searches(config: MkDocsConfig) -> bool:
    """Whether the site has search (MkDocs' plugin, or the theme's: ``material/search``)."""
    return any(name == "search" or name.endswith("/search") for name in config.plugins)


def _names(nav: Any, src_uri: str) -> bool:
    """Whether a nav (or part of one) names the page ``src_uri``."""
    if isinstance(nav, str):
        return nav == src_uri
    if isinstance(nav, dict):
        return any(_names(value, src_uri) for value in nav.values())
    if isinstance(nav, list):
        return any(_names(item, src_uri) for item in nav)
    return False


def _ready(markdown: str) -> Generated:
    return Generated(markdown, lambda _links: markdown)


def _runbook_maker(doc: TopologyDoc, limits: Limits, _links: Links) -> Deferred:
    return runbook_page(doc, limits)


def _overview_maker(doc: TopologyDoc, limits: Limits,
                    pages: list[FilesPage]) -> Callable[[Links], str | Deferred]:
    return lambda links: topology_page(doc, links, limits, pages)
