"""Flux and Argo CD objects against the JSON Schemas of their controllers' CRDs.

The schemas are the ones CRD catalogues publish: one JSON Schema per group, kind and version in
one folder, named ``<group>_<kind>_<version>.json`` in lower case (kubeconform's flat layout).
None ships with meshgen; ``--gitops-schemas`` (else ``$MESHGEN_GITOPS_SCHEMAS``) names the
folder, else it is the cache folder the ones needed are downloaded into (:mod:`.sources`). Each
is read once and made strict the way :mod:`.crds` makes CRDs strict: every object
that lists its properties refuses others, and the top level takes exactly ``apiVersion``,
``kind``, a strict ``metadata``, ``spec`` (and ``status``).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry

from ..errors import InputError
from .crds import strict_schema
from .kube import OBJECT_META

Validator = jsonschema.protocols.Validator


def schema_file_name(api_version: str, kind: str) -> str:
    """``helm.toolkit.fluxcd.io/v2`` HelmRelease -> ``helm.toolkit.fluxcd.io_helmrelease_v2.json``.
    """
    group, _, version = api_version.rpartition("/")
    return f"{group}_{kind.lower()}_{version}.json"


def strict_object_schema(api_version: str, kind: str, schema: dict[str, Any]) -> dict[str, Any]:
    """A published CRD schema with the top level closed and ``metadata`` checked."""
    out = strict_schema(schema)
    properties = dict(out.get("properties") or {})
    properties.update({"apiVersion": {"const": api_version}, "kind": {"const": kind},
                       "metadata": OBJECT_META})
    out["type"] = "object"
    out["properties"] = properties
    out["required"] = sorted({"apiVersion", "kind", "metadata", *out.get("required", [])})
    out["additionalProperties"] = False
    return out


class GitOpsSchemas:
    """The strict schemas of one folder, read when a kind is first asked for (Draft 7: the
    published schemas carry no ``$schema``). A folder that is not there holds none."""

    def __init__(self, folder: Path, shown: str, registry: Registry[Any]) -> None:
        self.folder = folder
        self.shown = shown
        self.registry = registry
        """Where ``metadata``'s reference to the Kubernetes definitions resolves."""
        self._validators: dict[tuple[str, str], Validator | None] = {}

    def validator(self, api_version: str, kind: str) -> Validator | None:
        key = (api_version, kind)
        if key not in self._validators:
            self._validators[key] = self._load(api_version, kind)
        return self._validators[key]

    def _load(self, api_version: str, kind: str) -> Validator | None:
        path = self.folder / schema_file_name(api_version, kind)
        if not path.is_file():
            return None
        try:
            schema = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise InputError(f"cannot read the schema {path}: {exc}") from None
        if not isinstance(schema, dict):
            raise InputError(f"{path}: a JSON Schema is an object")
        strict = strict_object_schema(api_version, kind, schema)
        jsonschema.Draft7Validator.check_schema(strict)
        cls = jsonschema.Draft7Validator
        return cls(strict, registry=self.registry, format_checker=cls.FORMAT_CHECKER)
