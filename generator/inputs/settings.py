"""A project's settings: ``meshgen.toml``, or the ``[tool.meshgen]`` table of ``pyproject.toml``.

Every setting is a typed field of :class:`Settings` (or of :class:`VerifySettings`, the
``[verify]`` table) with its default and what it means; a file that names an unknown setting or
gives one a value of the wrong type is refused with the file, line and column of the mistake.
Both files are optional: a project needs no settings at all.
"""

from __future__ import annotations

import difflib
import re
import sys
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..errors import Location, Problem, SettingsInvalid

RULE = "settings"
"""The rule name of every problem with a settings file."""
SETTINGS_FILE = "meshgen.toml"
PYPROJECT = "pyproject.toml"
PYPROJECT_TABLE = ("tool", "meshgen")

ISTIO_DOWNLOAD = "https://raw.githubusercontent.com/istio/istio/{version}/{path}"
"""Where a release's files are fetched from: ``{version}`` is the Istio release, ``{path}``
where the release keeps the file, ``{file}`` its flat name (``crd-all.gen.yaml``)."""
STRONGSWAN_DOWNLOAD = ("https://raw.githubusercontent.com/IBM-Cloud/iks-strongswan/"
                       "{commit}/helm/strongswan/values.yaml")
"""Where the strongSwan chart's values.yaml is fetched from: ``{version}`` is the chart version
and ``{commit}`` the commit of IBM-Cloud/iks-strongswan that holds it."""
GITOPS_DOWNLOAD = ("https://raw.githubusercontent.com/datreeio/CRDs-catalog/"
                   "{commit}/{group}/{kind}_{version}.json")
"""Where the JSON Schema of a Flux or Argo CD CRD is fetched from: ``{commit}`` is the commit of
datreeio/CRDs-catalog that holds it, ``{group}``, ``{kind}`` (in lower case) and ``{version}``
those of the object it checks (``helm.toolkit.fluxcd.io``, ``helmrelease``, ``v2``)."""


def _setting(default: Any, meaning: str) -> Any:
    return field(default=default, metadata={"meaning": meaning})


@dataclass(frozen=True)
class VerifySettings:
    """``[verify]``: where ``meshgen verify`` gets the schemas it checks against."""

    istio_url: str = _setting(
        ISTIO_DOWNLOAD,
        "URL template of an Istio release's files: {version}, {path} (where the release "
        "keeps the file) and {file} (its flat name, such as crd-all.gen.yaml) are filled in")
    strongswan_url: str = _setting(
        STRONGSWAN_DOWNLOAD,
        "URL template of the strongSwan chart's values.yaml: {version} (the chart version) "
        "and {commit} (the chart repository's commit holding it) are filled in")
    gitops_url: str = _setting(
        GITOPS_DOWNLOAD,
        "URL template of the JSON Schema of a Flux or Argo CD CRD: {commit} (the CRD "
        "catalogue's commit holding it), {group}, {kind} (in lower case) and {version} are "
        "filled in")
    timeout: float = _setting(30.0, "seconds a download may wait for the server")
    offline: bool = _setting(False, "never download; use only given files and the cache")


@dataclass(frozen=True)
class Settings:
    """The settings of one project; every path is relative to the project's folder."""

    topologies: str = _setting("topologies", "folder of topology files")
    output: str = _setting("output", "folder meshgen build writes")
    site_name: str = _setting("", "title of the site meshgen docs builds without a "
                                  "mkdocs.yml (default: the project folder's name)")
    site_dir: str = _setting("site", "folder meshgen docs builds the site into")
    site_url: str = _setting("", "where the site is published (default: site_url in "
                                 "mkdocs.yml); problems link to their rule there, and SARIF "
                                 "reports too (else to the site built here)")
    verify: VerifySettings = field(default_factory=VerifySettings,
                                   metadata={"meaning": "the [verify] table"})

    source: str = field(default="", compare=False, metadata={"internal": True})
    """The file the settings came from (for messages); empty when there is none."""


def setting_name(attribute: str) -> str:
    return attribute.replace("_", "-")


def described() -> list[tuple[str, object, str]]:
    """``(name, default, meaning)`` of every setting, ``verify.*`` included, for the docs."""
    rows: list[tuple[str, object, str]] = []
    for prefix, cls in (("", Settings), ("verify.", VerifySettings)):
        for f in fields(cls):
            if f.metadata.get("internal") or f.name == "verify":
                continue
            rows.append((prefix + setting_name(f.name), f.default, str(f.metadata["meaning"])))
    return rows


def toml_value(value: object) -> str:
    """``value`` written as TOML."""
    import json

    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)  # a TOML basic string: JSON's escapes are TOML's
    return repr(value)


# --- reading ----------------------------------------------------------------------------------


def has_pyproject_table(path: Path) -> bool:
    """Whether ``pyproject.toml`` at ``path`` has a ``[tool.meshgen]`` table; cheap enough for
    walking up folders (the file is parsed only when the table's name appears in it)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return False
    if "meshgen" not in text:
        return False
    data = _parsed(text)
    if isinstance(data, ValueError):
        return True  # broken, but claims the table: reading it reports where
    return isinstance(data.get("tool"), dict) and "meshgen" in data["tool"]


def _parsed(text: str) -> dict[str, Any] | ValueError:
    """``text`` read as TOML, or the error refusing it. The TOML reader is imported only
    when a settings file is read: most builds have none."""
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        return exc


def read_settings(path: Path, display: str | None = None) -> Settings:
    """The settings in ``path`` (``meshgen.toml`` or ``pyproject.toml``); every problem at once
    as :class:`~generator.errors.SettingsInvalid`."""
    shown = display if display is not None else str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsInvalid([Problem(
            RULE, f"cannot read settings: {getattr(exc, 'strerror', None) or exc}",
            location=Location(shown, 1, 1))]) from None
    data = _parsed(text)
    if isinstance(data, ValueError):
        line, column = _decode_error_position(data, text)
        message = re.sub(r"\s*\(at (line \d+, column \d+|end of document)\)$", "", str(data))
        raise SettingsInvalid([Problem(
            RULE, f"not valid TOML: {message}",
            hint="see https://toml.io for the syntax",
            location=Location(shown, line, column))]) from None
    prefix: tuple[str, ...] = ()
    if path.name == PYPROJECT:
        prefix = PYPROJECT_TABLE
        for part in prefix:
            data = data.get(part, {}) if isinstance(data, dict) else {}
    locator = _Locator(text, shown, prefix)
    problems: list[Problem] = []
    settings: Settings = _typed(Settings, data, (), problems, locator)
    if problems:
        raise SettingsInvalid(problems)
    return replace(settings, source=shown)


def _typed(cls: type[Any], data: Any, path: tuple[str, ...], problems: list[Problem],
           locator: _Locator) -> Any:
    known = {setting_name(f.name): f for f in fields(cls) if not f.metadata.get("internal")}
    if not isinstance(data, dict):
        problems.append(locator.problem(path, "must be a table"))
        return cls()
    values: dict[str, Any] = {}
    for key, value in data.items():
        where = (*path, key)
        f = known.get(key)
        if f is None:
            close = difflib.get_close_matches(key, known, n=1)
            problems.append(locator.problem(
                where, f"unknown setting '{'.'.join(where)}'",
                f"did you mean '{close[0]}'?" if close else
                f"known settings: {', '.join(sorted(known))}"))
            continue
        if f.name == "verify":
            values[f.name] = _typed(VerifySettings, value, where, problems, locator)
            continue
        expected = type(f.default)
        if expected is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if type(value) is not expected:
            words = {str: "a string", float: "a number", bool: "true or false"}
            problems.append(locator.problem(
                where,
                f"'{'.'.join(where)}' must be {words[expected]}, not {_toml_kind(value)}"))
            continue
        if isinstance(value, float) and value <= 0:
            problems.append(locator.problem(
                where, f"'{'.'.join(where)}' must be more than 0"))
            continue
        values[f.name] = value
    return cls(**values)


def _toml_kind(value: Any) -> str:
    kinds = {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
             list: "an array", dict: "a table"}
    return next((word for kind, word in kinds.items() if isinstance(value, kind)), "a date")


def _decode_error_position(exc: Exception, text: str) -> tuple[int, int]:
    line, column = getattr(exc, "lineno", None), getattr(exc, "colno", None)
    if line and column:
        return int(line), int(column)
    found = re.search(r"at line (\d+), column (\d+)", str(exc))
    if found:
        return int(found.group(1)), int(found.group(2))
    return max(1, text.count("\n")), 1


class _Locator:
    """Line and column of a key in TOML text: TOML parsers give values without positions, so
    the key's line is found from the table headers and ``key =`` lines (dotted keys and inline
    tables are found by their first part, at worst at the table's header)."""

    _HEADER = re.compile(r"^\s*\[\s*([^\[\]]+?)\s*\]\s*(#.*)?$")
    _KEY = re.compile(r"^(\s*)([A-Za-z0-9_-]+|\"[^\"]*\")\s*(\.|=)")

    def __init__(self, text: str, display: str, prefix: tuple[str, ...]) -> None:
        self.display = display
        self.prefix = prefix
        self.keys: dict[tuple[str, ...], tuple[int, int]] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(text.splitlines(), 1):
            header = self._HEADER.match(line)
            if header:
                table = tuple(p.strip().strip('"') for p in header.group(1).split("."))
                self.keys.setdefault(table, (number, line.index("[") + 2))
                continue
            key = self._KEY.match(line)
            if key:
                self.keys.setdefault((*table, key.group(2).strip('"')),
                                     (number, len(key.group(1)) + 1))

    def problem(self, path: tuple[str, ...], message: str, hint: str = "") -> Problem:
        probe = (*self.prefix, *path)
        while probe not in self.keys and probe:
            probe = probe[:-1]
        line, column = self.keys.get(probe, (1, 1))
        return Problem(RULE, message, hint=hint, location=Location(self.display, line, column))
