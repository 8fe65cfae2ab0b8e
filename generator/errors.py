"""Errors meshgen reports to people.

Every failure a user can cause derives from :class:`MeshgenError` and carries a message fit for
a terminal; the CLI prints it and exits with :attr:`MeshgenError.exit_code`. Problems found in a
topology are collected as :class:`Problem` values and raised together in one
:class:`TopologyInvalid`, never one at a time.

May import: nothing of meshgen.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class Member:
    """A part of a field path that names one of the things an entry stands for, rather than a
    field of it: the link ``c007-c042`` of the full mesh written at ``vpn[2]``.

    A path with a member points at the entry in the file (the member is not in the file) and
    names the member when it is shown: ``vpn[2] (full mesh), link c007-c042``.
    """

    form: str
    """What the entry is, in words: ``full mesh``."""
    name: str
    """The member, in words: ``link c007-c042``."""


FieldPath = tuple[str | int | Member, ...]


def written_path(path: FieldPath) -> FieldPath:
    """``path`` without its members: the field as it is written in the file."""
    return tuple(part for part in path if not isinstance(part, Member))


def printable(text: str) -> str:
    """``text`` with every character that does not print written as its escape (``\\n``,
    ``\\x1b``, ``\\u202e``), as ``repr`` writes it: quoted in a message, a key or value can
    then neither start a line of its own nor a terminal sequence."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def dotted(path: FieldPath) -> str:
    """``("clusters", 1, "podCIDR")`` -> ``clusters[1].podCIDR``; keys escaped as by
    :func:`printable`; a member is named after its entry, and what lies below it follows a
    comma: ``vpn[2] (full mesh), link a-b, between``."""
    out: list[str] = []
    after_member = False
    for part in path:
        if isinstance(part, Member):
            out.append(f" ({part.form}), {printable(part.name)}")
            after_member = True
        elif isinstance(part, int):
            out.append(f"[{part}]")
        elif after_member:
            out.append(f", {printable(part)}")
            after_member = False
        elif out:
            out.append(f".{printable(part)}")
        else:
            out.append(printable(part))
    return "".join(out) or "(top level)"


class Severity(str, enum.Enum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True, slots=True)
class Location:
    """A point in a source file; line and column count from 1. Line 0 means the file (or
    folder) as a whole, such as an entry under ``output/`` that is not a regular file."""

    file: str
    line: int = 0
    column: int = 0

    def __str__(self) -> str:
        file = printable(self.file)
        return f"{file}:{self.line}:{self.column}" if self.line else file


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a topology, found by a named rule.

    ``path`` names the field in the document; ``on_key`` points at the mapping key rather than
    its value (an unknown field, a duplicate key). ``location`` is filled in once the problem is
    matched against the source map.
    """

    rule: str
    message: str
    path: FieldPath = ()
    hint: str = ""
    severity: Severity = Severity.ERROR
    on_key: bool = False
    location: Location | None = None

    def __post_init__(self) -> None:
        # Messages and hints quote keys and values from the topology: escaped once, here, so
        # that no way of showing a problem (text, JSON, a page) can pass a control on.
        object.__setattr__(self, "message", printable(self.message))
        object.__setattr__(self, "hint", printable(self.hint))

    def located(self, location: Location) -> Problem:
        return Problem(
            self.rule, self.message, self.path, self.hint, self.severity, self.on_key, location
        )

    def format(self, paint: Callable[..., str] | None = None) -> str:
        """``file:line:col: error[rule]: field: message`` and the hint on a line of its own;
        ``paint(text, *styles)`` colours the parts when given (see ``generator.terminal``)."""
        def plain(text: str, *_styles: str) -> str:
            return text

        p = paint or plain
        where = p(f"{self.location}:", "bold") + " " if self.location else ""
        field_ = f"{dotted(self.path)}: " if self.path else ""
        level = p(self.severity.value, "red" if self.severity is Severity.ERROR else "yellow",
                  "bold")
        text = f"{where}{level}{p(f'[{self.rule}]', 'dim')}: {field_}{self.message}"
        if self.hint:
            text += f"\n    {p('hint:', 'cyan')} {self.hint}"
        return text

    def as_dict(self) -> dict[str, object]:
        loc = self.location
        return {
            "file": printable(loc.file) if loc else None,
            "line": loc.line if loc and loc.line else None,
            "column": loc.column if loc and loc.line else None,
            "path": dotted(self.path) if self.path else "",
            "rule": self.rule,
            "severity": self.severity.value,
            "message": self.message,
            "hint": self.hint,
        }


def sort_key(problem: Problem) -> tuple[str, int, int, str, str]:
    loc = problem.location
    return (loc.file, loc.line, loc.column, problem.rule, problem.message) if loc else (
        "",
        0,
        0,
        problem.rule,
        problem.message,
    )


def once_each(problems: Iterable[Problem]) -> list[Problem]:
    """``problems`` without repeats: the same rule and message at the same place in the file is
    one mistake, however many fields it reaches (a value used again through an alias or a
    merge key is located where it was written)."""
    seen: set[tuple[str, Location | None, str, Severity]] = set()
    kept = []
    for problem in problems:
        key = (problem.rule, problem.location, problem.message, problem.severity)
        if problem.location is None or key not in seen:
            seen.add(key)
            kept.append(problem)
    return kept


class MeshgenError(Exception):
    """Root of every error meant for a user. ``str(err)`` is the whole message."""

    exit_code = 2


class UsageError(MeshgenError):
    """The command line asks for something that cannot be done (exit 2)."""


class InputError(MeshgenError):
    """A file could not be read or written (exit 2)."""


class OutputDrift(MeshgenError):
    """``output/`` differs from what a build would write (exit 1)."""

    exit_code = 1


@dataclass
class TopologyInvalid(MeshgenError):
    """One or more topologies have problems; all of them are listed."""

    problems: Sequence[Problem] = field(default_factory=tuple)
    exit_code = 1

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    def __str__(self) -> str:
        return "\n".join(p.format() for p in self.problems)



@dataclass
class ForeignEntries(MeshgenError):
    """Entries under ``output/`` that meshgen did not write and never reads (symbolic links,
    FIFOs, sockets, devices, a file where a topology's folder belongs); each is a located
    problem. Nothing was read from them, and nothing was written (exit 1)."""

    problems: Sequence[Problem] = field(default_factory=tuple)
    exit_code = 1

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(p.format() for p in self.problems)


@dataclass
class SettingsInvalid(MeshgenError):
    """A settings file (``meshgen.toml``, ``[tool.meshgen]``) has problems; all are listed
    (exit 2: the project cannot be used as it is set up)."""

    problems: Sequence[Problem] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return "\n".join(p.format() for p in self.problems)


class SourceUnavailable(MeshgenError):
    """A file meshgen needs from elsewhere (a release's CRDs, a chart's values) cannot be had:
    not given, not in the cache and not to be downloaded (exit 2)."""
