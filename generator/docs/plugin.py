"""The MkDocs plugin ``meshgen``: adds the pages made from topologies and ``output/``.

Enabled in ``mkdocs.yml`` as ``plugins: [meshgen]``; both ``meshgen docs`` and a plain
``mkdocs build`` use it, and no generated Markdown is ever written into ``docs/``.

Pages added: ``topologies/index.md`` (the list), ``topologies/<file>.md`` (one per topology
file), ``reference/topology-file.md`` and ``reference/cli.md``. A nav entry that names
``topologies/index.md`` becomes a section holding every topology page, and the marker
``<!-- meshgen:topology-list -->`` in any page is replaced by the list of topologies.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.config import base
from mkdocs.config import config_options as options
from mkdocs.config.defaults import MkDocsConfig
from mkdocs.livereload import LiveReloadServer
from mkdocs.plugins import BasePlugin, get_plugin_logger
from mkdocs.structure.files import File, Files
from mkdocs.structure.pages import Page

from .cli_page import cli_page
from .index_pages import topology_index_page, topology_list
from .schema_page import schema_page
from .sources import TopologyDoc, collect
from .topology_page import topology_page

log = get_plugin_logger(__name__)

LIST_MARKER = "<!-- meshgen:topology-list -->"
SECTION = "topologies"
INDEX = f"{SECTION}/index.md"
SCHEMA_PAGE = "reference/topology-file.md"
CLI_PAGE = "reference/cli.md"


class MeshgenConfig(base.Config):  # type: ignore[no-untyped-call]
    topologies = options.Type(str, default="topologies")
    """Folder of topology files, relative to mkdocs.yml."""
    output = options.Type(str, default="output")
    """Folder of generated output, relative to mkdocs.yml."""


class MeshgenPlugin(BasePlugin[MeshgenConfig]):  # type: ignore[no-untyped-call]
    def __init__(self) -> None:
        self.docs: list[TopologyDoc] = []
        self.pages: dict[str, str] = {}
        self.project = Path.cwd()

    def _folder(self, setting: str) -> Path:
        return self.project / setting

    def on_config(self, config: MkDocsConfig) -> MkDocsConfig | None:
        if config.config_file_path:
            self.project = Path(config.config_file_path).resolve().parent
        self.docs = collect(self._folder(self.config.topologies),
                            self._folder(self.config.output), self.project)
        self.pages = {INDEX: topology_index_page(self.docs, SECTION),
                      SCHEMA_PAGE: schema_page(), CLI_PAGE: cli_page()}
        for doc in self.docs:
            self.pages[f"{SECTION}/{doc.slug}.md"] = topology_page(doc)
            for warning in doc.render_failures:
                log.warning(f"{doc.display}: {warning}")
        if config.nav is not None:
            config.nav = [self._expand(item) for item in config.nav]
        return config

    def _expand(self, item: Any) -> Any:
        """The nav entry naming the topology list, turned into a section of every topology."""
        entries = [INDEX, *({doc.name: f"{SECTION}/{doc.slug}.md"} for doc in self.docs)]
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
        for src_uri, markdown in self.pages.items():
            existing = files.get_file_from_path(src_uri)
            if existing is not None:
                log.warning(f"docs/{src_uri} is generated at build time; the file in docs/ "
                            "is ignored (delete it)")
                files.remove(existing)
            files.append(File.generated(config, src_uri, content=markdown))
        return files

    def on_page_markdown(self, markdown: str, /, *, page: Page, config: MkDocsConfig,
                         files: Files) -> str | None:
        if LIST_MARKER not in markdown:
            return markdown
        depth = page.file.src_uri.count("/")
        prefix = "../" * depth + f"{SECTION}/"
        return markdown.replace(LIST_MARKER, topology_list(self.docs, prefix))

    def on_serve(self, server: LiveReloadServer, /, *, config: MkDocsConfig,
                 builder: Any) -> LiveReloadServer | None:
        for folder in (self.config.topologies, self.config.output):
            path = self._folder(folder)
            if path.is_dir():
                server.watch(str(path))
        return server
