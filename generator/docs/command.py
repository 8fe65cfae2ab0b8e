"""``meshgen docs``: build the site (strict: any warning fails) or serve it with live reload."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import InputError

EXIT_OK, EXIT_FAILED = 0, 1


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


def run_docs(serve: bool, config_file: Path, site_dir: Path, dev_addr: str,
             against: str | None = None) -> int:
    """Build the site into ``site_dir`` (or serve it on ``dev_addr``); the exit status."""
    from mkdocs.commands.build import build
    from mkdocs.commands.serve import serve as serve_site
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    if not config_file.is_file():
        raise InputError(f"{config_file}: no such file; run meshgen docs in the project folder "
                         "or name the MkDocs configuration with --config-file")
    with _mkdocs_messages():
        try:
            if serve:
                serve_site(config_file=str(config_file), livereload=True, dev_addr=dev_addr)
                return EXIT_OK
            config = load_config(config_file=str(config_file), site_dir=str(site_dir),
                                 strict=True)
            if against:
                plugin = config.plugins.get("meshgen")
                if plugin is None:
                    raise InputError(f"{config_file} does not enable the meshgen plugin; "
                                     "--against needs it")
                plugin.config["against"] = against
            build(config)
        except MkDocsException as exc:
            print(f"meshgen: docs: {exc}", file=sys.stderr)
            return EXIT_FAILED
    print(f"site written to {site_dir}/", file=sys.stderr)
    return EXIT_OK
