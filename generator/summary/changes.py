"""Two models of one topology compared: what changed, section by section, as short sentences.

Clusters are matched by name, VPN links by the pair of clusters they join, apps and traffic
stages by name; a workload is an app's ``<service>-<version>``. Each change is a
:class:`Change`: its section, whether something was added, removed, changed or moved, what it
is about, and the words that say it ("reviews-v3: icp -> iks", "reviews: v1 50% -> 20%, v3
50% -> 80%").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TypeVar

from ..enums import StrEnum
from ..model import (
    App,
    Cluster,
    HttpRule,
    Istio,
    RouteForm,
    ServiceRoute,
    Stage,
    StringMatch,
    Topology,
    VpnLink,
)

T = TypeVar("T")
Fields = Sequence[tuple[str, Callable[[T], object]]]


class Section(StrEnum):
    TOPOLOGY = "topology"
    ISTIO = "istio"
    CLUSTERS = "clusters"
    VPN = "vpn"
    WORKLOADS = "workloads"
    TRAFFIC = "traffic"


class Kind(StrEnum):
    ADDED = "added"
    REMOVED = "removed"
    CHANGED = "changed"
    MOVED = "moved"


SECTION_TITLES = {
    Section.TOPOLOGY: "Topology",
    Section.ISTIO: "Istio",
    Section.CLUSTERS: "Clusters",
    Section.VPN: "VPN links",
    Section.WORKLOADS: "Workloads",
    Section.TRAFFIC: "Traffic stages",
}

MARKS = {Kind.ADDED: "+", Kind.REMOVED: "-", Kind.CHANGED: "~", Kind.MOVED: "~"}
"""How text and Markdown mark each kind of change."""


@dataclass(frozen=True, slots=True)
class Change:
    section: Section
    kind: Kind
    subject: str
    """What the change is about: a cluster, link, workload, stage or setting."""
    text: str
    """The change in words, without the subject (``podCIDR 10.1.0.0/16 -> 10.2.0.0/16``)."""

    def sentence(self) -> str:
        return f"{self.subject}: {self.text}" if self.text else self.subject

    def as_dict(self) -> dict[str, str]:
        return {"section": self.section.value, "kind": self.kind.value,
                "subject": self.subject, "text": self.text}


def compare(old: Topology, new: Topology) -> list[Change]:
    """Every change from ``old`` to ``new``, in section order."""
    return [*_topology(old, new), *_istio(old.istio, new.istio), *_clusters(old, new),
            *_links(old, new), *_workloads(old, new), *_traffic(old, new)]


def _shown(value: object) -> str:
    return "(none)" if value is None or value == "" else str(value)


def arrow(before: object, after: object) -> str:
    return f"{_shown(before)} -> {_shown(after)}"


def _differences(old: T, new: T, fields: Fields[T]) -> list[str]:
    """``label before -> after`` for each field that differs."""
    out = []
    for label, read in fields:
        before, after = read(old), read(new)
        if before != after:
            out.append(f"{label} {arrow(before, after)}")
    return out


K = TypeVar("K")


def _matched(section: Section, before: dict[K, T], after: dict[K, T], label: Callable[[T], str],
             words: Callable[[T], str]) -> tuple[list[Change], list[tuple[T, T]]]:
    """The entries added and removed, as changes, and the pairs found on both sides."""
    changes = [Change(section, Kind.ADDED, label(v), words(v))
               for k, v in after.items() if k not in before]
    changes += [Change(section, Kind.REMOVED, label(v), "")
                for k, v in before.items() if k not in after]
    return changes, [(before[k], v) for k, v in after.items() if k in before]


def _topology(old: Topology, new: Topology) -> Iterator[Change]:
    if old.name != new.name:
        yield Change(Section.TOPOLOGY, Kind.CHANGED, "name", arrow(old.name, new.name))
    if old.description != new.description:
        yield Change(Section.TOPOLOGY, Kind.CHANGED, "description", "reworded")


ISTIO_FIELDS: Fields[Istio] = (
    ("version", lambda i: i.version),
    ("model", lambda i: i.model.value),
    ("network", lambda i: i.network.value),
    ("mTLS", lambda i: i.mtls.value),
    ("meshID", lambda i: i.mesh_id),
)


def _istio(old: Istio, new: Istio) -> Iterator[Change]:
    for label, read in ISTIO_FIELDS:
        if read(old) != read(new):
            yield Change(Section.ISTIO, Kind.CHANGED, label, arrow(read(old), read(new)))


CLUSTER_FIELDS: Fields[Cluster] = (
    ("role", lambda c: c.role.value),
    ("primary", lambda c: c.primary),
    ("podCIDR", lambda c: c.pod_cidr),
    ("serviceCIDR", lambda c: c.service_cidr),
    ("vpnGateway", lambda c: c.vpn_gateway),
    ("eastWestGatewayIP", lambda c: c.east_west_ip),
    ("network", lambda c: c.network),
    ("provider", lambda c: c.provider),
    ("context", lambda c: c.context),
)


def _cluster_words(c: Cluster) -> str:
    words = [c.role.value + (f" of {c.primary}" if c.primary and not c.is_primary else ""),
             f"pods {c.pod_cidr}", f"services {c.service_cidr}"]
    if c.vpn_gateway:
        words.append(f"VPN gateway {c.vpn_gateway}")
    return ", ".join(words)


def _clusters(old: Topology, new: Topology) -> Iterator[Change]:
    changes, kept = _matched(Section.CLUSTERS, {c.name: c for c in old.clusters},
                             {c.name: c for c in new.clusters}, lambda c: c.name, _cluster_words)
    yield from changes
    for was, now in kept:
        changed = _differences(was, now, CLUSTER_FIELDS)
        if changed:
            yield Change(Section.CLUSTERS, Kind.CHANGED, now.name, "; ".join(changed))


LINK_FIELDS: Fields[VpnLink] = (
    ("initiator", lambda k: k.initiator),
    ("listen address", lambda k: k.listen_address),
    ("ike", lambda k: k.ike),
    ("esp", lambda k: k.esp),
    ("key exchange", lambda k: k.key_exchange),
    ("IKE lifetime", lambda k: k.ike_lifetime),
    ("lifetime", lambda k: k.lifetime),
    ("margin time", lambda k: k.margin_time),
    ("DPD", lambda k: f"{k.dpd_action} every {k.dpd_delay}"),
    ("close action", lambda k: k.close_action),
    ("weak crypto allowed", lambda k: k.allow_weak_crypto),
    ("pre-shared key", lambda k: str(k.psk)),
)


def _link_name(link: VpnLink) -> str:
    return " <-> ".join(link.between)


def _link_words(link: VpnLink) -> str:
    words = [f"{link.initiator} starts", f"ike {link.ike}", f"esp {link.esp}"]
    if link.listen_address:
        words.insert(1, f"{link.responder} listens on {link.listen_address}")
    return ", ".join(words)


def _links(old: Topology, new: Topology) -> Iterator[Change]:
    changes, kept = _matched(Section.VPN, {frozenset(k.between): k for k in old.vpn},
                             {frozenset(k.between): k for k in new.vpn}, _link_name, _link_words)
    yield from changes
    for was, now in kept:
        changed = _differences(was, now, LINK_FIELDS)
        if changed:
            yield Change(Section.VPN, Kind.CHANGED, _link_name(now), "; ".join(changed))


def _placed(app: App) -> dict[str, tuple[str, ...]]:
    """Workload -> the clusters it runs in, in placement order; every workload the app
    defines, placed or not."""
    return {name: app.clusters_running(name) for name in app.workloads}


def _where(clusters: tuple[str, ...]) -> str:
    return ", ".join(clusters) if clusters else "(not placed)"


def _workloads(old: Topology, new: Topology) -> Iterator[Change]:
    changes, kept = _matched(Section.WORKLOADS, {a.name: a for a in old.apps},
                             {a.name: a for a in new.apps}, lambda a: f"app {a.name}",
                             lambda a: f"namespace {a.namespace}, {len(a.workloads)} workloads")
    yield from changes
    for was, now in kept:
        if was.namespace != now.namespace:
            yield Change(Section.WORKLOADS, Kind.CHANGED, f"app {now.name}",
                         f"namespace {arrow(was.namespace, now.namespace)}")
        if was.ingress != now.ingress:
            yield Change(Section.WORKLOADS, Kind.MOVED, f"{now.name} ingress",
                         arrow(was.ingress, now.ingress))
        placed_before, placed_after = _placed(was), _placed(now)
        for workload in dict.fromkeys([*placed_after, *placed_before]):
            here, there = placed_before.get(workload, ()), placed_after.get(workload, ())
            if set(here) != set(there):
                kind = (Kind.ADDED if not here else Kind.REMOVED if not there else Kind.MOVED)
                yield Change(Section.WORKLOADS, kind, workload,
                             f"{_where(here)} -> {_where(there)}")


def _match(kind_value: StringMatch) -> str:
    return f"{kind_value.kind.value} {kind_value.value}"


def _rule_words(rule: HttpRule) -> str:
    to = ", ".join(f"{d.version} {d.weight}%" if d.weight is not None else d.version
                   for d in rule.destinations)
    if rule.match is None:
        return to
    conditions = [f"{name} {_match(m)}" for name, m in rule.match.headers]
    if rule.match.uri is not None:
        conditions.append(f"uri {_match(rule.match.uri)}")
    return f"{' and '.join(conditions) or 'any'} => {to}"


def route_words(route: ServiceRoute) -> str:
    """``v1``, ``v1 50%, v3 50%`` or ``end-user exact jason => v2; v3``."""
    return "; ".join(_rule_words(rule) for rule in route.rules)


def _weights(route: ServiceRoute) -> dict[str, int] | None:
    """Version -> weight of a route that sends everything one way (a version or a split)."""
    if route.form is RouteForm.RULES or len(route.rules) != 1:
        return None
    return {d.version: 100 if d.weight is None else d.weight for d in route.rules[0].destinations}


def route_change(old: ServiceRoute, new: ServiceRoute) -> str:
    """``reviews: v1 50% -> 20%, v3 50% -> 80%`` where both send all traffic by weight, else
    the whole route before and after."""
    before, after = _weights(old), _weights(new)
    if before is not None and after is not None:
        parts = [f"{v} {before.get(v, 0)}% -> {after.get(v, 0)}%"
                 for v in dict.fromkeys([*before, *after]) if before.get(v, 0) != after.get(v, 0)]
        return f"{new.service}: {', '.join(parts)}"
    return f"{new.service}: {route_words(old)} -> {route_words(new)}"


def _stage_words(stage: Stage) -> str:
    return "; ".join(f"{r.service} {route_words(r)}" for r in stage.routes)


def _traffic(old: Topology, new: Topology) -> Iterator[Change]:
    before = {s.name: s for s in old.traffic}
    after = {s.name: s for s in new.traffic}
    changes, kept = _matched(Section.TRAFFIC, before, after, lambda s: s.name, _stage_words)
    yield from changes
    for was_stage, stage in kept:
        was = {r.service: r for r in was_stage.routes}
        now = {r.service: r for r in stage.routes}
        parts = [f"{s}: (no route) -> {route_words(r)}" for s, r in now.items() if s not in was]
        parts += [f"{s}: {route_words(r)} -> (no route)" for s, r in was.items() if s not in now]
        parts += [route_change(was[s], r) for s, r in now.items()
                  if s in was and route_words(was[s]) != route_words(r)]
        if parts:
            yield Change(Section.TRAFFIC, Kind.CHANGED, stage.name, "; ".join(parts))
    kept_before = [s for s in before if s in after]
    kept_after = [s for s in after if s in before]
    if kept_before != kept_after:
        yield Change(Section.TRAFFIC, Kind.CHANGED, "order", arrow(", ".join(kept_before),
                                                                   ", ".join(kept_after)))
