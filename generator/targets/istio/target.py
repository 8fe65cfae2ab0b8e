"""``<cluster>/istio/``: the Istio install of every cluster, and the runbook steps applying it.

Istio 1.20+ (the default): each primary gets an IstioOperator for ``istioctl install -f`` and
the same settings as values for the ``istio/base`` and ``istio/istiod`` Helm charts; clusters
that need one get an east-west gateway (IstioOperator and ``istio/gateway`` values); remotes
get the ``remote`` profile pointed at their primary. A remote reaches istiod
(``istio.controlPlanePath``) inside the VPN, at the cluster IP of a Service on its primary, or
through the primary's east-west gateway, which expose-istiod opens. Istio config
(expose-istiod, the cross-network gateway, mesh-wide mTLS) goes to primaries only. Remote
secrets are never generated: the runbook pipes them from istioctl.

Istio 1.0 (``version: "1.0"``) is in :mod:`.legacy`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...artifacts import Artifact, Kind
from ...model import Cluster, ControlPlanePath, NetworkMode, Topology
from ...templating import render_template
from ...yamlout import dump, dump_all
from ..base import Order, Step, Target
from ..namespaces import ISTIO_NAMESPACE
from . import legacy
from . import objects as obj
from . import paths as p
from . import steps as modern


def _ca_script(cluster: Cluster) -> Artifact:
    path = p.path(cluster, p.CACERTS)
    return Artifact(path, render_template("istio-cacerts.sh.j2", cluster=cluster.name, path=path,
                                          istio_namespace=ISTIO_NAMESPACE),
                    Kind.SCRIPT, executable=True)


def _chart_values(t: Topology, cluster: Cluster) -> Iterator[Artifact]:
    """Helm values for istio/base and istio/istiod: the same pair on primaries and remotes."""
    yield Artifact(p.path(cluster, p.BASE_VALUES), dump(obj.base_values(cluster)),
                   Kind.ISTIO_BASE_VALUES)
    yield Artifact(p.path(cluster, p.ISTIOD_VALUES), dump(obj.istiod_values(t, cluster)),
                   Kind.ISTIOD_VALUES)


def _primary(t: Topology, cluster: Cluster) -> Iterator[Artifact]:
    yield Artifact(p.path(cluster, p.CONTROL_PLANE), dump(obj.primary_operator(t, cluster)),
                   Kind.ISTIO_OPERATOR)
    yield from _chart_values(t, cluster)
    if t.is_ingress(cluster):
        yield Artifact(p.path(cluster, p.INGRESS_VALUES), dump(obj.ingress_gateway_values()),
                       Kind.ISTIO_GATEWAY_VALUES)
    if t.has_remotes(cluster) and t.istio.path is ControlPlanePath.EASTWEST_GATEWAY:
        yield Artifact(p.path(cluster, p.EXPOSE_ISTIOD), dump_all(obj.expose_istiod(t.istio)),
                       Kind.MANIFESTS, Order.MESH)
    if t.reaches_istiod_over_vpn(cluster):
        yield Artifact(p.path(cluster, p.ISTIOD_VPN), dump(obj.istiod_vpn_service()),
                       Kind.MANIFESTS, Order.MESH)
        path = p.path(cluster, p.ISTIOD_ADDRESS)
        yield Artifact(
            path,
            render_template("istio-istiod-address.sh.j2", cluster=cluster.name, path=path,
                            context=cluster.context, service=obj.ISTIOD_VPN_NAME,
                            service_cidr=cluster.service_cidr,
                            manifest=p.path(cluster, p.ISTIOD_VPN),
                            istio_namespace=ISTIO_NAMESPACE),
            Kind.SCRIPT,
            executable=True,
        )
    if t.istio.network is NetworkMode.PER_CLUSTER:
        yield Artifact(p.path(cluster, p.CROSS_NETWORK), dump(obj.cross_network_gateway(t.istio)),
                       Kind.MANIFESTS, Order.MESH)
    yield Artifact(p.path(cluster, p.PEER_AUTHENTICATION), dump(obj.peer_authentication(t)),
                   Kind.MANIFESTS, Order.MESH)


def _remote(t: Topology, cluster: Cluster) -> Iterator[Artifact]:
    if t.config_cluster_of(cluster) is None:
        return
    yield Artifact(p.path(cluster, p.CONTROL_PLANE), dump(obj.remote_operator(t, cluster)),
                   Kind.ISTIO_OPERATOR)
    yield from _chart_values(t, cluster)


def _eastwest(t: Topology, cluster: Cluster) -> Iterator[Artifact]:
    yield Artifact(p.path(cluster, p.EASTWEST), dump(obj.eastwest_operator(cluster)),
                   Kind.ISTIO_OPERATOR)
    yield Artifact(p.path(cluster, p.EASTWEST_VALUES), dump(obj.eastwest_gateway_values(cluster)),
                   Kind.ISTIO_GATEWAY_VALUES)
    if t.has_remotes(cluster) and t.istio.path is ControlPlanePath.EASTWEST_GATEWAY:
        path = p.path(cluster, p.EASTWEST_ADDRESS)
        yield Artifact(
            path,
            render_template("istio-eastwest-address.sh.j2", cluster=cluster.name, path=path,
                            context=cluster.context, expected=cluster.east_west_ip or "",
                            istio_namespace=ISTIO_NAMESPACE),
            Kind.SCRIPT,
            executable=True,
        )


def artifacts(t: Topology) -> Iterator[Artifact]:
    for cluster in t.clusters:
        if modern.runs_istiod(t, cluster):
            yield _ca_script(cluster)
        if t.istio.legacy:
            continue
        if cluster.is_primary:
            yield from _primary(t, cluster)
        else:
            yield from _remote(t, cluster)
        if t.has_eastwest_gateway(cluster):
            yield from _eastwest(t, cluster)
    if t.istio.legacy:
        yield from legacy.artifacts(t)


def steps(t: Topology) -> Iterator[Step]:
    if t.istio.legacy:
        yield from legacy.steps(t)
    else:
        yield from modern.steps(t)


TARGET = Target("istio", artifacts, steps)
