"""The model: the typed, immutable topology every check, target and page reads.

Owns the objects (:mod:`.objects`), the one source of a topology's defaults (:mod:`.defaults`)
and the builder that makes the model from schema-checked data, leaving out the parts that
failed the schema (:mod:`.build`). Checks, targets, docs and the API
import it.

May import: ``errors``, ``enums``.
"""

from .build import build_model
from .defaults import schema_defaults
from .objects import (
    DEFAULT_ESP,
    DEFAULT_IKE,
    FLAT_NETWORK,
    App,
    Cluster,
    Controller,
    ControlPlanePath,
    Delivery,
    Destination,
    Entry,
    HttpMatch,
    HttpRule,
    Istio,
    LeftOut,
    MatchKind,
    MeshModel,
    Mtls,
    NetworkMode,
    Placement,
    Port,
    Role,
    RouteForm,
    SecretKind,
    SecretRef,
    Service,
    ServiceRoute,
    Stage,
    StringMatch,
    Topology,
    Version,
    VpnLink,
    Workload,
    seconds,
)

__all__ = [
    "DEFAULT_ESP",
    "DEFAULT_IKE",
    "FLAT_NETWORK",
    "App",
    "Cluster",
    "ControlPlanePath",
    "Controller",
    "Delivery",
    "Destination",
    "Entry",
    "HttpMatch",
    "HttpRule",
    "Istio",
    "LeftOut",
    "MatchKind",
    "MeshModel",
    "Mtls",
    "NetworkMode",
    "Placement",
    "Port",
    "Role",
    "RouteForm",
    "SecretKind",
    "SecretRef",
    "Service",
    "ServiceRoute",
    "Stage",
    "StringMatch",
    "Topology",
    "Version",
    "VpnLink",
    "Workload",
    "build_model",
    "schema_defaults",
    "seconds",
]
