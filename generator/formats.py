"""How commands report what they found, in one of four formats (text, JSON, GitHub annotations,
SARIF): one layer for ``validate``, ``check``, ``diff`` and ``verify``.

A command turns what it found into :class:`Finding` values (a rule name, a message and where)
and hands them to :func:`emit` with its own text and JSON renderings:

* ``text``: the command's own lines on stdout (coloured on a terminal), its summary on stderr;
* ``json``: the command's own JSON document;
* ``github``: one workflow command per finding, ``::error file=F,line=L,col=C,title=RULE::MSG``
  (``::warning`` for warnings), escaped as GitHub Actions requires, and the summary on stderr;
* ``sarif``: a SARIF 2.1.0 log with one run, one rule per rule name found (its meaning as help
  text and a link to its entry on the rules page) and one result per finding.

May import: ``errors``, ``rules``, ``terminal``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Protocol

from . import __version__
from .errors import Problem, Severity
from .terminal import Style

FORMATS = ("text", "json", "github", "sarif")
SARIF_VERSION = "2.1.0"
SARIF_SCHEMA = ("https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/"
                "sarif-schema-2.1.0.json")


@dataclass(frozen=True)
class Finding:
    """One thing a command found: where (``file`` as shown, line and column from 1, 0 when not
    known), the rule that found it, what it says and whether it is an error or a warning."""

    rule: str
    message: str
    file: str
    line: int = 0
    column: int = 0
    severity: Severity = Severity.ERROR

    @classmethod
    def of_problem(cls, problem: Problem) -> Finding:
        from .errors import dotted

        location = problem.location
        message = f"{dotted(problem.path)}: {problem.message}" if problem.path else \
            problem.message
        if problem.hint:
            message += f"\nhint: {problem.hint}"
        return cls(problem.rule, message, location.file if location else "",
                   location.line if location else 0, location.column if location else 0,
                   problem.severity)


# --- GitHub Actions workflow commands ---------------------------------------------------------


def escape_data(text: str) -> str:
    """A workflow command's message: ``%``, CR and LF escaped."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """A workflow command's property value: as a message, and ``:`` and ``,`` too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def github_annotation(finding: Finding) -> str:
    properties = [f"file={escape_property(finding.file)}"] if finding.file else []
    if finding.line:
        properties.append(f"line={finding.line}")
        if finding.column:
            properties.append(f"col={finding.column}")
    properties.append(f"title={escape_property(finding.rule)}")
    level = "warning" if finding.severity is Severity.WARNING else "error"
    return f"::{level} {','.join(properties)}::{escape_data(finding.message)}"


# --- SARIF ------------------------------------------------------------------------------------


class Site(Protocol):
    """Where the rules page is (``generator.inputs.site.SiteAddress``)."""

    @property
    def url(self) -> str: ...

    def rule(self, name: str) -> str: ...


def sarif_log(findings: Sequence[Finding], meanings: Mapping[str, str], site: Site
              ) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one run of meshgen with a rule for each rule name found, each
    linked to its entry on the rules page of ``site``."""
    names = sorted({f.rule for f in findings})
    index = {name: i for i, name in enumerate(names)}
    rules = [{
        "id": name,
        "name": "".join(part.capitalize() for part in name.split("-")),
        "shortDescription": {"text": meanings.get(name, name)},
        "fullDescription": {"text": meanings.get(name, name)},
        "help": {"text": f"{meanings.get(name, name)} See {site.rule(name)}"},
        "helpUri": site.rule(name),
    } for name in names]
    results = []
    for finding in findings:
        result: dict[str, Any] = {
            "ruleId": finding.rule,
            "ruleIndex": index[finding.rule],
            "level": "warning" if finding.severity is Severity.WARNING else "error",
            "message": {"text": finding.message},
        }
        if finding.file:
            physical: dict[str, Any] = {
                "artifactLocation": {"uri": Path(finding.file).as_posix()}}
            if finding.line:
                region = {"startLine": finding.line}
                if finding.column:
                    region["startColumn"] = finding.column
                physical["region"] = region
            result["locations"] = [{"physicalLocation": physical}]
        results.append(result)
    return {
        "$schema": SARIF_SCHEMA,
        "version": SARIF_VERSION,
        "runs": [{
            "tool": {"driver": {
                "name": "meshgen",
                "version": __version__,
                "informationUri": site.url,
                "rules": rules,
            }},
            "results": results,
        }],
    }


def meanings() -> dict[str, str]:
    """Every rule name meshgen reports, with its meaning."""
    from .rules import OUTPUT_RULES, RULES

    return {name: rule.meaning for name, rule in {**RULES, **OUTPUT_RULES}.items()}


# --- one way out ------------------------------------------------------------------------------


@dataclass
class Reporter:
    """Prints a command's findings in the format asked for."""

    format: str
    site: Callable[[], Site]
    """The site whose rules page the reports link to, found when a report links to it (only
    SARIF does)."""
    out: IO[str] | None = None
    err: IO[str] | None = None

    @property
    def stdout(self) -> IO[str]:
        return self.out if self.out is not None else sys.stdout

    @property
    def stderr(self) -> IO[str]:
        return self.err if self.err is not None else sys.stderr

    @property
    def style(self) -> Style:
        return Style.for_stream(self.stdout)

    @property
    def err_style(self) -> Style:
        return Style.for_stream(self.stderr)

    def emit(self, findings: Sequence[Finding], document: Callable[[], Any],
             text: Callable[[Style], Iterable[str]], summary: Iterable[str] = ()) -> None:
        """``document`` makes the JSON form, ``text`` the lines of the text form (stdout);
        ``summary`` lines go to stderr in the text and github formats."""
        if self.format == "json":
            self.stdout.write(json.dumps(document(), indent=2) + "\n")
            return
        if self.format == "sarif":
            log = sarif_log(findings, meanings(), self.site())
            self.stdout.write(json.dumps(log, indent=2) + "\n")
            return
        if self.format == "github":
            for finding in findings:
                self.stdout.write(github_annotation(finding) + "\n")
        else:
            style = self.style
            for line in text(style):
                self.stdout.write(line if line.endswith("\n") else line + "\n")
        for line in summary:
            self.stderr.write(line + "\n")
