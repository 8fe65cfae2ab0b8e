"""Structural validation of topology data against ``schemas/topology.schema.json``.

Each JSON Schema failure becomes a :class:`~generator.errors.Problem` with a stable rule name,
a field path the source map can locate and, where the schema knows one, a hint. Two keywords of
our own steer the wording: ``x-meshgen-hint`` (a hint for any failure at that field) and
``x-meshgen-wrong-type`` (rule, message and hint when the value has the wrong type, e.g. a
literal pre-shared key where a reference belongs).
"""

from __future__ import annotations

import difflib
import functools
import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FieldPath, Problem
from .project import DNS_LABEL

if TYPE_CHECKING:  # jsonschema is imported when validating: `meshgen schema` needs none of it
    import jsonschema
    from jsonschema.exceptions import ValidationError

SCHEMA_FILE = "topology.schema.json"
_PATTERN_WORDS = {
    DNS_LABEL: "must be a DNS-1123 label: lower-case letters, digits and '-', "
    "starting and ending with a letter or digit",
    "^[0-9]+[smh]?$": "must be a whole number with an optional unit s, m or h",
    "^[0-9A-Fa-f:.]+/[0-9]{1,3}$": "must be a CIDR such as 10.1.0.0/16",
    "^[A-Za-z_][A-Za-z0-9_]*$": "must be a variable name (letters, digits and '_')",
}
_VALUE_RULES = {"enum", "const", "pattern", "format", "minimum", "maximum", "minLength",
                "maxLength", "minItems", "maxItems", "uniqueItems", "minProperties",
                "maxProperties", "not", "oneOf", "anyOf"}


def schema_text() -> str:
    """The topology schema exactly as shipped.

    Installed, ``schemas/`` is the package ``generator.schemas``; in an editable install or a
    checkout it is the folder beside ``generator/``.
    """
    try:
        return resources.files("generator.schemas").joinpath(SCHEMA_FILE).read_text("utf-8")
    except (ModuleNotFoundError, FileNotFoundError):
        return (Path(__file__).resolve().parents[2] / "schemas" / SCHEMA_FILE).read_text(
            "utf-8")


@functools.cache
def topology_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_text())
    return schema


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    schema = topology_schema()
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def validate_structure(data: object) -> list[Problem]:
    """All structural problems of ``data``, at most one per field, in document order."""
    problems: list[Problem] = []
    seen: set[tuple[FieldPath, bool]] = set()
    errors = sorted(_validator().iter_errors(data), key=_error_order)
    for error in errors:
        for problem in _problems(error):
            key = (problem.path, problem.on_key)
            if key in seen:
                continue
            seen.add(key)
            problems.append(problem)
    return problems


def _error_order(error: ValidationError) -> tuple[int, ...]:
    # 'type' errors say the most, so they win over other failures at the same field.
    return (len(error.absolute_path), 0 if error.validator == "type" else 1)


def _problems(error: ValidationError) -> Iterator[Problem]:
    if error.validator in ("oneOf", "anyOf") and error.context:
        telling = _most_telling(error)
        # A failure deeper down explains more than "matches none of the alternatives".
        deeper = len(telling[0].absolute_path) > len(error.absolute_path)
        if deeper or _is_choice_of_types(error):
            hint = _hint(error.schema)
            for failure in telling if deeper else telling[:1]:
                for problem in _problems(failure):
                    yield problem if problem.hint or not hint else _with_hint(problem, hint)
            return
    path: FieldPath = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    validator = str(error.validator)
    if validator == "additionalProperties" and isinstance(error.instance, dict):
        yield from _unknown_fields(error, path, schema)
    elif validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        yield Problem("missing-field", f"required field '{missing}' is missing",
                      (*path, missing), _hint(schema))
    elif validator == "type":
        special = schema.get("x-meshgen-wrong-type")
        if isinstance(special, dict):
            yield Problem(special["rule"], special["message"], path, special.get("hint", ""))
        else:
            wanted: Any = error.validator_value
            words = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
            got = _describe(error.instance)
            yield Problem("wrong-type", f"expected {_article(words)}, got {got}", path,
                          _hint(schema))
    elif validator == "propertyNames" or _names_a_key(error):
        yield Problem("invalid-name", f"{error.instance!r} {_explain(error)}",
                      (*path, str(error.instance)), _hint(schema), on_key=True)
    elif validator in _VALUE_RULES:
        yield Problem("invalid-value", f"{_show(error.instance)} {_explain(error)}", path,
                      _hint(schema) or _suggest(error))
    else:
        yield Problem("invalid-value", error.message, path, _hint(schema))


def _most_telling(error: ValidationError) -> list[ValidationError]:
    """The failures that best explain why no alternative fits. An alternative of another kind
    (a version name where a list of rules was written) says nothing about what is wrong; among
    the others, the deepest failure points closest to the mistake, and the other failures of
    its alternative at that depth are reported with it."""
    context = list(error.context or ())
    here = len(error.absolute_path)
    same_kind = [e for e in context
                 if not (e.validator == "type" and len(e.absolute_path) == here)]
    if not same_kind:
        from jsonschema.exceptions import best_match

        first: ValidationError = best_match(context)
        return [first]
    depth = max(len(e.absolute_path) for e in same_kind)
    deepest = [e for e in same_kind if len(e.absolute_path) == depth]
    branch = deepest[0].relative_schema_path[0] if deepest[0].relative_schema_path else None
    return [e for e in deepest
            if (e.relative_schema_path[0] if e.relative_schema_path else None) == branch]


def _names_a_key(error: ValidationError) -> bool:
    """True for a failure of ``propertyNames``: jsonschema reports it as the inner keyword
    (``pattern``) at the mapping, with the offending key as the instance."""
    schema_path = list(error.relative_schema_path)
    return len(schema_path) >= 2 and schema_path[-2] == "propertyNames"


def _is_choice_of_types(error: ValidationError) -> bool:
    return all(sub.validator == "type" for sub in error.context or ())


def _with_hint(problem: Problem, hint: str) -> Problem:
    return Problem(problem.rule, problem.message, problem.path, hint, problem.severity,
                   problem.on_key)


def _hint(schema: object) -> str:
    return str(schema.get("x-meshgen-hint", "")) if isinstance(schema, dict) else ""


def _unknown_fields(error: ValidationError, path: FieldPath, schema: dict[str, Any]
                    ) -> Iterator[Problem]:
    known = sorted(schema.get("properties", {}))
    instance: Any = error.instance
    for key in instance:
        if key in known:
            continue
        close = difflib.get_close_matches(str(key), known, n=1, cutoff=0.6)
        hint = f"did you mean '{close[0]}'?" if close else (
            f"known fields here: {', '.join(known)}" if known else "")
        yield Problem("unknown-field", f"unknown field '{key}'", (*path, key), hint, on_key=True)


def _explain(error: ValidationError) -> str:
    value: Any = error.validator_value
    match error.validator:
        case "enum":
            return "is not one of " + ", ".join(repr(v) for v in value)
        case "const":
            return f"must be {value!r}"
        case "pattern":
            return _PATTERN_WORDS.get(value, f"must match {value}")
        case "format":
            return f"is not a valid {value} address" if value in ("ipv4", "ipv6") else (
                f"is not a valid {value}")
        case "anyOf" if all("format" in s for s in value):
            return "is not a valid IP address"
        case "minimum":
            return f"is less than {value}"
        case "maximum":
            return f"is more than {value}"
        case "minLength":
            return "is empty" if value == 1 else f"is shorter than {value} characters"
        case "maxLength":
            return f"is longer than {value} characters"
        case "minItems":
            return f"needs at least {value} item{'s' if value != 1 else ''}"
        case "maxItems":
            return f"has more than {value} item{'s' if value != 1 else ''}"
        case "uniqueItems":
            return "lists the same item twice"
        case "minProperties":
            return "is empty" if value == 1 else f"needs at least {value} entries"
        case "maxProperties":
            return f"has more than {value} entr{'ies' if value != 1 else 'y'}"
    return "does not fit any of the allowed forms"


def _suggest(error: ValidationError) -> str:
    allowed: Any = error.validator_value
    if error.validator == "enum" and isinstance(error.instance, str):
        close = difflib.get_close_matches(error.instance, [str(v) for v in allowed],
                                          n=1, cutoff=0.5)
        if close:
            return f"did you mean '{close[0]}'?"
    return ""


def _article(words: str) -> str:
    words = {"object": "a mapping", "array": "a list", "string": "a string",
             "integer": "an integer", "boolean": "true or false", "number": "a number"}.get(
        words, words)
    return words.replace("object", "mapping").replace("array", "list")


def _describe(value: object) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return f"{str(value).lower()} (YAML reads yes/no/on/off as true/false; quote it)"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, float):
        return f"the number {value!r}"
    if isinstance(value, int):
        return f"the integer {value}"
    return f"the string {value!r}"


def _show(value: object) -> str:
    if isinstance(value, dict | list):
        return "this " + ("mapping" if isinstance(value, dict) else "list")
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
