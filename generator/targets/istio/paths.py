"""Where the Istio files of a cluster live, and shell snippets the runbook steps share."""

from __future__ import annotations

import shlex

from ...model import Cluster, Topology
from ..namespaces import ISTIO_NAMESPACE
from ..shell import istioctl

q = shlex.quote

CONTROL_PLANE = "istio/control-plane.yaml"
EASTWEST = "istio/eastwest-gateway.yaml"
BASE_VALUES = "istio/base-values.yaml"
ISTIOD_VALUES = "istio/istiod-values.yaml"
EASTWEST_VALUES = "istio/eastwest-gateway-values.yaml"
INGRESS_VALUES = "istio/ingress-gateway-values.yaml"
EXPOSE_ISTIOD = "istio/expose-istiod.yaml"
CROSS_NETWORK = "istio/cross-network-gateway.yaml"
PEER_AUTHENTICATION = "istio/peer-authentication.yaml"
EASTWEST_ADDRESS = "istio/eastwest-address.sh"
ISTIOD_VPN = "istio/istiod-vpn.yaml"
ISTIOD_ADDRESS = "istio/istiod-address.sh"
CACERTS = "istio/cacerts.sh"
LEGACY_REMOTE_VALUES = "istio/istio-remote-values.sh"
LEGACY_KUBECONFIG = "istio/kubeconfig.sh"


def path(cluster: Cluster, name: str) -> str:
    """Path of one of ``cluster``'s files, relative to ``output/<topology>/``."""
    return f"{cluster.name}/{name}"


CHARTS_REPOSITORY = "https://istio-release.storage.googleapis.com/charts"
"""Where Istio publishes its Helm charts, one version per release."""
HELM_REPO_ADD = f"helm repo add istio {CHARTS_REPOSITORY}"


def helm_install(t: Topology, cluster: Cluster, release: str, chart: str, file: str) -> str:
    """``helm install`` of one Istio chart, at the topology's Istio version, into istio-system
    from one of the cluster's files."""
    return (f"helm install {release} {chart} --version {q(t.istio.version)} -n "
            f"{ISTIO_NAMESPACE} --kube-context {q(cluster.context)} -f {q(path(cluster, file))}")


def istioctl_install(cluster: Cluster, file: str, *more: str) -> str:
    """``istioctl install`` of one of the cluster's IstioOperator files."""
    return istioctl(cluster, "install", "-y", "-f", path(cluster, file), *more)


def address_variable(cluster: Cluster) -> str:
    """Shell variable holding the east-west gateway address of ``cluster`` in apply.sh."""
    return "EASTWEST_" + _shell_name(cluster)


def istiod_variable(cluster: Cluster) -> str:
    """Shell variable holding the address of istiod of ``cluster`` inside the VPN."""
    return "ISTIOD_" + _shell_name(cluster)


def _shell_name(cluster: Cluster) -> str:
    return cluster.name.upper().replace("-", "_")


def state_dir(t: Topology) -> str:
    """Sets STATE_DIR: where apply-time files live (outside output/; some hold credentials)."""
    return f'STATE_DIR="${{MESHGEN_STATE_DIR:-$HOME/.meshgen/{t.name}}}"'


def ca_dir(t: Topology) -> str:
    """Sets CA_DIR: the mesh's root CA and each cluster's intermediate (private keys)."""
    return f'CA_DIR="${{MESHGEN_CA_DIR:-$HOME/.meshgen/{t.name}/ca}}"'
