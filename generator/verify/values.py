"""Helm values against what a chart accepts.

Charts without a values schema (``istio/istiod``, ``istio/base``, the strongSwan chart) accept
the keys of their defaults: a key path not found there is a typo Helm would silently ignore.
Where a default is an empty mapping (``env: {}``, ``nodeSelector: {}``) any keys may go below
it, and as charts also write ``{}`` for "unset" (the strongSwan chart's
``ipsec.additionalOptions`` takes a block of text), any value; where a default is empty
(``null``) any value may go. A non-empty mapping, a list or a boolean default fixes the kind of
value. The ``istio/gateway`` chart ships a JSON Schema and is checked with it.
"""

from __future__ import annotations

import difflib
import textwrap
from collections.abc import Iterator, Mapping
from typing import Any

import jsonschema
from jsonschema.exceptions import ValidationError, best_match

ANY: Any = object()
"""In a defaults tree: any value is accepted here, whatever it holds."""

INTERNAL_DEFAULTS = "_internal_defaults_do_not_set"

ValuesProblem = tuple[tuple[str | int, ...], str]


def chart_defaults(values: Mapping[str, Any]) -> dict[str, Any]:
    """What a user may set in a chart whose defaults sit under ``_internal_defaults_do_not_set``
    (Istio's charts), merged with any other top-level keys."""
    merged: dict[str, Any] = {k: v for k, v in values.items() if k != INTERNAL_DEFAULTS}
    inner = values.get(INTERNAL_DEFAULTS)
    if isinstance(inner, Mapping):
        merged = merge(merged, inner)
    return merged


def merge(a: Mapping[str, Any], b: Mapping[str, Any]) -> dict[str, Any]:
    """Union of two defaults trees (keys of both; nested mappings merged)."""
    out = dict(a)
    for key, value in b.items():
        if isinstance(out.get(key), Mapping) and isinstance(value, Mapping) \
                and out[key] and value:
            out[key] = merge(out[key], value)
        elif key not in out or out[key] is None:
            out[key] = value
    return out


def _kind(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true or false"
    return type(value).__name__


def _type_problem(default: Any, value: Any) -> str | None:
    if value is None or default is None or default is ANY:
        return None
    if isinstance(default, Mapping) and not default:
        return None  # charts write {} for "unset" too, e.g. a block of text given as |-
    if isinstance(default, Mapping) and not isinstance(value, Mapping):
        return f"expected a mapping, got {_kind(value)}"
    if isinstance(default, list) and not isinstance(value, list):
        return f"expected a list, got {_kind(value)}"
    if isinstance(default, bool) and not isinstance(value, bool):
        return f"expected true or false, got {value!r}"
    if not isinstance(default, Mapping | list) and isinstance(value, Mapping | list):
        return f"expected a single value, got {_kind(value)}"
    return None


def key_path_problems(values: Any, defaults: Any,
                      at: tuple[str | int, ...] = ()) -> Iterator[ValuesProblem]:
    """Keys of ``values`` that ``defaults`` does not have, and values of the wrong kind."""
    if defaults is ANY or defaults is None or not isinstance(values, Mapping):
        return
    if not isinstance(defaults, Mapping) or not defaults:
        return  # a free-form map: any keys
    for key, value in values.items():
        if key not in defaults:
            close = difflib.get_close_matches(str(key), [str(k) for k in defaults], n=1)
            hint = f"; did you mean '{close[0]}'?" if close else ""
            yield (*at, key), f"unknown key '{key}' (not among the chart's values){hint}"
            continue
        problem = _type_problem(defaults[key], value)
        if problem:
            yield (*at, key), problem
        elif isinstance(value, Mapping):
            yield from key_path_problems(value, defaults[key], (*at, key))


def shorten(message: str, width: int = 240) -> str:
    return textwrap.shorten(message, width, placeholder=" ...")


def _describe(error: ValidationError) -> ValuesProblem:
    """The most telling part of a schema error (the closest branch of a failed oneOf)."""
    if error.context:
        deeper = best_match(error.context)
        if deeper is not None:
            error = deeper
    return tuple(error.absolute_path), shorten(error.message)


def schema_problems(validator: jsonschema.protocols.Validator,
                    values: Any) -> Iterator[ValuesProblem]:
    """Every way ``values`` fails ``validator``, as (field path, message)."""
    errors = validator.iter_errors(values)
    for error in sorted(errors, key=lambda e: [str(part) for part in e.absolute_path]):
        yield _describe(error)
