"""``<cluster>/vpn/<peer>/``: both ends of every strongSwan link, and the steps installing them.

Each end gets the values of its chart release (``values.yaml``), the ipsec.conf the chart
renders from them (``ipsec.conf``, for review) and the same tunnel for a plain strongSwan
gateway (``swanctl.conf``). See :mod:`.vpn_values`, :mod:`.vpn_configs`, :mod:`.vpn_steps`.
"""

from __future__ import annotations

from collections.abc import Iterator

from ..model import Topology
from ..yamlout import dump
from . import vpn_steps
from .base import Artifact, Kind, Target
from .vpn_configs import chart_ipsec_conf, swanctl_conf
from .vpn_ends import CHART, link_ends
from .vpn_values import chart_values

CHART_VALUES = Kind.helm_values(CHART)


def artifacts(t: Topology) -> Iterator[Artifact]:
    for end in link_ends(t):
        values = chart_values(end)
        yield Artifact(f"{end.folder}/values.yaml", dump(values), CHART_VALUES)
        yield Artifact(f"{end.folder}/ipsec.conf", chart_ipsec_conf(values.value),
                       Kind.STRONGSWAN)
        yield Artifact(f"{end.folder}/swanctl.conf", swanctl_conf(end), Kind.STRONGSWAN)


TARGET = Target("vpn", artifacts, vpn_steps.steps)
