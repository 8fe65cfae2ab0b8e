"""Strict JSON Schemas of built-in Kubernetes kinds, from the files ``kubernetes-validate`` ships.

The package's own ``validate`` reads its schema files again on every call and only warns about
an unknown kind; here the shared definitions are read once, each kind's schema when first
needed, and every validator is built once and kept. One Kubernetes version is used throughout
(:data:`KUBERNETES_VERSION`), so a report does not depend on what else is installed.
"""

from __future__ import annotations

import functools
import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import jsonschema
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ..errors import UsageError

KUBERNETES_VERSION = "1.32.0"
DEFINITIONS_ID = "https://kubernetes.io/api/_definitions.json"
Validator = jsonschema.protocols.Validator


def definition(name: str) -> dict[str, str]:
    """A ``$ref`` to one Kubernetes API definition, e.g. ``io.k8s.api.core.v1.EnvVar``."""
    return {"$ref": f"{DEFINITIONS_ID}#/$defs/{name}"}


OBJECT_META = definition("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")


def schema_folder() -> Path:
    spec = importlib.util.find_spec("kubernetes_validate")
    locations = list(spec.submodule_search_locations or []) if spec else []
    for location in locations:
        folder = (Path(location) / "kubernetes-json-schema"
                  / f"v{KUBERNETES_VERSION}-local-strict")
        if folder.is_dir():
            return folder
    raise UsageError(
        "meshgen verify needs the Kubernetes schemas of the kubernetes-validate package "
        f"(v{KUBERNETES_VERSION}-local-strict); install it: pip install 'kubernetes-validate>=1.32'"
    )


def schema_file_name(api_version: str, kind: str) -> str:
    """``apps/v1`` Deployment -> ``deployment-apps-v1.json``; ``v1`` Service -> ``service-v1.json``;
    ``rbac.authorization.k8s.io/v1`` -> ``…-rbac-v1.json`` (the package's naming)."""
    group, _, version = api_version.rpartition("/")
    prefix = f"{group.split('.')[0]}-" if group else ""
    return f"{kind.lower()}-{prefix}{version}.json"


class KubernetesSchemas:
    """Validators for built-in kinds, plus the registry CRD and IstioOperator schemas share."""

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or schema_folder()
        with open(self.folder / "_definitions.json", encoding="utf-8") as handle:
            definitions = json.load(handle)
        resource = Resource.from_contents(definitions, default_specification=DRAFT202012)
        self.registry: Registry[Any] = Registry().with_resource(DEFINITIONS_ID, resource).crawl()
        self._validators: dict[tuple[str, str], Validator | None] = {}

    def validator(self, api_version: str, kind: str) -> Validator | None:
        """The strict validator of a built-in kind, or None when Kubernetes has no such kind."""
        key = (api_version, kind)
        if key not in self._validators:
            self._validators[key] = self._load(api_version, kind)
        return self._validators[key]

    def _load(self, api_version: str, kind: str) -> Validator | None:
        path = self.folder / schema_file_name(api_version, kind)
        if "/" in kind or not path.is_file():
            return None
        with open(path, encoding="utf-8") as handle:
            schema = json.load(handle)
        # The file is named by the group's first label only; make sure the group matches.
        allowed = schema.get("properties", {}).get("apiVersion", {}).get("enum", [])
        if api_version not in allowed:
            return None
        return self.compile(schema)

    def compile(self, schema: Mapping[str, Any]) -> Validator:
        """A validator for ``schema`` that can refer to the Kubernetes definitions."""
        cls = jsonschema.Draft202012Validator
        return cls(schema, registry=self.registry, format_checker=cls.FORMAT_CHECKER)


@functools.cache
def kubernetes_schemas() -> KubernetesSchemas:
    """The one set of Kubernetes validators of this process."""
    return KubernetesSchemas()
