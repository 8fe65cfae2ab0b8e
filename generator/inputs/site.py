"""Where the project's documentation site is published, and the address of a page on it.

The site's address is MkDocs' ``site_url`` in the project's ``mkdocs.yml``; without one, the
site is only ever opened from disk or a local server, and nothing links to it from outside.
Read without MkDocs itself (``meshgen validate`` must stay quick), tolerating the tags MkDocs
configurations use (``!!python/name:...``, ``!ENV``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

RULES_PAGE = "reference/rules.md"
"""Source path of the rules reference; each rule has an anchor of its own name."""


@dataclass(frozen=True)
class SiteAddress:
    url: str
    """The site's root, ending in ``/``."""
    directory_urls: bool = True
    """MkDocs' ``use_directory_urls``: ``page/`` rather than ``page.html``."""

    def page(self, src_uri: str, anchor: str = "") -> str:
        path = src_uri.removesuffix(".md")
        if self.directory_urls:
            path = "" if path == "index" else path.removesuffix("/index") + "/"
        else:
            path += ".html"
        return self.url + path + (f"#{anchor}" if anchor else "")

    def rule(self, name: str) -> str:
        """The rules reference, at the rule ``name``."""
        return self.page(RULES_PAGE, name)


def project_site(config_file: Path = Path("mkdocs.yml"), url: str = "") -> SiteAddress | None:
    """The published site of the project configured by ``config_file``, when it names one;
    ``url`` (the ``site-url`` setting, or where the site is built) names it instead. Without
    the file, the site is ``meshgen docs``' built-in one, whose pages end in ``.html``."""
    return site_of(read_site_config(config_file), url)


def read_site_config(config_file: Path) -> dict[str, Any] | None:
    """The settings of ``config_file`` (empty when it is not YAML), or None when it cannot be
    read."""
    try:
        text = config_file.read_text("utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    return _read(text)


def site_of(config: dict[str, Any] | None, url: str = "") -> SiteAddress | None:
    """:func:`project_site` for the settings :func:`read_site_config` read."""
    if config is None:
        return SiteAddress(url.strip().rstrip("/") + "/", False) if url.strip() else None
    named = url.strip() or config.get("site_url")
    if not isinstance(named, str) or not named.strip():
        return None
    directory_urls = config.get("use_directory_urls", True)
    return SiteAddress(named.strip().rstrip("/") + "/", directory_urls is not False)


def _read(text: str) -> dict[str, Any]:
    import yaml

    class Tolerant(yaml.SafeLoader):
        """Reads any tag as plain data: only two plain settings are wanted here."""

    def untagged(loader: yaml.SafeLoader, _suffix: str, node: yaml.Node) -> object:
        if isinstance(node, yaml.ScalarNode):
            return loader.construct_scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return loader.construct_sequence(node)
        assert isinstance(node, yaml.MappingNode)
        return loader.construct_mapping(node)

    Tolerant.add_multi_constructor("", untagged)
    try:
        data = yaml.load(text, Loader=Tolerant)
    except yaml.YAMLError:
        return {}
    return data if isinstance(data, dict) else {}
