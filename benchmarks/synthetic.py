"""Synthetic topologies for the benchmarks: N clusters, 10 workloads each, 3 traffic stages.

Each cluster runs five services of one inline app in two versions. The first service of every
cluster is called from its neighbour's last service (full mesh only) and every cluster calls the
first service of its primary, so the calls cross clusters exactly where VPN links exist.
"""

from __future__ import annotations

import ipaddress
from typing import Any

SERVICES_PER_CLUSTER = 5
VERSIONS = ("v1", "v2")


def cluster_name(i: int) -> str:
    return f"c{i:03d}"


def synthetic(clusters: int, primaries: int = 1, vpn: str = "mesh",
              gitops: bool = False) -> dict[str, Any]:
    """A valid topology as data. ``vpn`` is ``mesh`` (every pair linked) or ``hub``. With
    ``gitops`` it is delivered by Flux and Argo CD too (each primary then names its east-west
    gateway's address, which Argo CD needs)."""
    if vpn not in ("mesh", "hub"):
        raise ValueError("vpn is mesh or hub")
    names = [cluster_name(i) for i in range(clusters)]
    primary_of = {n: names[i % primaries] for i, n in enumerate(names)}
    pods = ipaddress.ip_network("10.0.0.0/8").subnets(new_prefix=20)
    services = ipaddress.ip_network("172.16.0.0/12").subnets(new_prefix=24)
    gateway = ipaddress.ip_address("100.64.0.1")
    data_clusters = []
    for i, name in enumerate(names):
        entry: dict[str, Any] = {
            "name": name,
            "context": f"{name}-admin",
            "role": "primary" if i < primaries else "remote",
            "podCIDR": str(next(pods)),
            "serviceCIDR": str(next(services)),
            "vpnGateway": str(gateway + i),
        }
        if i >= primaries and primaries > 1:
            entry["primary"] = primary_of[name]
        data_clusters.append(entry)

    if vpn == "mesh":
        pairs = [(a, b) for k, a in enumerate(names) for b in names[k + 1:]]
    else:
        pairs = [(a, primary_of[a]) for a in names[primaries:]]
        pairs += [(a, b) for k, a in enumerate(names[:primaries]) for b in names[k + 1:primaries]]
    # Each listening release needs an address of its own: a cluster's first listening link uses
    # its vpnGateway, every further one a listenAddress.
    extra = ipaddress.ip_network("100.96.0.0/11").hosts()
    listening: set[str] = set()
    links = []
    for a, b in pairs:
        link: dict[str, Any] = {"between": [a, b], "psk": {"env": f"PSK_{a}_{b}".upper()}}
        if b in listening:
            link["listenAddress"] = str(next(extra))
        listening.add(b)
        links.append(link)

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
    }
    if gitops:
        data["name"] += "-gitops"
        for i, entry in enumerate(data_clusters[:primaries]):
            entry["eastWestGatewayIP"] = str(ipaddress.ip_address("100.127.255.1") + i)
        data["delivery"] = {"gitops": ["flux", "argocd"],
                            "repository": {"url": "https://git.example/fleet.git"},
                            "activeStage": "canary"}
    return data
