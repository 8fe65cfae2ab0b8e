"""The model: the typed, immutable topology every check, target and page reads.

Owns the objects (:mod:`.objects`), the one source of a topology's defaults (:mod:`.defaults`)
and the builder that makes the model from schema-checked data, leaving out the parts that
failed the schema (:mod:`.build`). What a topology writes once for many is resolved here too,
so checks and targets see plain clusters and links: cluster defaults
(:mod:`.clusterdefaults`), link sets (:mod:`.linksets`) and listen-address pools
(:mod:`.pools`); :mod:`.resolved` writes the resolved model back out in the schema's field
names. Checks, targets, docs and the API import it.

May import: ``errors``, ``enums``.
"""

from .build import build_model
from .defaults import schema_defaults
from .objects import (
    DEFAULT_ESP,
    DEFAULT_IKE,
    FLAT_NETWORK,
    App,
    Chosen,
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
    LinkSet,
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
    SetForm,
    Stage,
    Starts,
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
    "Chosen",
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
    "LinkSet",
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
    "SetForm",
    "Stage",
    "Starts",
    "StringMatch",
    "Topology",
    "Version",
    "VpnLink",
    "Workload",
    "build_model",
    "schema_defaults",
    "seconds",
]
