"""The strongSwan configs of one link end: swanctl.conf and the chart's ipsec.conf.

``ipsec.conf`` is rendered from the end's chart values the way the chart's config map renders
it, so reviewing it shows what the VPN pod will run. ``swanctl.conf`` describes the same tunnel
for any strongSwan 5.9+ gateway, with the settings of ipsec.conf translated to swanctl's
names: lifetimes become re-key times, ``keyingtries=%forever`` becomes ``keyingtries = 0``,
``forceencaps`` becomes ``encap``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ...model import seconds
from ...templating import render_template
from ...text import one_line
from ...yamlout import plain
from .ends import CHART, CHART_VERSION, LinkEnd, chart_close_action, duration
from .scripts import GATEWAY_SCRIPT, SWANCTL_CONF_DIR
from .values import CHART_DEFAULTS, STRONGSWAN_DPD_DELAY

IKE_VERSIONS = {"ikev2": 2, "ikev1": 1, "ike": 0}
# ipsec.conf's dpdaction/closeaction values in swanctl's words ("none" = no action).
DPD_ACTIONS = {"restart": "restart", "clear": "clear", "hold": "trap"}
CLOSE_ACTIONS = {"restart": "start", "hold": "trap", "clear": "none", "none": "none"}


def merged_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` over the chart defaults the config map reads, as the chart sees them."""
    merged: dict[str, Any] = {k: dict(v) for k, v in CHART_DEFAULTS.items()}
    for key, value in plain(values).items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key].update(value)
        else:
            merged[key] = value
    return merged


def _joined(text: str) -> str:
    """The chart's ``replace "\\n" "," | replace " " ""`` on list-like values."""
    return str(text).replace("\n", ",").replace(" ", "")


def chart_ipsec_conf(values: Mapping[str, Any]) -> str:
    """ipsec.conf as the chart's config map renders it from these values."""
    v = merged_values(values)
    ipsec, local, remote = v["ipsec"], v["local"], v["remote"]
    options = ipsec.get("additionalOptions") or ""
    return render_template(
        "ipsec.conf.j2",
        chart=f"{CHART} {CHART_VERSION}",
        ipsec=ipsec,
        esp=_joined(ipsec["esp"]) if ipsec.get("esp") else "",
        ike=_joined(ipsec["ike"]) if ipsec.get("ike") else "",
        closeaction=chart_close_action(ipsec["closeaction"], ipsec["auto"] == "start"),
        additional=str(options).splitlines() if options else [],
        leftsubnet=_joined(local["subnet"]),
        leftid=local["id"],
        right=remote["gateway"],
        rightsubnet=_joined(remote["subnet"]),
        rightid=remote["id"],
    )


def swanctl_conf(end: LinkEnd) -> str:
    link = end.link
    margin = seconds(link.margin_time)
    dpd_action = DPD_ACTIONS.get(link.dpd_action)
    return render_template(
        "swanctl.conf.j2",
        end=end,
        gateway_script=GATEWAY_SCRIPT,
        conf_dir=SWANCTL_CONF_DIR,
        psk=one_line(str(link.psk)),
        version=IKE_VERSIONS[link.key_exchange],
        local_addrs=(end.local.vpn_gateway or "%any") if end.initiates else end.listen_address,
        # A chart release that starts a tunnel connects from a worker's address, so the
        # listening end accepts the initiator from anywhere; the PSK and identities decide.
        remote_addrs=end.listen_address if end.initiates else "%any",
        proposals=link.ike.rstrip("!"),
        esp_proposals=link.esp.rstrip("!"),
        ike_rekey=duration(seconds(link.ike_lifetime) - margin),
        child_rekey=duration(seconds(link.lifetime) - margin),
        child_life=link.lifetime,
        margin=link.margin_time,
        dpd_delay=(link.dpd_delay or STRONGSWAN_DPD_DELAY) if dpd_action else None,
        dpd_action=dpd_action,
        start_action="start" if end.initiates else "none",
        close_action=CLOSE_ACTIONS[end.close_action],
    )
