"""The model's objects: the typed, immutable topology every check and target reads.

Each object remembers ``at``, the field path it came from, so a check can point at the line
that caused a problem. A field that a topology may leave out says so with :func:`written`: the
key it is read from and the default that stands in when it is left out (see
:mod:`.defaults` for why the defaults live here). Questions several readers ask (which clusters
a primary drives, which cluster an app enters by) are answered here, once, from cached tables.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from functools import cached_property
from operator import attrgetter
from typing import TypeVar

from ..enums import StrEnum
from ..errors import FieldPath, Member, written_path

T = TypeVar("T")

FLAT_NETWORK = "network1"
"""The network every cluster of a flat mesh is on, unless the topology names one."""
# The proposals of a link that names none, and the ones a weak proposal is told to use.
DEFAULT_IKE = "aes256gcm16-prfsha384-ecp384"
DEFAULT_ESP = "aes256gcm16-ecp384"

WRITTEN = "written as"
"""Metadata key of a field read from a topology: the key (dotted below a nested mapping)."""


def written(key: str, default: T) -> T:
    """A field read from ``key`` of its object in the topology, ``default`` when left out.

    ``schemas/topology.schema.json`` restates the default; a test holds the two together.
    """
    return field(default=default, metadata={WRITTEN: key})


class Role(StrEnum):
    PRIMARY = "primary"
    REMOTE = "remote"


class MeshModel(StrEnum):
    PRIMARY_REMOTE = "primary-remote"
    MULTI_PRIMARY = "multi-primary"


class NetworkMode(StrEnum):
    FLAT = "flat"
    PER_CLUSTER = "per-cluster"


class ControlPlanePath(StrEnum):
    """How a remote reaches istiod on its primary."""

    VPN = "vpn"
    """Inside the VPN link, at an address in the primary's service range."""
    EASTWEST_GATEWAY = "eastwest-gateway"
    """Through the primary's public east-west gateway."""


class Mtls(StrEnum):
    STRICT = "strict"
    PERMISSIVE = "permissive"


@dataclass(frozen=True, slots=True)
class Istio:
    version: str = written("version", "1.30.3")
    mesh_id: str = written("meshID", "mesh1")
    model: MeshModel = written("model", MeshModel.PRIMARY_REMOTE)
    network: NetworkMode = written("network", NetworkMode.FLAT)
    mtls: Mtls = written("mtls", Mtls.STRICT)
    mtls_given: bool = False
    path_given: ControlPlanePath | None = None
    """``controlPlanePath`` as written; its default depends on the network (:attr:`path`)."""
    at: FieldPath = ("istio",)

    @property
    def path(self) -> ControlPlanePath:
        """How remotes reach istiod: as written, else through the VPN on a flat network and
        through the east-west gateway across networks. Istio 1.0's remotes always use the
        VPN (pod IPs)."""
        if self.legacy:
            return ControlPlanePath.VPN
        if self.path_given is not None:
            return self.path_given
        return (ControlPlanePath.VPN if self.network is NetworkMode.FLAT
                else ControlPlanePath.EASTWEST_GATEWAY)

    @property
    def mtls_strict(self) -> bool:
        return self.mtls is Mtls.STRICT

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
    provider: str = written("provider", "generic")
    context: str = ""
    primary: str | None = None
    """The primary driving this remote: as written, or implied when the mesh has one."""
    primary_given: bool = False
    vpn_gateway: str | None = None
    network: str = FLAT_NETWORK
    east_west_ip: str | None = None
    description: str = ""
    listen_pool: tuple[str, ...] = ()
    """Addresses and CIDR blocks this cluster's links may listen on (see :mod:`.pools`)."""
    from_defaults: frozenset[str] = frozenset()
    """Keys whose value came from clusterDefaults rather than the cluster's own entry."""
    at: FieldPath = ()

    @property
    def is_primary(self) -> bool:
        return self.role is Role.PRIMARY

    def where(self, key: str) -> FieldPath:
        """Where the value of ``key`` is written: the cluster's entry, or clusterDefaults."""
        return ("clusterDefaults", key) if key in self.from_defaults else (*self.at, key)

    @property
    def cidrs(self) -> tuple[str, str]:
        """Service then pod range, the order the strongSwan chart's subnet lists use."""
        return (self.service_cidr, self.pod_cidr)


class SecretKind(StrEnum):
    ENV = "env"
    FILE = "file"


@dataclass(frozen=True, slots=True)
class SecretRef:
    """Where a secret is read at apply time: ``env`` (a variable) or ``file`` (a path)."""

    kind: SecretKind
    name: str

    def __str__(self) -> str:
        return f"{{{self.kind.value}: {self.name}}}"

    @property
    def is_env(self) -> bool:
        return self.kind is SecretKind.ENV

    @property
    def secret_name(self) -> str | None:
        """The Kubernetes Secret a GitOps controller reads this key from: the variable's name,
        or the file's base name, in lower case with ``_`` as ``-`` (``ICP_IKS_PSK`` ->
        ``icp-iks-psk``). None when that is not a valid Secret name."""
        base = self.name if self.is_env else self.name.rstrip("/").rpartition("/")[2]
        name = base.lower().replace("_", "-")
        return name if len(name) <= _SECRET_NAME_MAX and _SECRET_NAME.fullmatch(name) else None

    @property
    def relative(self) -> bool:
        """True for a file that is neither absolute nor under ``~/``: it is read from the
        folder apply.sh is started from."""
        path = self.name
        return self.kind is SecretKind.FILE and not (
            path.startswith("/") or path == "~" or path.startswith("~/"))


_SECRET_NAME = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")
_SECRET_NAME_MAX = 253


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
    key_exchange: str = written("keyExchange", "ikev2")
    ike: str = written("ike", DEFAULT_IKE)
    esp: str = written("esp", DEFAULT_ESP)
    ike_lifetime: str = written("ikeLifetime", "3h")
    lifetime: str = written("lifetime", "1h")
    margin_time: str = written("marginTime", "9m")
    dpd_action: str = written("dpd.action", "restart")
    dpd_delay: str = written("dpd.delay", "30s")
    close_action: str = written("closeAction", "auto")
    """``auto`` leaves it to the chart: restart on the initiating end, none on the other."""
    allow_weak_crypto: bool = written("allowWeakCrypto", False)
    listen_address: str | None = None
    """Where the listening end is reached for this link, when not its cluster's vpnGateway."""
    listen_at: FieldPath = ()
    """Where ``listen_address`` was taken from when the link does not write it: the listening
    cluster's listenPool."""
    at: FieldPath = ()
    """The link's entry in ``vpn``; for a link a set made, the set's entry and the link as a
    :class:`~generator.errors.Member`."""

    @property
    def name(self) -> str:
        return f"{self.between[0]}-{self.between[1]}"

    @property
    def entry(self) -> FieldPath:
        """The entry of ``vpn`` that wrote this link, alone or as one of a set (``at`` without
        the link as a member of its set, which is its last part)."""
        return self.at[:-1] if self.from_set else self.at

    @property
    def from_set(self) -> bool:
        return bool(self.at) and isinstance(self.at[-1], Member)

    def peer_of(self, cluster: str) -> str:
        return self.responder if cluster == self.initiator else self.initiator

    def replaced(self, **changes: object) -> VpnLink:
        """``dataclasses.replace(self, **changes)`` in a fraction of its time (it looks up
        each field's details on every call): link sets and pools make thousands of links."""
        values = list(_LINK_VALUES(self))
        for name, value in changes.items():
            values[_LINK_PLACE[name]] = value
        return VpnLink(*values)

    def listening_at(self, address: str, taken_from: FieldPath) -> VpnLink:
        """This link with ``address`` as its listen address, taken from ``taken_from`` (a
        pool)."""
        return self.replaced(listen_address=address, listen_at=taken_from)


_LINK_FIELDS = tuple(f.name for f in fields(VpnLink))
_LINK_VALUES = attrgetter(*_LINK_FIELDS)
_LINK_PLACE = {name: place for place, name in enumerate(_LINK_FIELDS)}


class SetForm(StrEnum):
    """The shapes a set of VPN links can take, in the words errors and pages use."""

    FULL_MESH = "full mesh"
    HUB_AND_SPOKE = "hub and spoke"


class Starts(StrEnum):
    """Which end starts each link of a set: the first of each pair of a full mesh (in the
    set's order) or a balanced share of them; the spokes or the hubs of a hub and spoke."""

    FIRST = "first"
    BALANCED = "balanced"
    SPOKES = "spokes"
    HUBS = "hubs"


class Chosen(StrEnum):
    """Clusters a set names by a word rather than a list."""

    ALL = "all"
    REMOTES = "remotes"


@dataclass(frozen=True, slots=True)
class LinkSet:
    """One entry of ``vpn`` that stands for many links: a full mesh over clusters, or hubs
    and their spokes. Its links are in :attr:`Topology.vpn` like every other link (made by
    :mod:`.linksets`); this is what the entry says and what became of it, for the checks
    and pages that speak of the set."""

    form: SetForm
    starts: Starts
    template: VpnLink
    """The settings every link of the set shares; its ``psk`` is the key pattern."""
    clusters: tuple[str, ...] = ()
    """Full mesh: the clusters as written (empty when chosen by a word)."""
    hubs: tuple[str, ...] = ()
    spokes: tuple[str, ...] = ()
    """Hub and spoke: the spokes as written (empty when chosen by a word)."""
    chosen: Chosen | None = None
    """The word that names the clusters (the full mesh's or the spokes), if any."""
    members: tuple[str, ...] = ()
    """The clusters the set joins, resolved, each once, in the set's order."""
    links: int = 0
    """How many links the set made (those written on their own not counted)."""
    replaced: tuple[str, ...] = ()
    """Links of the set that a link written on its own replaces, by name."""
    planned: int = 0
    """How many links the set stands for."""
    expanded: bool = True
    """False when the set was not expanded: the topology would have had too many links."""
    at: FieldPath = ()

    @property
    def psk(self) -> SecretRef:
        return self.template.psk

    @property
    def listing(self) -> str:
        """The key of the set's written list of clusters: ``fullMesh`` or ``spokes``."""
        return "fullMesh" if self.form is SetForm.FULL_MESH else "spokes"


@dataclass(frozen=True, slots=True)
class Port:
    port: int
    name: str = written("name", "http")
    target_port: int | None = None

    @property
    def container_port(self) -> int:
        return self.target_port or self.port


@dataclass(frozen=True, slots=True)
class Version:
    name: str
    image: str
    calls: tuple[str, ...] = ()
    replicas: int = written("replicas", 1)
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


class MatchKind(StrEnum):
    EXACT = "exact"
    PREFIX = "prefix"
    REGEX = "regex"


@dataclass(frozen=True, slots=True)
class StringMatch:
    kind: MatchKind
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
        placed = self._placed_names
        return tuple(v.name for v in svc.versions if f"{svc.name}-{v.name}" in placed)

    @cached_property
    def _placed_names(self) -> frozenset[str]:
        """Every workload name placed on some cluster (known or not)."""
        return frozenset(n for p in self.placement for n in p.workloads)


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


class RouteForm(StrEnum):
    """How a stage writes one service's routing: a version, a weighted split, or rules."""

    VERSION = "version"
    SPLIT = "split"
    RULES = "rules"


@dataclass(frozen=True, slots=True)
class ServiceRoute:
    """How one stage routes one service, in the form it was written."""

    service: str
    form: RouteForm
    rules: tuple[HttpRule, ...]
    at: FieldPath = ()


@dataclass(frozen=True, slots=True)
class Stage:
    name: str
    routes: tuple[ServiceRoute, ...]
    description: str = ""
    at: FieldPath = ()


class Controller(StrEnum):
    """A GitOps controller that reconciles the output from git, besides the runbook."""

    FLUX = "flux"
    ARGOCD = "argocd"


@dataclass(frozen=True, slots=True)
class Delivery:
    """How the output reaches the clusters: the runbook always, GitOps controllers in addition."""

    gitops: tuple[Controller, ...] = written("gitops", ())
    repository_url: str | None = None
    """The git repository the controllers read; None when the topology names none."""
    branch: str = written("repository.branch", "main")
    path: str = written("repository.path", "output")
    """The folder inside the repository that holds meshgen's output (one folder a topology)."""
    active_stage: str | None = None
    """The traffic stage the controllers reconcile, as written; None means the first."""
    at: FieldPath = ("delivery",)

    def uses(self, controller: Controller) -> bool:
        return controller in self.gitops

    def in_repository(self, path: str) -> str:
        """``path`` (relative to the output folder) as a path from the repository's root."""
        return f"{self.path}/{path}"


@dataclass(frozen=True, slots=True)
class LeftOut:
    """An entry of a list section that could not be built (a value it needs failed the
    schema), and what could still be read of it: enough for the checks of the other entries
    neither to miss it nor to report it as missing. A field is None where it could not be read;
    an entry of ``clusters`` has no ``between``, one of ``vpn`` no ``role``, and so on."""

    section: str
    at: FieldPath
    name: str | None = None
    role: Role | None = None
    """Clusters: the role, when written correctly."""
    between: tuple[str, ...] | None = None
    """VPN links: the two ends."""
    services: tuple[str, ...] | None = None
    """Apps: the names of the services the app defines."""


@dataclass(frozen=True)
class Topology:
    name: str
    clusters: tuple[Cluster, ...]
    istio: Istio = field(default_factory=Istio)
    vpn: tuple[VpnLink, ...] = written("vpn", ())
    apps: tuple[App, ...] = written("apps", ())
    traffic: tuple[Stage, ...] = written("traffic", ())
    delivery: Delivery = field(default_factory=Delivery)
    description: str = ""
    source: str = ""
    """File name of the topology, as written in generated headers."""
    source_sha256: str = ""
    link_sets: tuple[LinkSet, ...] = ()
    """The entries of ``vpn`` that stand for many links; their links are in ``vpn``."""
    unaddressed: frozenset[FieldPath] = frozenset()
    """Links whose listening cluster's listenPool had no address left for them."""
    incomplete: frozenset[str] = frozenset()
    """Sections with entries left out because they failed the schema."""
    failed: frozenset[FieldPath] = frozenset()
    """Paths of values that failed the schema and were left out (defaults stand in for them)."""
    left_out: tuple[LeftOut, ...] = ()
    """Entries of list sections that could not be built, in the order written."""

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

    @cached_property
    def _remotes_by_primary(self) -> dict[str | None, tuple[Cluster, ...]]:
        table: dict[str | None, list[Cluster]] = {}
        for c in self.remotes:
            table.setdefault(c.primary, []).append(c)
        return {primary: tuple(found) for primary, found in table.items()}

    def remotes_of(self, primary: str) -> tuple[Cluster, ...]:
        return self._remotes_by_primary.get(primary, ())

    def has_remotes(self, cluster: Cluster) -> bool:
        """True for a primary whose istiod also drives remotes."""
        return cluster.is_primary and bool(self.remotes_of(cluster.name))

    def has_eastwest_gateway(self, cluster: Cluster) -> bool:
        """True for a cluster that gets an east-west gateway: every cluster across networks,
        and a primary whose remotes reach istiod through it (never with Istio 1.0)."""
        if self.istio.legacy:
            return False
        return self.istio.network is NetworkMode.PER_CLUSTER or (
            self.has_remotes(cluster) and self.istio.path is ControlPlanePath.EASTWEST_GATEWAY)

    def reaches_istiod_over_vpn(self, cluster: Cluster) -> bool:
        """True for a primary whose remotes reach istiod inside the VPN."""
        return self.has_remotes(cluster) and self.istio.path is ControlPlanePath.VPN

    @cached_property
    def _ingresses(self) -> frozenset[str]:
        return frozenset(app.ingress for app in self.apps if app.ingress is not None)

    def is_ingress(self, cluster: Cluster) -> bool:
        """True for a cluster whose ingress gateway some app enters by."""
        return cluster.name in self._ingresses

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

    @cached_property
    def active_stage(self) -> tuple[int, Stage] | None:
        """The traffic stage GitOps controllers reconcile (number from 1, stage): the one the
        delivery names, else the first; None when there is none of that name."""
        wanted = self.delivery.active_stage
        for number, stage in enumerate(self.traffic, start=1):
            if wanted is None or stage.name == wanted:
                return number, stage
        return None

    def left_out_of(self, section: str) -> tuple[LeftOut, ...]:
        return tuple(entry for entry in self.left_out if entry.section == section)

    def unread(self, section: str, field_name: str) -> bool:
        """True when an entry of ``section`` was left out without its ``field_name`` (say
        ``name``) being readable: a check that needs every one of them stands aside."""
        return any(getattr(entry, field_name) is None for entry in self.left_out_of(section))

    def left_out_cluster(self, name: str) -> LeftOut | None:
        """The cluster entry named ``name`` that could not be built, if there is one."""
        return next((e for e in self.left_out_of("clusters") if e.name == name), None)

    def role_of(self, name: str) -> Role | None:
        """The role of the cluster ``name``, built or left out; None when not known."""
        cluster = self.cluster(name)
        if cluster is not None:
            return cluster.role
        entry = self.left_out_cluster(name)
        return entry.role if entry is not None else None

    def no_cluster_named(self, name: str) -> bool:
        """True when certainly no cluster is named ``name``: none was built with that name,
        and every cluster that was left out has a name that can be read, and another one."""
        return (self.cluster(name) is None and self.left_out_cluster(name) is None
                and not self.unread("clusters", "name"))

    @cached_property
    def primary_names(self) -> tuple[str, ...]:
        """Names of every cluster written as a primary, built or left out, in file order;
        meaningful when no cluster was left out without its role (see :meth:`unread`)."""
        written = [(c.at, c.name) for c in self.clusters if c.is_primary]
        written += [(e.at, e.name or "?") for e in self.left_out_of("clusters")
                    if e.role is Role.PRIMARY]
        return tuple(name for _, name in sorted(written, key=lambda pair: _order(pair[0])))

    def lost(self, path: FieldPath) -> bool:
        """True when the value at ``path`` (or something in it) failed the schema; for a link
        of a set, the value of the set."""
        return bool(self.failed) and any_under(self.failed, written_path(path))

    def links_of_set(self, link_set: LinkSet) -> tuple[VpnLink, ...]:
        return self._set_links.get(link_set.at, ())

    @cached_property
    def _set_links(self) -> dict[FieldPath, tuple[VpnLink, ...]]:
        table: dict[FieldPath, list[VpnLink]] = {}
        for link in self.vpn:
            if link.from_set:
                table.setdefault(link.entry, []).append(link)
        return {at: tuple(links) for at, links in table.items()}


def _order(path: FieldPath) -> tuple[tuple[int, str], ...]:
    """A sort key for paths that mix names and list indexes."""
    return tuple((1, str(p)) if isinstance(p, str) else (0, f"{p:09d}") for p in path)


def any_under(paths: frozenset[FieldPath], prefix: FieldPath) -> bool:
    """True when one of ``paths`` is ``prefix`` or lies below it."""
    n = len(prefix)
    return any(p[:n] == prefix for p in paths)
