"""``<cluster>/vpn/<peer>/``: both ends of every strongSwan link, and the steps installing them.

Each end gets the values of its chart release (``values.yaml``), the ipsec.conf the chart
renders from them (``ipsec.conf``, for review), the same tunnel for a plain strongSwan gateway
(``swanctl.conf``) and the script installing it there (``install-gateway.sh``). The runbook's
helpers ``vpn-install.sh`` and ``vpn-check.sh`` sit at the top of the output folder. See
:mod:`.values`, :mod:`.configs`, :mod:`.scripts`, :mod:`.steps`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...artifacts import Artifact, Kind
from ...model import Topology
from ...yamlout import dump
from ..base import Target
from . import steps
from .configs import chart_ipsec_conf, swanctl_conf
from .ends import CHART, link_ends
from .scripts import gateway_script, gateway_script_path, helpers
from .values import chart_values


def artifacts(t: Topology) -> Iterator[Artifact]:
    ends = list(link_ends(t))
    if ends:
        yield from helpers()
    for end in ends:
        values = chart_values(end)
        yield Artifact(f"{end.folder}/values.yaml", dump(values), CHART.values)
        yield Artifact(f"{end.folder}/ipsec.conf", chart_ipsec_conf(values.value),
                       Kind.STRONGSWAN_CONFIG)
        yield Artifact(f"{end.folder}/swanctl.conf", swanctl_conf(end), Kind.STRONGSWAN_CONFIG)
        yield Artifact(gateway_script_path(end), gateway_script(end), Kind.SCRIPT,
                       executable=True)


TARGET = Target("vpn", artifacts, steps.steps)
