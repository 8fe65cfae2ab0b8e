"""Synthetic topologies for the benchmarks: N clusters, 10 workloads each, 3 traffic stages.

Each cluster runs five services of one inline app in two versions. The first service of every
cluster is called from its neighbour's last service (full mesh only) and every cluster calls the
first service of its primary, so the calls cross clusters exactly where VPN links exist.

The VPN is written as link sets, and what clusters share as cluster defaults, the way a person
would write it: a full mesh is one entry, hubs and spokes one entry (plus a full mesh of the
primaries when there are several). ``sets=False`` writes the same topology link by link, each
listening address and context spelled out, as it had to be written before link sets; both build
the same output.
"""

from __future__ import annotations

import ipaddress
from typing import Any

SERVICES_PER_CLUSTER = 5
VERSIONS = ("v1", "v2")


def cluster_name(i: int) -> str:
    return f"c{i:03d}"


LISTEN_POOL = "100.96.0.0/11"
"""Where listening releases past a cluster's first get their addresses, shared by all."""


def synthetic(clusters: int, primaries: int = 1, vpn: str = "mesh", gitops: bool = False,
              sets: bool = True) -> dict[str, Any]:
    """A valid topology as data. ``vpn`` is ``mesh`` (every pair linked) or ``hub``. With
    ``gitops`` it is delivered by Flux and Argo CD too (the remotes then reach istiod through
    the primaries' east-west gateways, whose addresses Argo CD needs). ``sets`` writes the
    links as link sets (else one by one)."""
    if vpn not in ("mesh", "hub"):
        raise ValueError("vpn is mesh or hub")
    names = [cluster_name(i) for i in range(clusters)]
    primary_of = {n: names[i % primaries] for i, n in enumerate(names)}
    pods = ipaddress.ip_network("10.0.0.0/8").subnets(new_prefix=20)
    services = ipaddress.ip_network("172.16.0.0/12").subnets(new_prefix=24)
    gateway = ipaddress.ip_address("100.64.0.1")
    data_clusters = []
    for i, name in enumerate(names):
        entry: dict[str, Any] = {"name": name}
        if not sets:
            entry["context"] = f"{name}-admin"
        entry.update({
            "role": "primary" if i < primaries else "remote",
            "podCIDR": str(next(pods)),
            "serviceCIDR": str(next(services)),
            "vpnGateway": str(gateway + i),
        })
        if i >= primaries and primaries > 1:
            entry["primary"] = primary_of[name]
        data_clusters.append(entry)

    links = (_link_sets(names, primaries, vpn) if sets
             else _links(names, primaries, primary_of, vpn))

    app_services = []
    placement: dict[str, list[str]] = {}
    for i, name in enumerate(names):
        placement[name] = []
        for j in range(SERVICES_PER_CLUSTER):
            service = f"{name}-s{j}"
            calls = []
            if j + 1 < SERVICES_PER_CLUSTER:
                calls.append(f"{name}-s{j + 1}")
            elif primary_of[name] != name:
                calls.append(f"{primary_of[name]}-s0")
            if vpn == "mesh" and j == SERVICES_PER_CLUSTER - 1 and clusters > 1:
                neighbour = names[(i + 1) % clusters]
                if f"{neighbour}-s0" not in calls:
                    calls.append(f"{neighbour}-s0")
            app_services.append({
                "name": service,
                "ports": [{"name": "http", "port": 8080}],
                "calls": calls,
                "versions": [{"name": v, "image": f"registry.example/{service}:{v}"}
                             for v in VERSIONS],
            })
            placement[name] += [f"{service}-{v}" for v in VERSIONS]

    routed = [s["name"] for s in app_services[: min(50, len(app_services))]]
    stages = [
        {"name": "all-v1", "routes": {s: "v1" for s in routed}},
        {"name": "canary", "routes": {s: {"v1": 90, "v2": 10} for s in routed}},
        {"name": "testers", "routes": {s: [
            {"match": {"headers": {"end-user": {"exact": "tester"}}}, "to": "v2"},
            {"to": "v1"},
        ] for s in routed}},
    ]
    data: dict[str, Any] = {
        "apiVersion": "meshgen/v1",
        "name": f"synthetic-{clusters}-{vpn}-{primaries}p",
        "description": f"{clusters} clusters, {vpn} VPN, {primaries} primaries (benchmark)",
        "istio": {"model": "multi-primary" if primaries > 1 else "primary-remote"},
    }
    if sets:
        data["clusterDefaults"] = {"context": "<name>-admin", "listenPool": [LISTEN_POOL]}
    data.update({
        "clusters": data_clusters,
        "vpn": links,
        "apps": [{
            "name": "shop",
            "namespace": "shop",
            "ingress": names[0],
            "services": app_services,
            "entry": {"service": app_services[0]["name"], "uris": [{"prefix": "/"}]},
            "placement": placement,
        }],
        "traffic": stages,
    })
    if gitops:
        data["name"] += "-gitops"
        # Argo CD's remotes reach istiod through the primaries' east-west gateways.
        data["istio"]["controlPlanePath"] = "eastwest-gateway"
        for i, entry in enumerate(data_clusters[:primaries]):
            entry["eastWestGatewayIP"] = str(ipaddress.ip_address("100.127.255.1") + i)
        data["delivery"] = {"gitops": ["flux", "argocd"],
                            "repository": {"url": "https://git.example/fleet.git"},
                            "activeStage": "canary"}
    return data


def _link_sets(names: list[str], primaries: int, vpn: str) -> list[dict[str, Any]]:
    """Every pair as one full mesh; or each remote to its own primary as one hub and spoke,
    the primaries joined by a full mesh of their own."""
    if vpn == "mesh":
        return [{"fullMesh": "all", "psk": {"env": "PSK_<a>_<b>"}}]
    hubs: dict[str, Any] = {"hubs": names[:primaries],
                            "spokes": "all" if primaries == 1 else "remotes",
                            "psk": {"env": "PSK_<spoke>_<hub>"}}
    if primaries == 1:
        return [hubs]
    return [hubs, {"fullMesh": names[:primaries], "psk": {"env": "PSK_<a>_<b>"}}]


def _links(names: list[str], primaries: int, primary_of: dict[str, str], vpn: str
           ) -> list[dict[str, Any]]:
    """The same links one by one, each listening address written out."""
    if vpn == "mesh":
        pairs = [(a, b) for k, a in enumerate(names) for b in names[k + 1:]]
    else:
        pairs = [(a, primary_of[a]) for a in names[primaries:]]
        pairs += [(a, b) for k, a in enumerate(names[:primaries]) for b in names[k + 1:primaries]]
    # Each listening release needs an address of its own: a cluster's first listening link uses
    # its vpnGateway, every further one a listenAddress.
    extra = ipaddress.ip_network(LISTEN_POOL).hosts()
    listening: set[str] = set()
    links = []
    for a, b in pairs:
        link: dict[str, Any] = {"between": [a, b], "psk": {"env": f"PSK_{a}_{b}".upper()}}
        if b in listening:
            link["listenAddress"] = str(next(extra))
        listening.add(b)
        links.append(link)
    return links
