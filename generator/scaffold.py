"""``meshgen init``: the files that make a folder a meshgen project.

* ``topologies/<name>.yaml``: the commented starter topology (``meshgen new``);
* ``schemas/topology.schema.json``: the schema the starter's ``$schema`` modeline names, so
  editors complete topology files offline; ``meshgen build`` keeps it current;
* ``.pre-commit-config.yaml``: meshgen's pre-commit hooks (those of ``.pre-commit-hooks.yaml``
  in meshgen's repository, :data:`HOOKS`) run with the meshgen installed here;
* ``.github/workflows/meshgen.yml``: validate, check and verify on every pull request, with
  problems as annotations;
* ``.gitignore``: meshgen's local files (the build record, the site); lines are added to an
  existing file, never replaced;
* ``meshgen.toml``: every setting, commented out, at its default.

Nothing is written when a file other than ``.gitignore`` exists, unless ``force`` is given.

May import: ``errors``, ``inputs``, ``templating``, ``yamlout``.
"""

from __future__ import annotations

import re
import textwrap
from pathlib import Path
from typing import Any

from . import __version__
from .errors import InputError, UsageError
from .inputs.project import DNS_LABEL_MAX, LOCAL_SCHEMA, is_dns_label
from .inputs.settings import SETTINGS_FILE, described, toml_value
from .yamlout import Commented, dump

GITIGNORE = ".gitignore"
WORKFLOW = Path(".github") / "workflows" / "meshgen.yml"
PRE_COMMIT = ".pre-commit-config.yaml"

HOOKS: list[dict[str, Any]] = [
    {"id": "meshgen-validate", "name": "meshgen validate", "entry": "meshgen validate",
     "pass_filenames": False, "files": r"^(topologies/|meshgen\.toml$|pyproject\.toml$)"},
    {"id": "meshgen-check", "name": "meshgen check", "entry": "meshgen check",
     "pass_filenames": False, "files": r"^(topologies/|output/|schemas/)"},
]
"""The hooks of meshgen's ``.pre-commit-hooks.yaml`` (a test holds the two together); the
project's configuration runs them with ``language: system``."""


def starter_name(folder: Path) -> str:
    """A topology name from a folder's name: lower case, anything else made '-'."""
    name = re.sub(r"[^a-z0-9-]+", "-", folder.resolve().name.lower()).strip("-")[:63].strip("-")
    return name if is_dns_label(name) else "lab"


def schema_reference(topology: Path, root: Path) -> str:
    """The modeline's path from ``topology`` to the project's local schema file."""
    import os

    return Path(os.path.relpath(root / LOCAL_SCHEMA, topology.parent)).as_posix()


def _pre_commit() -> str:
    hooks = [{**hook, "language": "system"} for hook in HOOKS]
    config = {"repos": [Commented(
        {"repo": "local", "hooks": hooks},
        "The hooks meshgen's repository offers (.pre-commit-hooks.yaml), run with the meshgen\n"
        "installed here. To take them from meshgen's repository instead, replace this entry\n"
        f"with: repo: <meshgen's repository>, rev: v{__version__}, hooks: [{{id: "
        "meshgen-validate}, {id: meshgen-check}]")]}
    return ("# pre-commit (https://pre-commit.com): pre-commit install, then each commit checks\n"
            "# the topologies and that output/ matches them.\n" + dump(config))


def _workflow() -> str:
    steps: list[Any] = [
        {"uses": "actions/checkout@v4"},
        {"uses": "actions/setup-python@v5", "with": {"python-version": "3.12"}},
        Commented({"run": f'pip install "meshgen=={__version__}"'},
                  "The meshgen this project was set up with; install it the way you did here."),
        Commented({"uses": "actions/cache@v4", "with": {
            "path": "~/.cache/meshgen/schemas",
            "key": "meshgen-${{ hashFiles('topologies/**') }}",
            "restore-keys": "meshgen-"}},
            "The Istio CRDs and chart values meshgen verify downloads, kept between runs."),
        {"name": "validate the topologies", "run": "meshgen validate --format github"},
        {"name": "output/ matches the topologies", "run": "meshgen check --format github"},
        {"name": "generated objects match their schemas",
         "run": "meshgen verify --format github"},
    ]
    workflow = {
        "name": "meshgen",
        "on": {"pull_request": None, "push": {"branches": ["main"]}},
        "permissions": {"contents": "read"},
        "jobs": {"meshgen": {"runs-on": "ubuntu-latest", "steps": steps}},
    }
    return ("# On every pull request: the topologies are validated, output/ is compared with\n"
            "# what they build, and every generated object is checked against the schemas of\n"
            "# what is installed. Problems show as annotations on the pull request.\n"
            + dump(workflow))


def _settings() -> str:
    lines = ["# meshgen settings, all optional: each is shown at its default. meshgen looks for",
             "# this file (or [tool.meshgen] in pyproject.toml) from the working folder upwards.",
             ""]
    table = ""
    for name, default, meaning in described():
        prefix, _, key = name.rpartition(".")
        if prefix and prefix != table:
            table = prefix
            lines += ["", f"# [{prefix}]"]
        lines.append(f"# {key} = {toml_value(default)}")
        lines += textwrap.wrap(meaning, 96, initial_indent="#   ", subsequent_indent="#   ")
    return "\n".join(lines) + "\n"


IGNORED = ["/output/.meshgen*", "/site/"]


def _gitignore(existing: str) -> str | None:
    """``existing`` with meshgen's lines added, or None when it has them all."""
    present = set(existing.splitlines())
    missing = [line for line in IGNORED if line not in present]
    if not missing:
        return None
    head = existing if not existing or existing.endswith("\n") else existing + "\n"
    return head + ("\n" if head else "") + "# meshgen: the record of the last build, the " \
        "site meshgen docs builds\n" + "".join(f"{line}\n" for line in missing)


def starter_topology(name: str, schema: str) -> str:
    """A commented starter topology named ``name`` (a DNS label) whose ``$schema`` modeline
    names ``schema`` (a path from the file's folder, or a URL)."""
    from .templating import render_template

    if not is_dns_label(name):
        raise UsageError(f"'{name}' is not a DNS-1123 label (lower-case letters, digits, "
                         f"'-'; at most {DNS_LABEL_MAX} characters)")
    return render_template("new-topology.yaml.j2", name=name, schema=schema)


def init_files(root: Path, name: str) -> dict[Path, str]:
    """What ``meshgen init`` writes (paths relative to ``root``), besides ``.gitignore``."""
    from .inputs.schema import schema_text

    topology = Path("topologies") / f"{name}.yaml"
    return {
        topology: starter_topology(name, schema_reference(root / topology, root)),
        LOCAL_SCHEMA: schema_text(),
        Path(PRE_COMMIT): _pre_commit(),
        WORKFLOW: _workflow(),
        Path(SETTINGS_FILE): _settings(),
    }


def init_project(directory: Path, name: str | None = None, force: bool = False
                 ) -> list[tuple[Path, str]]:
    """Make ``directory`` a project; ``(path, "wrote" | "replaced" | "added to")`` of each file
    written. Nothing is written when a file exists, unless ``force``."""
    if directory.exists() and not directory.is_dir():
        raise UsageError(f"{directory} is a file; name a folder to start a project in")
    chosen = name if name is not None else starter_name(directory)
    if not is_dns_label(chosen):
        raise UsageError(f"'{chosen}' is not a DNS-1123 label (lower-case letters, digits, "
                         "'-'); pass --name NAME")
    files = init_files(directory, chosen)
    existing = [directory / path for path in files if (directory / path).exists()]
    if existing and not force:
        listed = "\n  ".join(str(p) for p in existing)
        raise UsageError(f"{len(existing)} file{'s' if len(existing) != 1 else ''} exist:\n"
                         f"  {listed}\nnothing was written; pass --force to replace them")
    written: list[tuple[Path, str]] = []
    try:
        for path, text in files.items():
            target = directory / path
            how = "replaced" if target.exists() else "wrote"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            written.append((target, how))
        ignore = directory / GITIGNORE
        before = ignore.read_text(encoding="utf-8") if ignore.exists() else ""
        merged = _gitignore(before)
        if merged is not None:
            ignore.write_text(merged, encoding="utf-8")
            written.append((ignore, "added to" if before else "wrote"))
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot write in {directory}: {getattr(exc, 'strerror', None) or exc}"
                         ) from None
    return written
