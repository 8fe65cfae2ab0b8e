"""Istio install objects as data: IstioOperators, Helm values, gateways, mesh-wide policy.

Every function returns plain dicts (with :class:`~generator.yamlout.Commented` where a value
needs explaining) for one cluster of an Istio 1.20+ mesh; which clusters get which object is
decided in :mod:`.istio`.
"""

from __future__ import annotations

import textwrap
from typing import Any

from ...model import Cluster, ControlPlanePath, Istio, Topology
from ...yamlout import Commented
from ..namespaces import ISTIO_NAMESPACE
from .apis import networking_api, security_api

OPERATOR_API = "install.istio.io/v1alpha1"

EASTWEST_NAME = "istio-eastwestgateway"
EASTWEST_LABELS = {"istio": "eastwestgateway", "app": EASTWEST_NAME}
INGRESS_NAME = "istio-ingressgateway"
INGRESS_LABELS = {"istio": "ingressgateway", "app": INGRESS_NAME}
ISTIOD_HOST = f"istiod.{ISTIO_NAMESPACE}.svc.cluster.local"
ISTIOD_VPN_NAME = "istiod-vpn"
"""The Service through which remotes reach istiod inside the VPN."""
# What Service istiod of the default revision selects.
ISTIOD_SELECTOR = {"app": "istiod", "istio": "pilot"}
# The ports a remote's istiod Service and its endpoint use (the istiod chart's remote
# templates): configuration and certificates, and the injection webhook. istiod's own Service
# serves the webhook on 443, so remotes need a Service of their own.
ISTIOD_REMOTE_PORTS = (("tcp-istiod", 15012), ("tcp-webhook", 15017))

# Ports of the east-west gateway's Service: health, cross-network mTLS, istiod (xDS and CA),
# istiod's injection and validation webhooks.
EASTWEST_PORTS = (
    ("status-port", 15021),
    ("tls", 15443),
    ("tls-istiod", 15012),
    ("tls-webhook", 15017),
)


def note(value: Any, comment: str) -> Commented:
    """``value`` with ``comment`` above its key, wrapped to fit beside generated YAML."""
    return Commented(value, textwrap.fill(comment, width=92))


def injection_path(cluster: Cluster) -> str:
    return f"/inject/cluster/{cluster.name}/net/{cluster.network}"


def _metadata(name: str) -> dict[str, Any]:
    return {"name": name, "namespace": ISTIO_NAMESPACE}


def _mesh_globals(t: Topology, cluster: Cluster) -> dict[str, Any]:
    return {
        "meshID": t.istio.mesh_id,
        "multiCluster": {"clusterName": cluster.name},
        "network": cluster.network,
    }


def _external_istiod(t: Topology) -> str:
    how = ("inside the VPN, at the cluster IP of Service " + ISTIOD_VPN_NAME
           if t.istio.path is ControlPlanePath.VPN else "through the east-west gateway")
    return f"istiod also serves the remotes of this cluster ({how})"


def _pilot_address(t: Topology, cluster: Cluster) -> tuple[str | None, str]:
    """The address at which a remote reaches istiod on its primary, and a comment saying where
    it comes from. The address is None when it is only known at apply time."""
    primary = t.config_cluster_of(cluster)
    assert primary is not None
    if t.istio.path is ControlPlanePath.VPN:
        return None, (
            f"remotePilotAddress is the cluster IP of Service {ISTIOD_VPN_NAME} on "
            f"{primary.name}, inside its service range {primary.service_cidr}, which the VPN "
            f"carries: sidecars reach istiod there on 15012, and the API server of "
            f"{cluster.name} its injection webhook on 15017 (through this cluster's istiod "
            "Service). apply.sh reads it (kubectl get service "
            f"{ISTIOD_VPN_NAME}) into a variable and passes it with --set (istioctl: "
            "values.global.remotePilotAddress, Helm: global.remotePilotAddress)"
        )
    if primary.east_west_ip:
        return primary.east_west_ip, (
            f"east-west gateway of {primary.name} (eastWestGatewayIP in the topology); an IP, "
            "not a hostname: a hostname makes istiod an ExternalName Service and breaks "
            "injection (istio/istio#45014)"
        )
    return None, (
        f"remotePilotAddress is the address of {primary.name}'s east-west gateway, unknown until "
        "that gateway is installed: apply.sh reads it (kubectl get svc istio-eastwestgateway) "
        "into a variable and passes it with --set (istioctl: values.global.remotePilotAddress, "
        f"Helm: global.remotePilotAddress). Set eastWestGatewayIP on cluster {primary.name} to "
        "write it here instead"
    )


def _primary_globals(t: Topology, cluster: Cluster) -> dict[str, Any]:
    """A primary's global values: the mesh's, and externalIstiod where it serves remotes."""
    global_values = _mesh_globals(t, cluster)
    if t.has_remotes(cluster):
        global_values["externalIstiod"] = note(True, _external_istiod(t))
    return global_values


def _remote_values(t: Topology, cluster: Cluster, global_values: dict[str, Any],
                   values: dict[str, Any]) -> dict[str, Any]:
    """``values`` with a remote's ``global`` (the primary's address, or why it is set at apply
    time) and ``istiodRemote``, in that order; the same for istioctl and Helm."""
    address, why = _pilot_address(t, cluster)
    if address is not None:
        global_values["remotePilotAddress"] = note(address, why)
        values["global"] = global_values
    else:
        values["global"] = note(global_values, why)
    values["istiodRemote"] = {"injectionPath": injection_path(cluster)}
    return values


# --- istioctl: IstioOperator ---------------------------------------------------------------


def primary_operator(t: Topology, cluster: Cluster) -> dict[str, Any]:
    global_values = _primary_globals(t, cluster)
    ingress: dict[str, Any] = {"name": INGRESS_NAME, "enabled": t.is_ingress(cluster)}
    if t.is_ingress(cluster):
        ingress["label"] = dict(INGRESS_LABELS)
    spec: dict[str, Any] = {
        "profile": "default",
        "values": {"global": global_values},
        "components": {
            "ingressGateways": [
                note(ingress, "the ingress gateway for apps; only where an app names this "
                          "cluster as its ingress"),
            ],
        },
    }
    return {
        "apiVersion": OPERATOR_API,
        "kind": "IstioOperator",
        "metadata": _metadata("control-plane"),
        "spec": spec,
    }


def remote_operator(t: Topology, cluster: Cluster) -> dict[str, Any]:
    values = _remote_values(t, cluster, _mesh_globals(t, cluster), {})
    return {
        "apiVersion": OPERATOR_API,
        "kind": "IstioOperator",
        "metadata": _metadata("control-plane"),
        "spec": {"profile": "remote", "values": values},
    }


def _requested_address(cluster: Cluster) -> dict[str, Any]:
    """The gateway Service's ``loadBalancerIP`` when the topology reserves an address for it:
    remotes are told that address, so the cloud must be asked for it, not left to pick one."""
    if not cluster.east_west_ip:
        return {}
    return {"loadBalancerIP": note(cluster.east_west_ip, "eastWestGatewayIP of the topology, "
                                   "asked of the cloud's load balancer")}


def eastwest_operator(cluster: Cluster) -> dict[str, Any]:
    labels = {**EASTWEST_LABELS, "topology.istio.io/network": cluster.network}
    gateway = {
        "name": EASTWEST_NAME,
        "label": labels,
        "enabled": True,
        "k8s": {
            "env": [
                note({"name": "ISTIO_META_REQUESTED_NETWORK_VIEW", "value": cluster.network},
                          "traffic through this gateway is for endpoints of its own network"),
            ],
            "service": {
                "ports": [{"name": name, "port": port, "targetPort": port}
                          for name, port in EASTWEST_PORTS],
                **_requested_address(cluster),
            },
        },
    }
    return {
        "apiVersion": OPERATOR_API,
        "kind": "IstioOperator",
        "metadata": _metadata("eastwest"),
        "spec": {
            "profile": note("empty", "only the gateway: the control plane is installed by "
                                 "control-plane.yaml"),
            "components": {"ingressGateways": [gateway]},
            "values": {
                "gateways": {"istio-ingressgateway": {"injectionTemplate": "gateway"}},
                "global": {"network": cluster.network},
            },
        },
    }


# --- Helm: istio/base, istio/istiod, istio/gateway -----------------------------------------


def base_values(cluster: Cluster) -> dict[str, Any]:
    if cluster.is_primary:
        return {"global": {"istioNamespace": ISTIO_NAMESPACE}}
    return {"profile": note("remote", "no control plane here: the remote profile")}


def istiod_values(t: Topology, cluster: Cluster) -> dict[str, Any]:
    if cluster.is_primary:
        return {"global": _primary_globals(t, cluster)}
    global_values = _mesh_globals(t, cluster)
    global_values["configCluster"] = True
    values: dict[str, Any] = {
        "profile": note("remote", "istiod runs on the primary; this installs the injection "
                             "webhook and the remote's service account"),
    }
    return _remote_values(t, cluster, global_values, values)


def eastwest_gateway_values(cluster: Cluster) -> dict[str, Any]:
    # The chart labels the gateway app/istio from its name, and networkGateway adds the network
    # label: written again under labels it would be a duplicate key in the pod's labels.
    values: dict[str, Any] = {
        "name": EASTWEST_NAME,
        "networkGateway": note(cluster.network, "makes this the network's gateway: adds "
                                    "ports 15443, 15012 and 15017 and the network label"),
    }
    requested = _requested_address(cluster)
    if requested:
        values["service"] = requested
    return values


def ingress_gateway_values() -> dict[str, Any]:
    return {"name": INGRESS_NAME, "labels": dict(INGRESS_LABELS)}


def istiod_vpn_service() -> dict[str, Any]:
    """The Service whose cluster IP remotes reach istiod at, through the VPN."""
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": _metadata(ISTIOD_VPN_NAME),
        "spec": {
            "type": note("ClusterIP", "an address in this cluster's service range, which the "
                                      "VPN links of its remotes carry"),
            "selector": dict(ISTIOD_SELECTOR),
            "ports": [{"name": name, "port": port, "targetPort": port, "protocol": "TCP"}
                      for name, port in ISTIOD_REMOTE_PORTS],
        },
    }


# --- Istio config ---------------------------------------------------------------------------


def expose_istiod(istio: Istio) -> list[dict[str, Any]]:
    """Gateway and VirtualService that pass istiod's ports through the east-west gateway."""
    ports = (("tls-istiod", 15012, 15012), ("tls-istiodwebhook", 15017, 443))
    gateway = {
        "apiVersion": networking_api(istio),
        "kind": "Gateway",
        "metadata": _metadata("istiod-gateway"),
        "spec": {
            "selector": {"istio": "eastwestgateway"},
            "servers": [
                {
                    "port": {"name": name, "number": port, "protocol": "tls"},
                    "tls": {"mode": "PASSTHROUGH"},
                    "hosts": ["*"],
                }
                for name, port, _ in ports
            ],
        },
    }
    virtual_service = {
        "apiVersion": networking_api(istio),
        "kind": "VirtualService",
        "metadata": _metadata("istiod-vs"),
        "spec": {
            "hosts": ["*"],
            "gateways": ["istiod-gateway"],
            "tls": [
                {
                    "match": [{"port": port, "sniHosts": ["*"]}],
                    "route": [{"destination": {"host": ISTIOD_HOST,
                                               "port": {"number": target}}}],
                }
                for _, port, target in ports
            ],
        },
    }
    return [gateway, virtual_service]


def cross_network_gateway(istio: Istio) -> dict[str, Any]:
    return {
        "apiVersion": networking_api(istio),
        "kind": "Gateway",
        "metadata": _metadata("cross-network-gateway"),
        "spec": {
            "selector": {"istio": "eastwestgateway"},
            "servers": [
                {
                    "port": {"number": 15443, "name": "tls", "protocol": "TLS"},
                    "tls": {"mode": "AUTO_PASSTHROUGH"},
                    "hosts": ["*.local"],
                },
            ],
        },
    }


def peer_authentication(t: Topology) -> dict[str, Any]:
    mode = "STRICT" if t.istio.mtls_strict else "PERMISSIVE"
    why = ("sidecars accept only mutual TLS" if t.istio.mtls_strict
           else "sidecars accept mutual TLS and plain text (istio.mtls: permissive)")
    return {
        "apiVersion": security_api(t.istio),
        "kind": "PeerAuthentication",
        "metadata": note(_metadata("default"),
                              "named default in the root namespace: applies to the whole mesh"),
        "spec": {"mtls": {"mode": note(mode, why)}},
    }
