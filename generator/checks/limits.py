"""Limits on what one topology may make, checked on the model before anything is rendered.

A topology file is at most 1 MiB, but what it makes can be far larger: links grow with the
square of the clusters (and one link set stands for any number of them), multi-primary remote
secrets with primaries times clusters, a stage's description is copied into the runbook once
per primary, and an alias repeats a long string wherever it is used. So the output is estimated
from the model, counting what each part of it writes (files, runbook steps, bytes: a fixed size
per generated object plus the topology's own strings as often as they are copied), and a
topology whose estimate passes a limit is refused, located at the part that makes most of it,
before a byte is rendered. The model has every link set made into its links, so the estimate
counts each link a set stands for, and a limit the VPN links pass is located at the entry of
``vpn`` that makes most of them: a set's line. How many links the sets may make at all is
bounded before they are made (:data:`~generator.model.linksets.MAX_LINKS`, ``limit-links``).

The limits leave a wide margin over real meshes: the largest benchmark, 200 clusters in a full
mesh of VPN links (19,900 links, 160,000 files, about 320 MB; 360 MB delivered by Flux and Argo
CD too), stays under every one of them. A test holds the estimate to what the targets really
write, across many shapes of topology.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..errors import FieldPath, Problem, dotted
from ..model import (
    App,
    Cluster,
    Controller,
    HttpRule,
    NetworkMode,
    Service,
    Stage,
    StringMatch,
    Topology,
    Workload,
    linksets,
)
from .registry import check

MAX_PRIMARIES = 64
"""Primaries of one mesh: each reads every other cluster through a remote secret."""
MAX_STAGES = 100
"""Traffic stages: each is a file on every primary and a step per primary."""
MAX_DESCRIPTION = 1000
"""Characters of one description (of the topology, a cluster, an app or a stage)."""
MAX_FILES = 250_000
"""Files of one topology's output folder."""
MAX_STEPS = 100_000
"""Steps of one runbook."""
MAX_OUTPUT_BYTES = 512 * 2**20
"""Bytes of one topology's output folder."""

# Bytes a generated object takes besides the topology's strings, measured on the output and
# rounded up; each constant names what it covers.
_FILE = 140
"""Per file: the generated-file header and the file's entry in MANIFEST.json (the header
names the topology's file as well, counted on top)."""
_FIXED = 48_000
"""Once: the runbook's own text and the VPN helper scripts."""
_CLUSTER = 11_000
"""Per cluster: namespaces, kustomization, the Istio install files and the cluster's steps."""
_LINK_END = 8_300
"""Per end of a VPN link: chart values, ipsec.conf, swanctl.conf, the gateway script and the
install step."""
_SECRET = 450
"""Per remote secret step (a primary reading another cluster)."""
_APP_FILE = 300
"""Per app file of a cluster, and its entry in the kustomization and the apply step."""
_SERVICE = 420
"""Per Service (or stub Service) and ServiceAccount in a cluster's app file."""
_PORT = 60
_DEPLOYMENT = 620
"""Per Deployment of a placed workload, and its name in the rollout wait."""
_ENTRY = 1_200
"""Per app with an ingress: Gateway, entry VirtualService, the expose step."""
_DESTINATION_RULE = 220
_SUBSET = 60
_STAGE = 420
"""Per stage on a primary: the file and its step."""
_VIRTUAL_SERVICE = 220
_RULE = 60
_MATCH = 40
_DESTINATION = 90
# The runbook's verify phase (apply.sh --verify; none for Istio 1.0).
_VERIFY = 5_600
"""Once: mesh-check.sh and the runbook's text for --verify."""
_VERIFY_CLUSTER = 1_700
"""Per cluster: the steps deploying the samples, calling helloworld and removing them."""
_VERIFY_PRIMARY = 400
"""Per primary: the step asking its istiod which clusters it has synced."""
# GitOps trees (delivery.gitops) and the runbook's bootstrap steps that come with them.
_FLUX = 8_000
"""Once: the Flux tree's top and its key helper script."""
_FLUX_CLUSTER = 9_500
"""Per cluster: its Kustomization chain, GitRepository, unit kustomizations and releases."""
_ARGOCD = 4_000
_ARGOCD_CLUSTER = 5_000
"""Per cluster: the file of its Applications."""
_GITOPS_PRIMARY = 8_000
"""Per primary and controller: its Istio chart releases and traffic unit."""
_FLUX_END = 1_200
"""Per end of a VPN link: its HelmRelease and values ConfigMap."""
_BOOTSTRAP_CLUSTER = 2_500
"""Per cluster: the root CA step again, and the step making its key Secrets for Flux."""
_BOOTSTRAP_SECRET = 750
"""Per remote secret step again, waiting for the account it reads."""


def _bytes(text: str) -> int:
    return len(text) if text.isascii() else len(text.encode("utf-8"))


@functools.lru_cache(maxsize=65536)
def _quoted(text: str) -> int:
    """Bytes of ``text`` in a shell word or a YAML string: UTF-8, plus what quoting adds at
    most (a single quote costs five in a shell word, a double quote two in YAML)."""
    return _bytes(text) + 4 * text.count("'") + text.count('"') + text.count("\\") + 2


@dataclass
class Estimate:
    """Files, runbook steps and bytes one topology's output would have, and the bytes by the
    section of the topology that makes them."""

    per_file: int = _FILE
    files: int = 0
    steps: int = 0
    bytes: int = 0
    by_section: dict[str, int] = field(default_factory=dict)
    by_vpn_entry: dict[FieldPath, int] = field(default_factory=dict)
    """Bytes of the VPN links by the entry of ``vpn`` that wrote them (a link, or a set)."""

    def add(self, section: str, files: int = 0, steps: int = 0, size: int = 0) -> None:
        self.files += files
        self.steps += steps
        total = size + files * self.per_file
        self.bytes += total
        self.by_section[section] = self.by_section.get(section, 0) + total

    @property
    def largest(self) -> str:
        return max(self.by_section, key=lambda s: (self.by_section[s], s))


def _cluster_strings(c: Cluster) -> int:
    return (8 * _bytes(c.name) + 6 * _quoted(c.context) + 3 * _bytes(c.network)
            + _bytes(c.pod_cidr) + _bytes(c.service_cidr) + 3 * _bytes(c.east_west_ip or ""))


@dataclass(frozen=True)
class _EndSizes:
    """What one cluster adds to each end of a link it is part of, as the local end or as the
    peer (its name is in the peer's release, folder and connection names)."""

    local: int
    peer: int

    @classmethod
    def of(cls, c: Cluster) -> _EndSizes:
        shared = (3 * _quoted(c.context) + 3 * (_bytes(c.pod_cidr) + _bytes(c.service_cidr)))
        return cls(shared + 12 * _bytes(c.name) + 2 * _bytes(c.vpn_gateway or ""),
                   shared + 30 * _bytes(c.name))


def _link_ends(t: Topology) -> Iterator[tuple[FieldPath, int]]:
    """Bytes of each end of each link, with the entry of ``vpn`` that wrote the link."""
    sizes = {c.name: _EndSizes.of(c) for c in t.clusters}
    for link in t.vpn:
        a, b = sizes.get(link.initiator), sizes.get(link.responder)
        if a is None or b is None:
            continue
        settings = (_LINK_END + 3 * (_bytes(link.ike) + _bytes(link.esp))
                    + 7 * _quoted(link.psk.name) + 4 * _bytes(t.listen_address(link) or ""))
        entry = link.entry
        yield entry, settings + a.local + b.peer
        yield entry, settings + b.local + a.peer


def _match_bytes(m: StringMatch | None) -> int:
    return 0 if m is None else _MATCH + _quoted(m.value)


def _rule_bytes(service: str, rule: HttpRule) -> int:
    size = _RULE + len(rule.destinations) * (_DESTINATION + 2 * _bytes(service))
    size += sum(_bytes(d.version) for d in rule.destinations)
    if rule.match is not None:
        size += _match_bytes(rule.match.uri)
        size += sum(_bytes(name) + _match_bytes(m) for name, m in rule.match.headers)
    return size


def _stage_bytes(t: Topology, stage: Stage) -> int:
    size = 0
    for route in stage.routes:
        app = t.service_owner(route.service)
        namespace = _bytes(app.namespace) if app is not None else 0
        size += _VIRTUAL_SERVICE + 3 * _bytes(route.service) + namespace
        size += sum(_rule_bytes(route.service, rule) for rule in route.rules)
    return size


def _service_bytes(app: App, service: Service) -> int:
    """A Service (or a stub) and its ServiceAccount in one cluster's app file."""
    return (_SERVICE + 8 * _bytes(service.name) + 3 * _bytes(app.namespace)
            + 2 * _bytes(service.service_account)
            + sum(_PORT + _bytes(p.name) for p in service.ports))


def _deployment_bytes(app: App, w: Workload) -> int:
    """The Deployment of a placed workload, and its name in the rollout wait."""
    v = w.version
    size = _DEPLOYMENT + 2 * _bytes(w.name) + 5 * _bytes(v.name) + _bytes(app.namespace)
    size += 4 * _bytes(w.service.name) + _bytes(w.service.service_account)
    size += _quoted(v.image) + _PORT * len(w.service.ports)
    size += sum(30 + _quoted(k) + _quoted(val) for k, val in v.env)
    size += sum(60 + 2 * _quoted(k) + _quoted(path) for k, path in v.empty_dirs)
    return size


def _apps(t: Topology, e: Estimate) -> None:
    """Each app's file in each cluster it is placed in: its Services and accounts, stubs for
    callees that run elsewhere (naming the clusters they run in), its Deployments."""
    for app in t.apps:
        services = {s.name: _service_bytes(app, s) for s in app.services}
        stubs = {s.name: sum(_bytes(c) + 2 for c in app.clusters_of_service(s.name))
                 for s in app.services}
        deployments = {name: _deployment_bytes(app, w) for name, w in app.workloads.items()}
        for placement in app.placement:
            placed = app.placed_in(placement.cluster)
            if not placed:
                continue
            here = {w.service.name for w in placed}
            called = {callee for w in placed for callee in w.version.calls} - here
            size = _APP_FILE + 2 * _bytes(app.name) + 2 * _bytes(placement.cluster)
            size += sum(services[name] for name in here)
            size += sum(services[name] + stubs[name] for name in called if name in services)
            size += sum(deployments[w.name] for w in placed)
            e.add("apps", files=1, size=size)
        if app.ingress is not None and app.entry is not None:
            uris = sum(_match_bytes(m) for m in app.entry.uris)
            e.add("apps", files=1, steps=1,
                  size=_ENTRY + 6 * _bytes(app.name) + 2 * _bytes(app.namespace) + uris)


def _traffic(t: Topology, e: Estimate) -> None:
    primaries = len(t.primaries)
    if not primaries:
        return
    rules = 0
    for app in t.apps:
        placed = {name for p in app.placement for name in p.workloads}
        for service in app.services:
            versions = [v.name for v in service.versions if f"{service.name}-{v.name}" in placed]
            if versions:
                rules += (_DESTINATION_RULE + 2 * _bytes(service.name) + _bytes(app.namespace)
                          + sum(_SUBSET + 2 * _bytes(v) for v in versions))
    if rules:
        e.add("apps", files=primaries, steps=primaries, size=primaries * rules)
    for stage in t.traffic:
        notes = _quoted(stage.description)
        e.add("traffic", files=primaries, steps=primaries,
              size=primaries * (_STAGE + _stage_bytes(t, stage) + notes + 3 * _bytes(stage.name))
              + notes + _bytes(stage.name))


def _delivery(t: Topology, e: Estimate) -> None:
    """The Flux and Argo CD trees, and the bootstrap steps that deliver what they cannot."""
    delivery = t.delivery
    if not delivery.gitops:
        return
    clusters, primaries = len(t.clusters), len(t.primaries)
    ends = 2 * len(t.vpn)
    repository = (_bytes(delivery.repository_url or "") + _bytes(delivery.path)
                  + _bytes(delivery.branch))
    names = sum(_bytes(c.name) for c in t.clusters)
    link_names = sum(_bytes(link.initiator) + _bytes(link.responder) for link in t.vpn)
    if delivery.uses(Controller.FLUX):
        e.add("delivery", files=4 + 11 * clusters + 2 * primaries,
              size=(_FLUX + clusters * (_FLUX_CLUSTER + 4 * repository) + 40 * names
                    + primaries * _GITOPS_PRIMARY + ends * _FLUX_END
                    + 24 * link_names))
    if delivery.uses(Controller.ARGOCD):
        e.add("delivery", files=2 + clusters,
              size=(_ARGOCD + clusters * (_ARGOCD_CLUSTER + 12 * repository) + 30 * names
                    + primaries * (_GITOPS_PRIMARY + 4 * repository) + 2 * link_names))
    if not t.istio.legacy:
        secrets = primaries * max(clusters - 1, 0)
        e.add("delivery", steps=2 * clusters + primaries + secrets,
              size=(clusters * _BOOTSTRAP_CLUSTER + secrets * _BOOTSTRAP_SECRET
                    + ends * 200 + 8 * names + 4 * link_names))


def estimate(t: Topology) -> Estimate:
    """What ``t`` would write, estimated from the model alone."""
    e = Estimate(per_file=_FILE + _bytes(t.source))
    e.add("name", files=4, steps=1,
          size=_FIXED + 4 * _bytes(t.name) + _quoted(t.description) + _bytes(t.source))
    for c in t.clusters:
        e.add("clusters", files=13, steps=6, size=_CLUSTER + _cluster_strings(c))
    ends = size_of_ends = 0
    by_entry = e.by_vpn_entry
    for entry, size in _link_ends(t):
        ends += 1
        size_of_ends += size
        by_entry[entry] = by_entry.get(entry, 0) + size + 4 * e.per_file
    e.add("vpn", files=4 * ends, steps=ends, size=size_of_ends)
    # Every primary reads every other cluster through a remote secret (Istio 1.0: each
    # remote's primary reads it).
    for primary in t.primaries:
        others = [c for c in t.clusters if c is not primary]
        e.add("clusters", steps=len(others),
              size=sum(_SECRET + 3 * (_bytes(primary.name) + _bytes(c.name))
                       + _quoted(primary.context) + _quoted(c.context) for c in others))
    if t.istio.network is NetworkMode.PER_CLUSTER:
        e.add("clusters", size=len(t.clusters) * 2_000)
    _apps(t, e)
    _traffic(t, e)
    _verify(t, e)
    _delivery(t, e)
    return e


def _verify(t: Topology, e: Estimate) -> None:
    """The verify phase: a step per primary, three per cluster, and mesh-check.sh."""
    if t.istio.legacy:
        return
    names = sum(_bytes(c.name) + 1 for c in t.clusters)
    e.add("verify", files=1, steps=len(t.primaries) + 3 * len(t.clusters),
          size=_VERIFY + sum(_VERIFY_CLUSTER + 12 * _quoted(c.context) + 6 * _bytes(c.name)
                             for c in t.clusters)
          + sum(_VERIFY_PRIMARY + 2 * _quoted(p.context) + 2 * _bytes(p.name) + names
                for p in t.primaries))


# --- the checks ------------------------------------------------------------------------------


def _descriptions(t: Topology) -> Iterator[tuple[str, FieldPath]]:
    yield t.description, ("description",)
    for c in t.clusters:
        yield c.description, (*c.at, "description")
    for app in t.apps:
        yield app.description, (*app.at, "description")
    for stage in t.traffic:
        yield stage.description, (*stage.at, "description")


@check()
def descriptions_short(t: Topology) -> Iterator[Problem]:
    for text, at in _descriptions(t):
        if len(text) > MAX_DESCRIPTION:
            yield Problem(
                "limit-description",
                f"the description is {len(text):,} characters long; the limit is "
                f"{MAX_DESCRIPTION:,}",
                at,
                "a description is one line for the reader of the runbook and the site; put "
                "longer text in a document of its own",
            )


@check()
def primaries_within_limit(t: Topology) -> Iterator[Problem]:
    primaries = t.primaries
    if len(primaries) > MAX_PRIMARIES:
        first = primaries[MAX_PRIMARIES]
        yield Problem(
            "limit-primaries",
            f"{len(primaries)} primaries; the limit is {MAX_PRIMARIES} (every primary reads "
            "every other cluster, so the runbook grows with primaries times clusters)",
            (*first.at, "role"),
            "make most clusters remotes of a few primaries (role: remote, primary: <name>)",
        )


@check()
def stages_within_limit(t: Topology) -> Iterator[Problem]:
    if len(t.traffic) > MAX_STAGES:
        yield Problem(
            "limit-stages",
            f"{len(t.traffic)} traffic stages; the limit is {MAX_STAGES}",
            t.traffic[MAX_STAGES].at,
            "keep the stages of one rollout in one topology and start a new one for the next",
        )


_SECTION_WORDS = {
    "name": "the topology itself",
    "clusters": "the clusters (their Istio install, remote secrets and runbook steps)",
    "vpn": "the VPN links (four files and a step for each end)",
    "apps": "the apps (their workloads and Services in each cluster)",
    "traffic": "the traffic stages (a file and a step per stage on every primary)",
    "delivery": "the GitOps trees and their bootstrap steps",
}


@check()
def links_within_limit(t: Topology) -> Iterator[Problem]:
    """Link sets are made into links only up to :data:`~generator.model.linksets.MAX_LINKS`:
    the set that would cross it, and those after it, make none (so a short file cannot ask
    for millions of links)."""
    total = sum(1 for link in t.vpn if not link.from_set)
    for s in t.link_sets:
        total += s.planned
        if not s.expanded:
            yield Problem(
                "limit-links",
                f"this {s.form.value} stands for {s.planned:,} links, which takes the topology "
                f"to {total:,}; the limit is {linksets.MAX_LINKS:,}",
                (*s.at, s.listing),
                "join fewer pairs (hubs and spokes make one link per spoke, a full mesh one per "
                "pair), or split the clusters into several topologies",
            )
            return  # the sets after it were not made either; this is the one to change


def _located(t: Topology, e: Estimate) -> tuple[FieldPath, str]:
    """Where a limit the output passes is reported, and what the message says of it: the
    section that makes most of the output; for the VPN links, the entry of ``vpn`` (a set, or
    a link written alone) that makes most of them."""
    where = e.largest
    most = f"; most of it comes from {_SECTION_WORDS[where]}"
    if where != "vpn" or not e.by_vpn_entry:
        return (where,), most
    entry = max(e.by_vpn_entry, key=lambda at: e.by_vpn_entry[at])
    for s in t.link_sets:
        if s.at == entry:
            return (*entry, s.listing), (
                f"{most}, and most of those from {dotted(entry)} ({s.form.value} of "
                f"{len(s.members):,} clusters, {s.links:,} links)")
    return (where,), most


@check()
def output_within_limits(t: Topology) -> Iterator[Problem]:
    e = estimate(t)
    at, most = _located(t, e)
    hint = ("split the mesh into several topologies, or link fewer pairs of clusters (a hub "
            "and spokes instead of a full mesh)")
    if e.files > MAX_FILES:
        yield Problem("limit-files",
                      f"the output would have about {e.files:,} files; the limit is "
                      f"{MAX_FILES:,}{most}", at, hint, on_key=True)
    if e.steps > MAX_STEPS:
        yield Problem("limit-steps",
                      f"the runbook would have about {e.steps:,} steps; the limit is "
                      f"{MAX_STEPS:,}{most}", at, hint, on_key=True)
    if e.bytes > MAX_OUTPUT_BYTES:
        yield Problem("limit-output-bytes",
                      f"the output would take about {e.bytes / 2**20:,.0f} MiB; the limit is "
                      f"{MAX_OUTPUT_BYTES // 2**20:,} MiB{most}", at, hint, on_key=True)
