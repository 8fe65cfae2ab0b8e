"""Runbook steps of an Istio 1.20+ install: root CA, control planes, gateways, remotes, secrets.

Steps of one phase run in the order given here; apply.sh runs every step in one shell, so an
address read in one step (``EASTWEST_<CLUSTER>``) is there for the later ones.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

from ...artifacts import Chart
from ...model import Cluster, ControlPlanePath, NetworkMode, Topology
from ..base import Phase, Step
from ..namespaces import ISTIO_NAMESPACE
from ..shell import Shell, istioctl, kubectl, pipe
from . import objects as obj
from . import paths as p
from .paths import q

CACERTS_FILES = ("ca-cert.pem", "ca-key.pem", "root-cert.pem", "cert-chain.pem")


def watched_clusters(t: Topology, primary: Cluster) -> tuple[Cluster, ...]:
    """Clusters whose API server ``primary``'s istiod reads (through a remote secret)."""
    return tuple(c for c in t.clusters if c.name != primary.name)


def apply_namespaces(cluster: Cluster) -> str:
    """Applies the cluster's namespaces, so that istio-system exists, with its labels and
    annotations, before Istio is installed there."""
    return kubectl(cluster, "apply", "-f", p.path(cluster, "namespaces.yaml"))


def runs_istiod(t: Topology, cluster: Cluster) -> bool:
    """True for a cluster with an istiod of its own, the only kind that needs a CA key.

    A remote's workloads get their certificates from the istiod of its primary. Istio 1.0's
    Citadel is left self-signed (``security.selfSigned`` defaults to true, which ignores a
    cacerts secret), as the article ran it: mutual TLS is off in istio-demo.yaml.
    """
    return cluster.is_primary and not t.istio.legacy


def root_ca_steps(t: Topology) -> Iterator[Step]:
    for cluster in t.clusters:
        if not runs_istiod(t, cluster):
            continue
        folder = f'"$CA_DIR"/{q(cluster.name)}'
        files = [Shell(f"--from-file={folder}/{name}") for name in CACERTS_FILES]
        yield Step(
            Phase.ROOT_CA,
            f"Plug the mesh's root CA into {cluster.name}",
            (
                p.ca_dir(t),
                apply_namespaces(cluster),
                f'{q(p.path(cluster, p.CACERTS))} "$CA_DIR"',
                pipe(kubectl(cluster, "-n", ISTIO_NAMESPACE, "create", "secret", "generic",
                             "cacerts", *files, "--dry-run=client", "-o", "yaml"),
                     kubectl(cluster, "apply", "-f", "-")),
            ),
            cluster.name,
            (
                "istiod signs workload certificates with an intermediate CA under the mesh's "
                "one root, so workloads of different clusters trust each other. Remotes run no "
                "istiod and get no CA key: their workloads' certificates come from their "
                "primary.",
                "The root and the intermediates are made once in $MESHGEN_CA_DIR (default "
                f"~/.meshgen/{t.name}/ca), outside output/: they hold private keys. Istio's "
                "tools/certs Makefile makes the same files if you prefer it.",
                f"The namespaces are applied first so that {ISTIO_NAMESPACE} exists, with its "
                "network label, before Istio is installed.",
            ),
            tools=("openssl",),
        )


def _primary_step(t: Topology, cluster: Cluster) -> Step:
    helm = [
        p.HELM_REPO_ADD,
        p.helm_install(t, cluster, "istio-base", Chart.ISTIO_BASE, p.BASE_VALUES),
        p.helm_install(t, cluster, "istiod", Chart.ISTIOD, p.ISTIOD_VALUES) + " --wait",
    ]
    if t.is_ingress(cluster):
        helm.append(p.helm_install(t, cluster, "istio-ingressgateway", Chart.ISTIO_GATEWAY,
                                   p.INGRESS_VALUES))
    return Step(
        Phase.ISTIO_PRIMARY,
        f"Install the Istio control plane on {cluster.name}",
        (
            p.istioctl_install(cluster, p.CONTROL_PLANE),
            kubectl(cluster, "apply", "-f", p.path(cluster, p.PEER_AUTHENTICATION)),
        ),
        cluster.name,
        (
            f"istiod for mesh {t.istio.mesh_id}, cluster {cluster.name}, network "
            f"{cluster.network}; then the mesh-wide mutual TLS policy.",
            "With Helm instead of istioctl: " + "; ".join(helm) + ".",
        ),
    )


def _gateway_step(t: Topology, cluster: Cluster) -> Step:
    commands = [p.istioctl_install(cluster, p.EASTWEST)]
    notes = [
        f"The east-west gateway of {cluster.name} (label istio: eastwestgateway, network "
        f"{cluster.network}).",
        "With Helm instead: "
        + p.helm_install(t, cluster, "istio-eastwestgateway", Chart.ISTIO_GATEWAY,
                         p.EASTWEST_VALUES)
        + ".",
    ]
    script = q(p.path(cluster, p.EASTWEST_ADDRESS))
    told = _through_gateway(t, cluster)  # remotes are told this gateway's address
    if told and cluster.east_west_ip:
        commands.append(f"{script} >/dev/null")
        notes.append(f"The remotes of {cluster.name} are given its address, "
                     f"{cluster.east_west_ip} (eastWestGatewayIP); the script waits for the "
                     "gateway's load balancer and stops if it got another address.")
    elif told:
        variable = p.address_variable(cluster)
        commands.append(f'{variable}="$({script})"')
        notes.append(f"The script waits for the gateway's load balancer and its address goes "
                     f"into {variable}, for the install of the remotes of {cluster.name}.")
    return Step(Phase.ISTIO_GATEWAY, f"Install the east-west gateway on {cluster.name}",
                tuple(commands), cluster.name, tuple(notes), tools=("kubectl",))


def _through_gateway(t: Topology, primary: Cluster) -> bool:
    """True for a primary whose remotes reach istiod through its east-west gateway."""
    return t.has_remotes(primary) and t.istio.path is ControlPlanePath.EASTWEST_GATEWAY


def _inside_vpn_step(t: Topology, cluster: Cluster) -> Step:
    variable = p.istiod_variable(cluster)
    return Step(
        Phase.ISTIO_EXPOSE,
        f"Give istiod of {cluster.name} an address inside the VPN",
        (kubectl(cluster, "apply", "-f", p.path(cluster, p.ISTIOD_VPN)),
         f'{variable}="$({q(p.path(cluster, p.ISTIOD_ADDRESS))})"'),
        cluster.name,
        (f"Service {obj.ISTIOD_VPN_NAME} passes ports 15012 (configuration and certificates) "
         "and 15017 (the injection webhook) to istiod. Its cluster IP lies in "
         f"{cluster.name}'s service range {cluster.service_cidr}, which the VPN links of the "
         "remotes carry, and stays put while the Service exists (a pod IP changes when istiod "
         "restarts).",
         f"The script reads that IP into {variable} for the install of the remotes of "
         f"{cluster.name}, and stops if it lies outside the service range the topology gives.",
         "A remote's API server calls the injection webhook through the remote's own istiod "
         "Service, whose endpoint is this IP on port 15017, so that call enters the tunnel from "
         "the remote's nodes as pod traffic does; no public gateway is involved."),
    )


def _expose_steps(t: Topology, cluster: Cluster) -> Iterator[Step]:
    if t.reaches_istiod_over_vpn(cluster):
        yield _inside_vpn_step(t, cluster)
    if _through_gateway(t, cluster):
        yield Step(
            Phase.ISTIO_EXPOSE,
            f"Expose istiod of {cluster.name} through its east-west gateway",
            (kubectl(cluster, "apply", "-f", p.path(cluster, p.EXPOSE_ISTIOD)),),
            cluster.name,
            ("Remotes reach istiod (ports 15012 and 15017) at the gateway's stable address "
             "instead of a pod IP.",),
        )
    if t.istio.network is NetworkMode.PER_CLUSTER:
        yield Step(
            Phase.ISTIO_EXPOSE,
            f"Expose the services of the mesh on the east-west gateways ({cluster.name})",
            (kubectl(cluster, "apply", "-f", p.path(cluster, p.CROSS_NETWORK)),),
            cluster.name,
            ("The cross-network gateway passes mTLS traffic for *.local services through port "
             "15443 of every east-west gateway this istiod configures.",),
        )


def _remote_step(t: Topology, cluster: Cluster) -> Step:
    primary = t.config_cluster_of(cluster)
    assert primary is not None
    commands = []
    address: list[str] = []
    helm_address = ""
    over_vpn = t.istio.path is ControlPlanePath.VPN
    if over_vpn or primary.east_west_ip is None:
        variable, script = (
            (p.istiod_variable(primary), q(p.path(primary, p.ISTIOD_ADDRESS))) if over_vpn
            else (p.address_variable(primary), q(p.path(primary, p.EASTWEST_ADDRESS))))
        # Read again when this step runs on its own, without the step before it.
        commands.append(f'{variable}="${{{variable}:-$({script})}}"')
        address = ["--set", Shell(f'values.global.remotePilotAddress="${variable}"')]
        helm_address = f' --set global.remotePilotAddress="${variable}"'
    commands.insert(0, apply_namespaces(cluster))
    commands.append(p.istioctl_install(cluster, p.CONTROL_PLANE, *address))
    return Step(
        Phase.ISTIO_REMOTE,
        f"Install the remote profile on {cluster.name}",
        tuple(commands),
        cluster.name,
        (
            f"{cluster.name}'s sidecars get their configuration and certificates from istiod on "
            f"{primary.name}, "
            + (f"inside the VPN at the cluster IP of Service {obj.ISTIOD_VPN_NAME}." if over_vpn
               else f"through {primary.name}'s east-west gateway."),
            f"With Helm instead: {p.HELM_REPO_ADD}; "
            + p.helm_install(t, cluster, "istio-base", Chart.ISTIO_BASE, p.BASE_VALUES) + "; "
            + p.helm_install(t, cluster, "istiod", Chart.ISTIOD, p.ISTIOD_VALUES)
            + f"{helm_address}.",
        ),
    )


def remote_secret_steps(t: Topology, primary: Cluster) -> Iterator[Step]:
    for other in watched_clusters(t, primary):
        yield Step(
            Phase.ISTIO_SECRETS,
            f"Let istiod on {primary.name} read {other.name}",
            (pipe(istioctl(other, "create-remote-secret", f"--name={other.name}"),
                  kubectl(primary, "apply", "-f", "-")),),
            primary.name,
            (f"The remote secret holds a token for {other.name}'s API server; it goes straight "
             "from istioctl to the cluster and is never written to output/.",),
        )


def steps(t: Topology) -> Iterator[Step]:
    yield from root_ca_steps(t)
    for cluster in t.primaries:
        yield _primary_step(t, cluster)
    for cluster in t.primaries:
        if t.has_eastwest_gateway(cluster):
            yield _gateway_step(t, cluster)
    for cluster in t.primaries:
        yield from _expose_steps(t, cluster)
    for cluster in t.remotes:
        if t.config_cluster_of(cluster) is not None:
            yield _remote_step(t, cluster)
    for cluster in t.primaries:
        yield from remote_secret_steps(t, cluster)
    # A remote's own gateway is injected by, and gets its certificate from, the primary's
    # istiod, which needs the remote secret first: so it comes after the secrets.
    for cluster in t.remotes:
        if t.has_eastwest_gateway(cluster):
            yield dataclasses.replace(_gateway_step(t, cluster),
                                      phase=Phase.ISTIO_REMOTE_GATEWAY)
