"""``<cluster>/vpn/<peer>/``: both ends of every strongSwan link, and the steps installing them.

Each end gets the values of its chart release (``values.yaml``), the ipsec.conf the chart
renders from them (``ipsec.conf``, for review), the same tunnel for a plain strongSwan gateway
(``swanctl.conf``) and the script installing it there (``install-gateway.sh``). The runbook's
helpers ``vpn-install.sh`` and ``vpn-check.sh`` sit at the top of the output folder. See
:mod:`.values`, :mod:`.configs`, :mod:`.scripts`, :mod:`.steps`; :mod:`.frames` renders
the ends of one shape once.
"""

from __future__ import annotations

from collections.abc import Iterator

from ...artifacts import Artifact, Kind
from ...model import Topology
from ..base import Target
from . import steps
from .ends import CHART, link_ends
from .frames import Frames
from .scripts import gateway_script_path, helpers


def artifacts(t: Topology) -> Iterator[Artifact]:
    ends = list(link_ends(t))
    if ends:
        yield from helpers()
    frames = Frames(ends)  # the files of most ends are their shape's frame, filled in
    for end in ends:
        values, ipsec, swanctl, script = frames.files(end)
        yield Artifact(f"{end.folder}/values.yaml", values, CHART.values)
        yield Artifact(f"{end.folder}/ipsec.conf", ipsec, Kind.STRONGSWAN_CONFIG)
        yield Artifact(f"{end.folder}/swanctl.conf", swanctl, Kind.STRONGSWAN_CONFIG)
        yield Artifact(gateway_script_path(end), script, Kind.SCRIPT, executable=True)


TARGET = Target("vpn", artifacts, steps.steps)
