"""Structural validation of topology data against ``schemas/topology.schema.json``.

Each JSON Schema failure becomes a :class:`~generator.errors.Problem` with a stable rule name,
a field path the source map can locate and, where the schema knows one, a hint. Two keywords of
our own steer the wording: ``x-meshgen-hint`` (a hint for any failure at that field) and
``x-meshgen-wrong-type`` (rule, message and hint when the value has the wrong type, e.g. a
literal pre-shared key where a reference belongs). What each value of an enum means is written
once, in ``enumDescriptions`` beside the ``enum`` (the keyword editors show when completing):
a value outside the enum is answered with those meanings.

Every failure is reported, once per field. A field name that is unknown where a required field
is missing, and close to it (``podCidr`` for ``podCIDR``), is one mistake: it is reported once,
as the unknown field with the required one as its suggestion.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import FieldPath, Problem
from .characters import control_character_problems
from .project import DNS_LABEL
from .suggest import closest

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
    "^[a-z]([-a-z0-9]*[a-z0-9])?$": "must be a DNS-1035 label: lower-case letters, digits "
    "and '-', starting with a letter and ending with a letter or digit",
    "^/.*$": "must be an absolute path (starting with '/')",
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
def validator_class() -> type[jsonschema.Draft202012Validator]:
    """Draft 2020-12 as the schema file means it, where Python's defaults would differ.

    - ``pattern`` must match the whole value. jsonschema applies a pattern with ``re.search``,
      where ``$`` also matches before a final newline, so ``"west\n"`` would pass
      ``^[a-z0-9]...$``. Every pattern in the file is anchored (``^...$``, a test holds them to
      it), so editors, which search with ECMA-262 regexes where ``$`` is the end, and this
      whole-value match agree; the file keeps the plain patterns every editor reads.
    - ``integer`` is a whole number written without a fraction: JSON Schema counts ``8080.0``
      as an integer, but YAML reads it as a float, and the float would reach the output.
    """
    import jsonschema
    from jsonschema.exceptions import ValidationError

    def whole_pattern(validator: jsonschema.Draft202012Validator, pattern: str,
                      instance: object, _schema: object) -> Iterator[ValidationError]:
        if isinstance(instance, str) and _compiled(pattern).fullmatch(instance) is None:
            yield ValidationError(f"{instance!r} does not match {pattern!r}")

    base = jsonschema.Draft202012Validator
    checker = base.TYPE_CHECKER.redefine(
        "integer", lambda _checker, value: isinstance(value, int) and not isinstance(value, bool))
    extended: type[jsonschema.Draft202012Validator] = jsonschema.validators.extend(  # type: ignore[no-untyped-call]
        base, validators={"pattern": whole_pattern}, type_checker=checker)
    return extended


@functools.cache
def _compiled(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@functools.cache
def _validator() -> jsonschema.Draft202012Validator:
    import jsonschema

    return validator_class()(
        topology_schema(), format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


def validate_structure(data: object) -> list[Problem]:
    """All structural problems of ``data``, at most one per field, in document order.

    A key or value that holds a control character is reported as that alone, before anything
    the schema says about the same field."""
    problems: list[Problem] = control_character_problems(data)
    seen: set[tuple[FieldPath, bool]] = {(p.path, p.on_key) for p in problems}
    errors = sorted(_validator().iter_errors(data), key=_error_order)
    for error in errors:
        for problem in _problems(error):
            key = (problem.path, problem.on_key)
            if key in seen:
                continue
            seen.add(key)
            problems.append(problem)
    return _fold_misspelt_required(problems)


def _did_you_mean(name: str) -> str:
    return f"did you mean '{name}'?"


def _fold_misspelt_required(problems: list[Problem]) -> list[Problem]:
    """Leave out each missing required field that an unknown field beside it was suggested
    for: the typo and the gap are one mistake, and the unknown field's line is where it is."""
    missing = {p.path for p in problems if p.rule == "missing-field"}
    typo_of: dict[FieldPath, Problem] = {}
    for problem in problems:
        target = _meant(problem)
        if target in missing:
            typo_of.setdefault(target, problem)
    folded = []
    for problem in problems:
        if problem.rule == "missing-field" and problem.path in typo_of:
            continue
        target = _meant(problem)
        if target is not None and typo_of.get(target) is problem:
            problem = _with_hint(problem, f"{_did_you_mean(str(target[-1]))} It is required "
                                 "here.")
        folded.append(problem)
    return folded


def _meant(problem: Problem) -> FieldPath | None:
    """The field an unknown field was suggested to be, as a path beside it."""
    found = _SUGGESTION.fullmatch(problem.hint)
    if problem.rule != "unknown-field" or not problem.path or found is None:
        return None
    return (*problem.path[:-1], found.group(1))


_SUGGESTION = re.compile(r"did you mean '([^']*)'\?")


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
        field_schema = schema.get("properties", {}).get(missing)
        yield Problem("missing-field", f"required field '{missing}' is missing",
                      (*path, missing), _hint(field_schema) or _hint(schema))
    elif validator == "type":
        special = schema.get("x-meshgen-wrong-type")
        if isinstance(special, dict):
            yield Problem(special["rule"], special["message"], path, special.get("hint", ""))
        else:
            wanted: Any = error.validator_value
            words = " or ".join(wanted) if isinstance(wanted, list) else str(wanted)
            got = _describe(error.instance)
            hint = _hint(schema)
            if wanted == "integer" and isinstance(error.instance, float):
                hint = hint or (f"write a whole number without a decimal point: "
                                f"{int(error.instance) if error.instance.is_integer() else 1}, "
                                f"not {error.instance!r}")
            yield Problem("wrong-type", f"expected {_article(words)}, got {got}", path, hint)
    elif validator == "propertyNames" or _names_a_key(error):
        yield Problem("invalid-name", f"{error.instance!r} {_explain(error)}",
                      (*path, str(error.instance)), _hint(schema), on_key=True)
    elif validator == "enum":
        yield Problem("invalid-value", f"{_show(error.instance)} {_explain(error)}", path,
                      _enum_hint(error.instance, schema) or _hint(schema))
    elif validator in _VALUE_RULES:
        yield Problem("invalid-value", f"{_show(error.instance)} {_explain(error)}", path,
                      _hint(schema))
    else:
        yield Problem("invalid-value", error.message, path, _hint(schema))


def _most_telling(error: ValidationError) -> list[ValidationError]:
    """The failures that best explain why no alternative fits. An alternative of another kind
    (a version name where a list of rules was written) says nothing about what is wrong; among
    the others, the deepest failure points closest to the mistake, and every failure of its
    alternative below this value is reported with it (two mistakes in one list of rules are
    two problems)."""
    context = list(error.context or ())
    here = len(error.absolute_path)
    same_kind = [e for e in context
                 if not (e.validator == "type" and len(e.absolute_path) == here)]
    if not same_kind:
        from jsonschema.exceptions import best_match

        first: ValidationError = best_match(context)
        return [first]
    depth = max(len(e.absolute_path) for e in same_kind)
    deepest = next(e for e in same_kind if len(e.absolute_path) == depth)
    branch = _branch(deepest)
    return [e for e in same_kind if _branch(e) == branch and len(e.absolute_path) > here] or [
        deepest]


def _branch(error: ValidationError) -> object:
    return error.relative_schema_path[0] if error.relative_schema_path else None


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
    """Each field the schema does not know here, with the field it most likely meant among
    those allowed here and not yet written (required ones first)."""
    known = list(schema.get("properties", {}))
    instance: Any = error.instance
    required = [k for k in schema.get("required", ()) if k not in instance]
    unwritten = [*required, *(k for k in known if k not in instance and k not in required)]
    taken: set[str] = set()
    for key in instance:
        if key in known:
            continue
        meant = closest(str(key), [k for k in unwritten if k not in taken])
        written = closest(str(key), [k for k in known if k in instance])
        if meant is not None:
            taken.add(meant)
            hint = _did_you_mean(meant)
        elif written is not None:
            hint = f"{_did_you_mean(written)} It is written too."
        else:
            hint = f"known fields here: {', '.join(sorted(known))}" if known else ""
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


def enum_meanings(schema: Any) -> dict[str, str]:
    """What each value of the enum at ``schema`` means, from its ``enumDescriptions``."""
    if not isinstance(schema, dict):
        return {}
    values = schema.get("enum", ())
    meanings = schema.get("enumDescriptions", ())
    return {str(v): str(m) for v, m in zip(values, meanings, strict=False)}


def _enum_hint(value: object, schema: dict[str, Any]) -> str:
    """The value most likely meant (by spelling, or named in exactly one value's meaning, as
    GKE is in that of ``generic``), then what every value means."""
    values = [str(v) for v in schema.get("enum", ())]
    meanings = enum_meanings(schema)
    meant = None
    if isinstance(value, str) and value:
        meant = closest(value, values)
        if meant is None:
            word = re.compile(rf"\b{re.escape(value)}\b", re.IGNORECASE)
            named = [v for v, m in meanings.items() if word.search(m)]
            meant = named[0] if len(named) == 1 else None
    parts = [_did_you_mean(meant)] if meant else []
    if meanings:
        parts.append("; ".join(f"'{v}': {m}" for v, m in meanings.items()))
    return " ".join(parts)


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
