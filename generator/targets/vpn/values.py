"""``<cluster>/vpn/<peer>/values.yaml``: one end of a link as values of the strongSwan chart.

Only keys the chart (2.10.7) knows are written, each choice that differs from the chart's
default with the reason beside it. The pre-shared key is never written: the runbook passes it
at install time with ``--set-file preshared.secret=...``.
"""

from __future__ import annotations

from typing import Any

from ...yamlout import Commented
from .ends import CHART, CHART_VERSION, NAMESPACE, LinkEnd

# Chart defaults the values below are compared with (chart 2.10.7, helm/strongswan/values.yaml).
CHART_DEFAULTS: dict[str, Any] = {
    "ipsec": {
        "keyexchange": "ikev2",
        "auto": "add",
        "closeaction": "auto",
        "dpdaction": "restart",
        "ikelifetime": "3h",
        "keyingtries": "%forever",
        "lifetime": "1h",
        "margintime": "9m",
        "additionalOptions": {},
    },
    "remote": {"gateway": "%any"},
}
STRONGSWAN_DPD_DELAY = "30s"
"""``dpddelay`` of ipsec.conf when not set; the chart has no key for it."""

HELM_TESTS = "check-config,check-state"


def strict(proposals: str) -> str:
    """Proposals ending in ``!``: ipsec.conf then offers exactly these, not its defaults too."""
    return proposals.rstrip("!") + "!"


def _from_topology(value: str, default: str, what: str) -> str | Commented:
    if value == default:
        return value
    return Commented(value, f"{what} from the topology (chart default {default})")


def _ipsec(end: LinkEnd) -> dict[str, Any]:
    link, defaults = end.link, CHART_DEFAULTS["ipsec"]
    peer = end.peer.name
    ipsec: dict[str, Any] = {
        "keyexchange": _from_topology(link.key_exchange, defaults["keyexchange"], "IKE version"),
        "ike": Commented(
            strict(link.ike),
            "IKE proposals of the link; the trailing ! keeps strongSwan from adding its default\n"
            "(weaker) proposals, so neither end can be talked down to them",
        ),
        "esp": Commented(strict(link.esp), "ESP proposals of the link, strict in the same way"),
        "auto": Commented("start", f"this end starts the tunnel; {peer} listens")
        if end.initiates
        else Commented("add", f"this end listens; {peer} starts the tunnel"),
        "closeaction": _from_topology(link.close_action, defaults["closeaction"],
                                      "close action"),
        "dpdaction": _from_topology(link.dpd_action, defaults["dpdaction"],
                                    "dead peer detection action"),
        "ikelifetime": _from_topology(link.ike_lifetime, defaults["ikelifetime"],
                                      "IKE SA lifetime"),
        "lifetime": _from_topology(link.lifetime, defaults["lifetime"], "IPsec SA lifetime"),
        "margintime": _from_topology(link.margin_time, defaults["margintime"],
                                     "re-key margin"),
    }
    if link.dpd_delay != STRONGSWAN_DPD_DELAY and link.dpd_action != "none":
        ipsec["additionalOptions"] = Commented(
            f"dpddelay={link.dpd_delay}",
            f"the chart has no key for the dead peer detection interval; strongSwan's default\n"
            f"is {STRONGSWAN_DPD_DELAY}, the topology asks for {link.dpd_delay}",
        )
    return ipsec


def chart_values(end: LinkEnd) -> Commented:
    """The values document of one end, comments included (dump it with ``yamlout.dump``)."""
    local, peer = end.local, end.peer
    values: dict[str, Any] = {
        "validate": Commented(
            "strict",
            "the chart default, kept explicit: the VPN pod refuses, at start, settings that\n"
            "cannot work in a cluster",
        ),
        "enablePodSNAT": Commented(
            "false",
            "pods keep their own addresses across the tunnel: the mesh reaches endpoints by\n"
            "pod IP, and traffic rewritten to a worker's address would fall outside the\n"
            "tunnel's pod range (chart default auto)",
        ),
    }
    if not end.initiates:
        source = "listenAddress of the link" if end.link.listen_address else (
            f"vpnGateway of {local.name}")
        values["loadBalancerIP"] = Commented(
            end.listen_address,
            f"{source}: the address {peer.name} connects to; reserve it for\n"
            "this release's LoadBalancer service (UDP 500 and 4500)",
        )
    values["helmTestsToRun"] = Commented(
        HELM_TESTS,
        "the ping tests need remote.privateIPtoPing, an address of a pod in the peer's\n"
        "pod range, which is not known before that pod runs (chart default ALL)",
    )
    values["ipsec"] = _ipsec(end)
    values["local"] = {
        "subnet": Commented(
            end.local_subnets,
            f"service and pod ranges of {local.name}; {peer.name}'s remote.subnet lists the same",
        ),
        "id": Commented(local.name, f"{peer.name} expects this identity as its remote.id"),
    }
    remote: dict[str, Any] = {}
    if end.initiates:
        source = "listenAddress of the link" if end.link.listen_address else (
            f"vpnGateway of {peer.name}")
        remote["gateway"] = Commented(
            end.listen_address, f"{source}, where {peer.name}'s release listens"
        )
    remote["subnet"] = Commented(
        end.remote_subnets,
        f"service and pod ranges of {peer.name}; its local.subnet lists the same",
    )
    remote["id"] = Commented(peer.name, f"the identity {peer.name} sends as its local.id")
    values["remote"] = remote
    header = (
        f"{local.name}'s end of the VPN link with {peer.name}: values of the {CHART} chart "
        f"{CHART_VERSION},\n"
        f"installed as release {end.release} in {NAMESPACE}. The pre-shared key "
        f"({end.link.psk}) is not in\n"
        "this file: the runbook passes it at install time with --set-file preshared.secret."
    )
    return Commented(values, header)
