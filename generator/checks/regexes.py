"""Regular expressions of string matches, as Envoy will compile them: with RE2.

Istio hands a ``regex`` match to Envoy, which compiles it with RE2; a pattern RE2 refuses
(a look-around, a back-reference, a repetition over 1000) makes Istio reject the
VirtualService when it is applied. Python's ``re`` accepts most of these, so the check
compiles each pattern with RE2 itself (the ``google-re2`` binding).
"""

from __future__ import annotations

from collections.abc import Iterator

from ..errors import FieldPath, Problem
from ..model import HttpMatch, MatchKind, StringMatch, Topology
from .registry import check


def _regexes(t: Topology) -> Iterator[tuple[str, FieldPath]]:
    """Every regex a topology writes, with where it is written."""
    for app in t.apps:
        entry = app.entry
        if entry is not None and entry.at and entry.at[-1] == "entry":
            for k, m in enumerate(entry.uris):
                if m.kind is MatchKind.REGEX:
                    yield m.value, (*entry.at, "uris", k, "regex")
    for stage in t.traffic:
        for route in stage.routes:
            for rule in route.rules:
                if rule.match is not None:
                    yield from _in_match(rule.match, (*rule.at, "match"))


def _in_match(match: HttpMatch, at: FieldPath) -> Iterator[tuple[str, FieldPath]]:
    found: list[tuple[StringMatch, FieldPath]] = [
        (m, (*at, "headers", name, "regex")) for name, m in match.headers]
    if match.uri is not None:
        found.append((match.uri, (*at, "uri", "regex")))
    for m, where in found:
        if m.kind is MatchKind.REGEX:
            yield m.value, where


def re2_error(pattern: str) -> str | None:
    """Why RE2 refuses ``pattern``, or None when it compiles."""
    import re2  # type: ignore[import-untyped]

    options = re2.Options()
    options.log_errors = False  # the reason is returned, not printed
    try:
        re2.compile(pattern, options)
    except re2.error as exc:
        reason = exc.args[0] if exc.args else exc
        return reason.decode("utf-8", "replace") if isinstance(reason, bytes) else str(reason)
    return None


@check()
def regexes_compile_in_re2(t: Topology) -> Iterator[Problem]:
    for pattern, at in _regexes(t):
        error = re2_error(pattern)
        if error is not None:
            yield Problem(
                "regex-invalid",
                f"RE2, the regex engine of Envoy, refuses {pattern!r}: {error}",
                at,
                "use RE2 syntax (github.com/google/re2/wiki/Syntax): no look-arounds "
                "((?=...), (?!...)), no back-references (\\1), repetitions up to {1000}",
            )
