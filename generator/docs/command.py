"""``meshgen docs``: build the site (strict: any warning fails) or serve it with live reload.

With the project's own ``mkdocs.yml`` (or the file ``--config-file`` names), MkDocs reads it as
it is, with the ``meshgen`` plugin added when it does not list it, so its pages gain the
topology pages. Without one, a built-in configuration (:data:`BUILTIN`, the same theme,
extensions and checks as meshgen's own site) makes a site of the topologies alone: its name is
the ``site-name`` setting or the project folder's, its home page lists the topologies and the
reference pages follow. Nothing is written into the project but the site.
"""

from __future__ import annotations

import logging
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from ..api import no_cycle_collection
from ..errors import InputError
from ..inputs.project import Project, display

EXIT_OK, EXIT_FAILED = 0, 1
CONFIG_NAMES = ("mkdocs.yml", "mkdocs.yaml")
BUILTIN = "builtin-mkdocs.yml"
"""The built-in configuration (package data beside this module), less what each project
fills in: its name, folders, nav and home page."""

HOME = """\
# {title}

The topologies of this project: for each, a diagram of its clusters, VPN links and mesh, its
apps and traffic stages, the runbook and every file `meshgen build` writes for it.

<!-- meshgen:topology-list -->

Reference: [the topology file](reference/topology-file.md),
[the command line](reference/cli.md) and [the rules](reference/rules.md) of `meshgen validate`.
"""


@contextmanager
def _mkdocs_messages() -> Iterator[None]:
    """Show MkDocs' own messages (warnings above all) on stderr while it runs."""
    logger = logging.getLogger("mkdocs")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(levelname)-7s -  %(message)s"))
    previous = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous)


def builtin_config(project: Project, docs_dir: Path, site_dir: Path) -> dict[str, Any]:
    """The built-in configuration for ``project``, its pages from ``docs_dir``."""
    text = resources.files("generator.docs").joinpath(BUILTIN).read_text("utf-8")
    config: dict[str, Any] = yaml.safe_load(text)
    settings = project.settings
    config["site_name"] = settings.site_name or project.root.name or "meshgen"
    if settings.site_url:
        config["site_url"] = settings.site_url
    config["docs_dir"] = str(docs_dir)
    config["site_dir"] = str(site_dir)
    config["plugins"] = [*config["plugins"], {"meshgen": _plugin_options(project)}]
    return config


def _plugin_options(project: Project) -> dict[str, str]:
    return {"project": str(project.root), "topologies": str(project.topologies),
            "output": str(project.output)}


@contextmanager
def _builtin(project: Project, site_dir: Path) -> Iterator[Path]:
    """A temporary folder holding the built-in configuration and its home page."""
    with tempfile.TemporaryDirectory(prefix="meshgen-docs-") as folder:
        docs = Path(folder) / "docs"
        docs.mkdir()
        config = builtin_config(project, docs, site_dir)
        (docs / "index.md").write_text(HOME.format(title=config["site_name"]), "utf-8")
        path = Path(folder) / "mkdocs.yml"
        path.write_text(yaml.safe_dump(config, sort_keys=False), "utf-8")
        yield path


def _plugins_with_meshgen(config_file: Path, project: Project) -> list[Any] | None:
    """The project configuration's plugins with ``meshgen`` added, or None when it lists
    the plugin already (it is then used as configured)."""
    from mkdocs.utils.yaml import yaml_load

    with config_file.open("rb") as handle:
        raw = yaml_load(handle) or {}
    plugins = raw.get("plugins", ["search"]) if isinstance(raw, dict) else ["search"]
    listed = plugins if isinstance(plugins, list) else [{k: v} for k, v in plugins.items()]
    names = {next(iter(p)) if isinstance(p, dict) else p for p in listed}
    if "meshgen" in names:
        return None
    return [*listed, {"meshgen": _plugin_options(project)}]


def run_docs(project: Project, serve: bool, config_file: Path | None, site_dir: Path | None,
             dev_addr: str, against: str | None = None) -> int:
    """Build the site into ``site_dir`` (default: the project's ``site-dir``), or serve it on
    ``dev_addr``; with ``against`` (a git revision), with a Changes page. The exit status."""
    site = site_dir if site_dir is not None else project.root / project.settings.site_dir
    if config_file is not None and not config_file.is_file():
        raise InputError(f"{config_file}: no such file (--config-file names the MkDocs "
                         "configuration; without it, the project's mkdocs.yml or the built-in "
                         "configuration is used)")
    if config_file is None:
        config_file = next((project.root / name for name in CONFIG_NAMES
                            if (project.root / name).is_file()), None)
    if config_file is None:
        with _builtin(project, site.resolve()) as builtin:
            return _run(builtin, {}, serve, site, dev_addr, against)
    try:
        plugins = _plugins_with_meshgen(config_file, project)
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read {display(config_file)}: {exc}") from None
    return _run(config_file, {"plugins": plugins} if plugins else {}, serve, site, dev_addr,
                against)


def _run(config_file: Path, overrides: dict[str, Any], serve: bool, site: Path,
         dev_addr: str, against: str | None) -> int:
    from mkdocs.commands.build import build
    from mkdocs.commands.serve import serve as serve_site
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    with _mkdocs_messages():
        try:
            if serve:
                serve_site(config_file=str(config_file), livereload=True, dev_addr=dev_addr,
                           **overrides)
                return EXIT_OK
            config = load_config(config_file=str(config_file), site_dir=str(site),
                                 strict=True, **overrides)
            if against:
                plugin = config.plugins.get("meshgen")
                if plugin is None:
                    raise InputError(f"{display(config_file)} does not enable the meshgen "
                                     "plugin; --against needs it")
                plugin.config["against"] = against
            with no_cycle_collection():
                build(config)
        except MkDocsException as exc:
            print(f"meshgen: docs: {exc}", file=sys.stderr)
            return EXIT_FAILED
    print(f"site written to {display(site)}/", file=sys.stderr)
    return EXIT_OK
