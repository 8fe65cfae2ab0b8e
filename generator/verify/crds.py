"""Strict JSON Schemas from CustomResourceDefinitions, the way kubeconform's openapi2jsonschema
makes them.

Each served version's ``openAPIV3Schema`` becomes a JSON Schema in which every object that lists
its properties refuses others (``additionalProperties: false``), ``x-kubernetes-int-or-string``
means integer or string, ``nullable`` adds ``null``, and the remaining ``x-kubernetes-*``
extensions (CEL rules in ``x-kubernetes-validations`` among them) are dropped: they are not JSON
Schema. ``x-kubernetes-preserve-unknown-fields`` keeps an object open. The top level also gets
``apiVersion``, ``kind`` and a strict ``metadata``, which CRDs leave to the API server.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from ..errors import InputError
from ..inputs.loader import FastLoader
from .kube import OBJECT_META

_SCHEMA_MAPS = ("properties", "patternProperties", "definitions", "$defs")
_SCHEMA_VALUES = ("items", "additionalProperties", "not", "additionalItems")
_SCHEMA_LISTS = ("allOf", "anyOf", "oneOf")


def strict_schema(node: Mapping[str, Any], branch: bool = False) -> dict[str, Any]:
    """``node`` (an OpenAPI v3 structural schema) as a strict JSON Schema.

    ``branch`` is set for the members of allOf/anyOf/oneOf: they constrain an object described
    elsewhere, so they are not closed themselves.
    """
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key.startswith("x-kubernetes-") or key == "nullable":
            continue
        if key in _SCHEMA_MAPS and isinstance(value, Mapping):
            out[key] = {name: strict_schema(sub) for name, sub in value.items()}
        elif key in _SCHEMA_VALUES and isinstance(value, Mapping):
            out[key] = strict_schema(value)
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            out[key] = [strict_schema(sub, branch=True) for sub in value]
        else:
            out[key] = value
    if node.get("x-kubernetes-int-or-string"):
        out.pop("anyOf", None)
        out.pop("oneOf", None)
        out["type"] = ["integer", "string"]
    if node.get("nullable") and "type" in out:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"]
    open_ended = node.get("x-kubernetes-preserve-unknown-fields") is True
    if "properties" in node and "additionalProperties" not in node and not open_ended \
            and not branch:
        out["additionalProperties"] = False
    return out


@dataclass(frozen=True)
class CrdVersion:
    group: str
    version: str
    kind: str
    schema: dict[str, Any]

    @property
    def api_version(self) -> str:
        return f"{self.group}/{self.version}"


def object_schema(group: str, version: str, kind: str,
                  openapi: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON Schema of a whole object of one CRD version."""
    schema = strict_schema(openapi)
    schema["type"] = "object"
    schema["properties"] = {
        "apiVersion": {"const": f"{group}/{version}"},
        "kind": {"const": kind},
        "metadata": OBJECT_META,
        **schema.get("properties", {}),
    }
    schema["required"] = sorted({"apiVersion", "kind", "metadata", *schema.get("required", [])})
    schema["additionalProperties"] = False
    return schema


def crd_versions(document: Mapping[str, Any]) -> Iterator[CrdVersion]:
    spec = document.get("spec") or {}
    group = spec.get("group")
    kind = (spec.get("names") or {}).get("kind")
    if not isinstance(group, str) or not isinstance(kind, str):
        return
    for entry in spec.get("versions") or []:
        if not isinstance(entry, Mapping) or entry.get("served") is False:
            continue
        openapi = ((entry.get("schema") or {}).get("openAPIV3Schema"))
        if isinstance(openapi, Mapping):
            name = str(entry.get("name"))
            yield CrdVersion(group, name, kind, object_schema(group, name, kind, openapi))


def read_crds(paths: Iterable[Path]) -> dict[tuple[str, str], CrdVersion]:
    """Every served CRD version in ``paths``, by (apiVersion, kind)."""
    found: dict[tuple[str, str], CrdVersion] = {}
    for path in paths:
        for version in _file_crds(path.resolve(), *_stamp(path)):
            found.setdefault((version.api_version, version.kind), version)
    return found


def _stamp(path: Path) -> tuple[int, int]:
    try:
        stat = path.stat()
    except OSError as exc:
        raise InputError(f"cannot read CRDs from {path}: {exc.strerror or exc}") from None
    return stat.st_mtime_ns, stat.st_size


@functools.lru_cache(maxsize=16)
def _file_crds(path: Path, _mtime: int, _size: int) -> tuple[CrdVersion, ...]:
    try:
        with open(path, encoding="utf-8") as handle:
            documents = list(yaml.load_all(handle, Loader=FastLoader))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise InputError(f"cannot read CRDs from {path}: {exc}") from None
    return tuple(
        version
        for document in documents
        if isinstance(document, Mapping) and document.get("kind") == "CustomResourceDefinition"
        for version in crd_versions(document)
    )
