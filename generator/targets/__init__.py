"""Targets: pure functions from the model to files.

Each domain module (VPN, Istio, apps, traffic) exposes a :class:`~.base.Target`. The
kustomizations, the GitOps trees and the runbook are made last, from what the others produced.

May import: ``model``, ``artifacts``, ``enums``, ``errors``, ``templating``, ``text``,
``yamlout``.
"""

from __future__ import annotations

from ..artifacts import Artifact
from ..model import Topology
from . import apps, istio, meshcheck, namespaces, runbook, traffic, vpn
from .base import Order, Phase, Step, Target
from .kustomize import kustomizations

TARGETS: tuple[Target, ...] = (
    namespaces.TARGET,
    vpn.TARGET,
    istio.TARGET,
    apps.TARGET,
    traffic.TARGET,
    meshcheck.TARGET,
)


def runbook_steps(topology: Topology) -> list[Step]:
    """Every target's steps, in target order (the runbook orders them by phase)."""
    steps = [s for target in TARGETS for s in target.steps(topology)]
    if topology.delivery.gitops:  # the GitOps targets are imported only where they work
        from . import gitops

        steps.extend(gitops.bootstrap_steps(topology))
    return steps


def render_artifacts(topology: Topology) -> list[Artifact]:
    """Every file of one topology, in a fixed order."""
    artifacts = [a for target in TARGETS for a in target.artifacts(topology)]
    steps = runbook_steps(topology)
    artifacts.extend(kustomizations(topology, artifacts))
    if topology.delivery.gitops:
        from . import gitops

        artifacts.extend(gitops.artifacts(topology, artifacts))
    artifacts.extend(runbook.artifacts(topology, steps))
    return artifacts


__all__ = ["TARGETS", "Order", "Phase", "Step", "Target", "render_artifacts", "runbook_steps"]
