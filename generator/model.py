"""The typed, immutable topology every check and target reads.

Defaults are applied here and nowhere else. Each object remembers ``at``, the field path it
came from, so a check can point at the line that caused a problem.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, TypeVar

from .errors import FieldPath

T = TypeVar("T")

DEFAULT_ISTIO_VERSION = "1.30.3"
FLAT_NETWORK = "network1"
DEFAULT_IKE = "aes256gcm16-prfsha384-ecp384"
DEFAULT_ESP = "aes256gcm16-ecp384"


class Role(str, enum.Enum):
    PRIMARY = "primary"
    REMOTE = "remote"


class MeshModel(str, enum.Enum):
    PRIMARY_REMOTE = "primary-remote"
    MULTI_PRIMARY = "multi-primary"


class NetworkMode(str, enum.Enum):
    FLAT = "flat"
    PER_CLUSTER = "per-cluster"


@dataclass(frozen=True, slots=True)
class Istio:
    version: str = DEFAULT_ISTIO_VERSION
    mesh_id: str = "mesh1"
    model: MeshModel = MeshModel.PRIMARY_REMOTE
    network: NetworkMode = NetworkMode.FLAT
    mtls_strict: bool = True
    mtls_given: bool = False
    at: FieldPath = ("istio",)

    @property
    def legacy(self) -> bool:
        """True for the Istio 1.0 install (remotes reach the control plane by pod IP)."""
        return self.version == "1.0" or self.version.startswith("1.0.")

    @property
    def minor(self) -> int:
        return int(self.version.split(".")[1])


@dataclass(frozen=True, slots=True)
class Cluster:
    name: str
    role: Role
    pod_cidr: str
    service_cidr: str
    provider: str = "generic"
    context: str = ""
    primary: str | None = None
    """The primary driving this remote: as written, or implied when the mesh has one."""
    primary_given: bool = False
    vpn_gateway: str | None = None
    network: str = FLAT_NETWORK
    east_west_ip: str | None = None
    description: str = ""
    at: FieldPath = ()

    @property
    def is_primary(self) -> bool:
        return self.role is Role.PRIMARY

    @property
    def cidrs(self) -> tuple[str, str]:
        """Service then pod range, the order the strongSwan chart's subnet lists use."""
        return (self.service_cidr, self.pod_cidr)


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where a secret is read at apply time: ``env`` (a variable) or ``file`` (a path)."""

    kind: str
    name: str

    def __str__(self) -> str:
        return f"{{{self.kind}: {self.name}}}"


def seconds(duration: str) -> int:
    """Seconds in a duration of the chart's form: an integer with an optional s, m or h."""
    unit = duration[-1]
    if unit.isdigit():
        return int(duration)
    return int(duration[:-1]) * {"s": 1, "m": 60, "h": 3600}[unit]


@dataclass(frozen=True, slots=True)
class VpnLink:
    initiator: str
    responder: str
    psk: SecretRef
    between: tuple[str, str] = ("", "")
    key_exchange: str = "ikev2"
    ike: str = DEFAULT_IKE
    esp: str = DEFAULT_ESP
    ike_lifetime: str = "3h"
    lifetime: str = "1h"
    margin_time: str = "9m"
    dpd_action: str = "restart"
    dpd_delay: str = "30s"
    close_action: str = "auto"
    allow_weak_crypto: bool = False
    listen_address: str | None = None
    """Where the listening end is reached for this link, when not its cluster's vpnGateway."""
    at: FieldPath = ()

    @property
    def name(self) -> str:
        return f"{self.between[0]}-{self.between[1]}"

    def peer_of(self, cluster: str) -> str:
        return self.responder if cluster == self.initiator else self.initiator


@dataclass(frozen=True, slots=True)
class Port:
    port: int
    name: str = "http"
    target_port: int | None = None

    @property
    def container_port(self) -> int:
        return self.target_port or self.port


@dataclass(frozen=True, slots=True)
class Version:
    name: str
    image: str
    calls: tuple[str, ...] = ()
    replicas: int = 1
    env: tuple[tuple[str, str], ...] = ()
    empty_dirs: tuple[tuple[str, str], ...] = ()
    at: FieldPath = ()


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    ports: tuple[Port, ...]
    service_account: str
    versions: tuple[Version, ...]
    at: FieldPath = ()

    def version(self, name: str) -> Version | None:
        return next((v for v in self.versions if v.name == name), None)


@dataclass(frozen=True, slots=True)
class Workload:
    """One version of one service: the unit that is placed on a cluster."""

    service: Service
    version: Version

    @property
    def name(self) -> str:
        return f"{self.service.name}-{self.version.name}"


@dataclass(frozen=True, slots=True)
class StringMatch:
    kind: str  # exact | prefix | regex
    value: str


@dataclass(frozen=True, slots=True)
class Entry:
    service: str
    port: int | None
    uris: tuple[StringMatch, ...]
    at: FieldPath = ()


@dataclass(frozen=True, slots=True)
class Placement:
    cluster: str
    workloads: tuple[str, ...]
    at: FieldPath = ()


@dataclass(frozen=True)
class App:
    name: str
    namespace: str
    services: tuple[Service, ...]
    placement: tuple[Placement, ...]
    catalog: str | None = None
    ingress: str | None = None
    entry: Entry | None = None
    description: str = ""
    at: FieldPath = ()

    @cached_property
    def workloads(self) -> dict[str, Workload]:
        return {
            f"{s.name}-{v.name}": Workload(s, v) for s in self.services for v in s.versions
        }

    @cached_property
    def _services(self) -> dict[str, Service]:
        return {s.name: s for s in reversed(self.services)}  # the first of a name wins

    def service(self, name: str) -> Service | None:
        return self._services.get(name)

    @cached_property
    def _placed(self) -> dict[str, tuple[Workload, ...]]:
        """Cluster -> known workloads placed there, in the order written."""
        known = self.workloads
        table: dict[str, list[Workload]] = {}
        for p in self.placement:
            table.setdefault(p.cluster, []).extend(known[n] for n in p.workloads if n in known)
        return {cluster: tuple(found) for cluster, found in table.items()}

    @cached_property
    def _service_clusters(self) -> dict[str, tuple[str, ...]]:
        """Service -> clusters that run a version of it, in placement order."""
        table: dict[str, list[str]] = {}
        for cluster, placed in self._placed.items():
            for service in dict.fromkeys(w.service.name for w in placed):
                table.setdefault(service, []).append(cluster)
        return {service: tuple(clusters) for service, clusters in table.items()}

    def placed_in(self, cluster: str) -> tuple[Workload, ...]:
        return self._placed.get(cluster, ())

    def clusters_running(self, workload: str) -> tuple[str, ...]:
        return tuple(p.cluster for p in self.placement if workload in p.workloads)

    def clusters_of_service(self, service: str) -> tuple[str, ...]:
        return self._service_clusters.get(service, ())

    def deployed_versions(self, service: str) -> tuple[str, ...]:
        """Versions of ``service`` that run somewhere, in catalog order."""
        svc = self.service(service)
        if svc is None:
            return ()
        placed = {n for p in self.placement for n in p.workloads}
        return tuple(v.name for v in svc.versions if f"{svc.name}-{v.name}" in placed)


@dataclass(frozen=True, slots=True)
class Destination:
    version: str
    weight: int | None = None


@dataclass(frozen=True, slots=True)
class HttpMatch:
    headers: tuple[tuple[str, StringMatch], ...] = ()
    uri: StringMatch | None = None


@dataclass(frozen=True, slots=True)
class HttpRule:
    destinations: tuple[Destination, ...]
    match: HttpMatch | None = None
    at: FieldPath = ()


@dataclass(frozen=True, slots=True)
class ServiceRoute:
    """How one stage routes one service. ``form`` is version, split or rules, as written."""

    service: str
    form: str
    rules: tuple[HttpRule, ...]
    at: FieldPath = ()


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    routes: tuple[ServiceRoute, ...]
    description: str = ""
    at: FieldPath = ()


@dataclass(frozen=True)
class Topology:
    name: str
    clusters: tuple[Cluster, ...]
    istio: Istio = field(default_factory=Istio)
    vpn: tuple[VpnLink, ...] = ()
    apps: tuple[App, ...] = ()
    traffic: tuple[Stage, ...] = ()
    description: str = ""
    source: str = ""
    """File name of the topology, as written in generated headers."""
    source_sha256: str = ""
    incomplete: frozenset[str] = frozenset()
    """Sections with entries left out because they failed the schema."""
    failed: frozenset[FieldPath] = frozenset()
    """Paths of values that failed the schema and were left out (defaults stand in for them)."""

    @cached_property
    def _by_name(self) -> dict[str, Cluster]:
        return {c.name: c for c in self.clusters}

    def cluster(self, name: str) -> Cluster | None:
        return self._by_name.get(name)

    @cached_property
    def primaries(self) -> tuple[Cluster, ...]:
        return tuple(c for c in self.clusters if c.is_primary)

    @cached_property
    def remotes(self) -> tuple[Cluster, ...]:
        return tuple(c for c in self.clusters if not c.is_primary)

    def remotes_of(self, primary: str) -> tuple[Cluster, ...]:
        return tuple(c for c in self.remotes if c.primary == primary)

    def config_cluster_of(self, cluster: Cluster) -> Cluster | None:
        """The cluster whose istiod serves ``cluster`` (itself for a primary)."""
        return cluster if cluster.is_primary else self.cluster(cluster.primary or "")

    @cached_property
    def links_by_cluster(self) -> dict[str, tuple[VpnLink, ...]]:
        table: dict[str, list[VpnLink]] = {c.name: [] for c in self.clusters}
        for link in self.vpn:
            for end in (link.initiator, link.responder):
                table.setdefault(end, []).append(link)
        return {k: tuple(v) for k, v in table.items()}

    def listen_address(self, link: VpnLink) -> str | None:
        """The address the initiator connects to: the link's own, else the responder's
        vpnGateway."""
        if link.listen_address:
            return link.listen_address
        responder = self.cluster(link.responder)
        return responder.vpn_gateway if responder else None

    def links_of(self, cluster: str) -> tuple[VpnLink, ...]:
        return self.links_by_cluster.get(cluster, ())

    @cached_property
    def _service_owners(self) -> dict[str, App]:
        owners: dict[str, App] = {}
        for app in self.apps:
            for service in app.services:
                owners.setdefault(service.name, app)  # the first app that has it
        return owners

    def service_owner(self, service: str) -> App | None:
        return self._service_owners.get(service)

    def lost(self, path: FieldPath) -> bool:
        """True when the value at ``path`` (or something in it) failed the schema."""
        return _under(self.failed, path)


# --- building the model from schema-checked data ------------------------------------------


def build_model(
    data: Mapping[str, Any],
    catalogs: Mapping[str, Mapping[str, Any]],
    broken: frozenset[FieldPath] = frozenset(),
    source: str = "",
    source_sha256: str = "",
) -> Topology:
    """Build the model from data that passed the schema, except entries under ``broken``.

    ``broken`` holds paths of schema failures: the list entry (cluster, link, app, stage) that
    contains each is left out and its section is marked incomplete, so checks that need the
    whole section can stand aside instead of reporting consequences of the first mistake.
    """
    incomplete: set[str] = set()
    top_broken = {p[0] for p in broken if p and isinstance(p[0], str)}

    def entries(section: str) -> Iterator[tuple[int, Mapping[str, Any]]]:
        """Entries of a list section, with fields that failed the schema left out."""
        items = data.get(section)
        if (section,) in broken:
            incomplete.add(section)
        if not isinstance(items, list):
            if items is not None:
                incomplete.add(section)
            return
        for i, item in enumerate(items):
            if not isinstance(item, Mapping) or (section, i) in broken:
                incomplete.add(section)
                continue
            bad = {p[2] for p in broken if len(p) > 2 and p[:2] == (section, i)}
            yield i, {k: v for k, v in item.items() if k not in bad}

    def built(section: str, make: Callable[[int, Mapping[str, Any]], T]) -> tuple[T, ...]:
        """Model objects of a section; an entry that lost a field it can't do without is
        left out and the section marked incomplete."""
        out = []
        for i, item in entries(section):
            try:
                out.append(make(i, item))
            except (KeyError, TypeError, ValueError):
                incomplete.add(section)
        return tuple(out)

    given = data.get("istio")
    istio_raw: Mapping[str, Any] = given if isinstance(given, Mapping) else {}
    if "istio" in top_broken:
        incomplete.add("istio")
        istio_raw = {k: v for k, v in istio_raw.items() if not _under(broken, ("istio", k))}
    istio = _istio(istio_raw)

    raw = data.get("clusters")
    primaries = [c.get("name") for c in raw if isinstance(c, Mapping)
                 and c.get("role") == "primary"] if isinstance(raw, list) else []
    lone_primary = primaries[0] if len(primaries) == 1 else None
    clusters = built("clusters", lambda i, c: _cluster(i, c, istio, lone_primary))
    links = built("vpn", _link)
    apps = built("apps", lambda i, a: _app(i, a, catalogs))
    stages = built("traffic", _stage)
    name = data.get("name")
    return Topology(
        name=name if isinstance(name, str) and "name" not in top_broken else "",
        description=str(data.get("description") or ""),
        istio=istio,
        clusters=clusters,
        vpn=links,
        apps=apps,
        traffic=stages,
        source=source,
        source_sha256=source_sha256,
        incomplete=frozenset(incomplete),
        failed=broken,
    )


def _under(broken: frozenset[FieldPath], prefix: FieldPath) -> bool:
    n = len(prefix)
    return any(p[:n] == prefix for p in broken)


def _istio(raw: Mapping[str, Any]) -> Istio:
    return Istio(
        version=str(raw.get("version", DEFAULT_ISTIO_VERSION)),
        mesh_id=raw.get("meshID", "mesh1"),
        model=MeshModel(raw.get("model", MeshModel.PRIMARY_REMOTE.value)),
        network=NetworkMode(raw.get("network", NetworkMode.FLAT.value)),
        mtls_strict=raw.get("mtls", "strict") == "strict",
        mtls_given="mtls" in raw,
    )


def _cluster(i: int, raw: Mapping[str, Any], istio: Istio, lone_primary: str | None) -> Cluster:
    name = raw["name"]
    role = Role(raw["role"])
    given = raw.get("primary")
    flat = istio.network is NetworkMode.FLAT
    default_network = FLAT_NETWORK if flat else f"{name}-network"
    return Cluster(
        name=name,
        role=role,
        pod_cidr=raw["podCIDR"],
        service_cidr=raw["serviceCIDR"],
        provider=raw.get("provider", "generic"),
        context=raw.get("context", name),
        primary=given if given is not None else (lone_primary if role is Role.REMOTE else None),
        primary_given=given is not None,
        vpn_gateway=raw.get("vpnGateway"),
        network=raw.get("network", default_network),
        east_west_ip=raw.get("eastWestGatewayIP"),
        description=raw.get("description", ""),
        at=("clusters", i),
    )


_LINK_KEYS = {
    "keyExchange": "key_exchange",
    "ike": "ike",
    "esp": "esp",
    "ikeLifetime": "ike_lifetime",
    "lifetime": "lifetime",
    "marginTime": "margin_time",
    "closeAction": "close_action",
    "allowWeakCrypto": "allow_weak_crypto",
    "listenAddress": "listen_address",
}
_DPD_KEYS = {"action": "dpd_action", "delay": "dpd_delay"}


def _link(i: int, raw: Mapping[str, Any]) -> VpnLink:
    a, b = raw["between"]
    initiator = raw.get("initiator", a)
    # A literal or malformed key is reported by the schema; the rest of the link is still checked.
    psk = raw.get("psk", {"env": ""})
    kind = "env" if "env" in psk else "file"
    dpd = raw.get("dpd", {})
    # Only what is written: the field defaults of VpnLink are the one place defaults live.
    given = {name: raw[key] for key, name in _LINK_KEYS.items() if key in raw}
    given.update((name, dpd[key]) for key, name in _DPD_KEYS.items() if key in dpd)
    return VpnLink(
        between=(a, b),
        initiator=initiator,
        responder=b if initiator == a else a,
        psk=SecretRef(kind, psk[kind]),
        at=("vpn", i),
        **given,
    )


def _string_match(raw: Mapping[str, str]) -> StringMatch:
    ((kind, value),) = raw.items()
    return StringMatch(kind, value)


def _app(i: int, raw: Mapping[str, Any], catalogs: Mapping[str, Mapping[str, Any]]) -> App:
    at: FieldPath = ("apps", i)
    name = raw["name"]
    from_catalog = "catalog" in raw
    if from_catalog:
        definition: Mapping[str, Any] = catalogs.get(raw["catalog"], {})
        services_at: FieldPath = (*at, "catalog")
    elif "services" in raw:
        definition = raw
        services_at = (*at, "services")
    else:
        # Both left out because they failed the schema: without a definition every placement
        # would be reported as an unknown workload.
        raise KeyError("services")
    services = tuple(
        _service(s, name, services_at if from_catalog else (*services_at, j))
        for j, s in enumerate(definition.get("services", []))
    )
    entry_raw = definition.get("entry")
    entry = None
    if entry_raw:
        entry = Entry(
            service=entry_raw["service"],
            port=entry_raw.get("port"),
            uris=tuple(_string_match(u) for u in entry_raw["uris"]),
            at=(*at, "entry") if "entry" in raw else services_at,
        )
    placement = tuple(
        Placement(cluster, tuple(workloads), (*at, "placement", cluster))
        for cluster, workloads in raw["placement"].items()
    )
    return App(
        name=name,
        namespace=raw.get("namespace", name),
        services=services,
        placement=placement,
        catalog=raw.get("catalog"),
        ingress=raw.get("ingress"),
        entry=entry,
        description=raw.get("description", definition.get("description", "")),
        at=at,
    )


def _service(raw: Mapping[str, Any], app: str, at: FieldPath) -> Service:
    shared_calls = tuple(raw.get("calls", ()))
    versions = tuple(
        Version(
            name=v["name"],
            image=v["image"],
            calls=tuple(v["calls"]) if "calls" in v else shared_calls,
            replicas=v.get("replicas", 1),
            env=tuple(v.get("env", {}).items()),
            empty_dirs=tuple(v.get("emptyDirs", {}).items()),
            at=(*at, "versions", k) if at and at[-1] != "catalog" else at,
        )
        for k, v in enumerate(raw["versions"])
    )
    return Service(
        name=raw["name"],
        ports=tuple(
            Port(p["port"], p.get("name", "http"), p.get("targetPort")) for p in raw["ports"]
        ),
        service_account=raw.get("serviceAccount", f"{app}-{raw['name']}"),
        versions=versions,
        at=at,
    )


def _destinations(raw: str | Mapping[str, int]) -> tuple[Destination, ...]:
    if isinstance(raw, str):
        return (Destination(raw),)
    return tuple(Destination(version, weight) for version, weight in raw.items())


def _stage(i: int, raw: Mapping[str, Any]) -> Stage:
    at: FieldPath = ("traffic", i)
    routes = []
    for service, spec in raw["routes"].items():
        route_at: FieldPath = (*at, "routes", service)
        if isinstance(spec, list):
            rules = tuple(
                HttpRule(
                    destinations=_destinations(rule["to"]),
                    match=_match(rule["match"]) if "match" in rule else None,
                    at=(*route_at, k),
                )
                for k, rule in enumerate(spec)
            )
            form = "rules"
        else:
            rules = (HttpRule(_destinations(spec), None, route_at),)
            form = "version" if isinstance(spec, str) else "split"
        routes.append(ServiceRoute(service, form, rules, route_at))
    return Stage(raw["name"], tuple(routes), raw.get("description", ""), at)


def _match(raw: Mapping[str, Any]) -> HttpMatch:
    headers = tuple(
        (name, _string_match(m)) for name, m in raw.get("headers", {}).items()
    )
    uri = _string_match(raw["uri"]) if "uri" in raw else None
    return HttpMatch(headers, uri)
