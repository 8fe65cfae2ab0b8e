"""Defaults of a topology: one source, the model's fields.

A value a topology may leave out gets its default from the field that holds it (declared with
:func:`~.objects.written`), and nowhere else: the builder passes only what is written and the
dataclass supplies the rest. The model is the source rather than the schema because its
defaults are typed values (enums, integers, booleans) that mypy checks and every check and
target reads, and because building a model then needs no file read. The schema file still
carries each default, as it must: ``meshgen schema`` prints the file as shipped, editors read
it, and the schema reference page shows it. :func:`schema_defaults` lists what the file must
say, by field path, and a test fails when the file and the model disagree on any of them.

Defaults that depend on other values (a cluster's context and network, an app's namespace, a
service's ServiceAccount, a link's initiator) are worked out by the builder and described in
the schema's prose; they have no ``default`` keyword.
"""

from __future__ import annotations

import enum
from dataclasses import fields
from typing import Any

from .objects import WRITTEN, Cluster, Delivery, Istio, Port, Topology, Version, VpnLink

PLACES: dict[type[Any], str] = {
    Topology: "",
    Istio: "istio",
    Cluster: "clusters[]",
    VpnLink: "vpn[]",
    Port: "apps[].services[].ports[]",
    Version: "apps[].services[].versions[]",
    Delivery: "delivery",
}
"""Where each object with defaulted fields is written, in the schema reference's notation."""


def as_json(value: object) -> object:
    """A default as the schema writes it: an enum by its value, a tuple as a list."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple):
        return [as_json(v) for v in value]
    return value


def schema_defaults() -> dict[str, object]:
    """Every default of the model by field path (``vpn[].dpd.action``), as JSON values."""
    found: dict[str, object] = {}
    for cls, place in PLACES.items():
        for f in fields(cls):
            key = f.metadata.get(WRITTEN)
            if key is not None:
                found[f"{place}.{key}" if place else key] = as_json(f.default)
    return found
