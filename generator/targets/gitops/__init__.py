"""GitOps trees: what Flux and Argo CD reconcile from git, beside the runbook.

Owns ``output/<name>/flux/`` (:mod:`.flux`), ``output/<name>/argocd/`` (:mod:`.argocd`) and
the runbook's ``bootstrap`` and ``flux-secrets`` phases (:mod:`.bootstrap`): the steps no
controller can do. Both trees deliver the files the other targets wrote, never copies of them:
Flux through kustomizations that name those files (and turn Helm values files into
ConfigMaps), Argo CD through sources that name them in the repository. What goes in each
cluster's units is decided once, in :mod:`.units`. It reads the other targets' names and paths,
never the kustomizations or the runbook (made last).

May import: ``model``, ``artifacts``, ``enums``, ``templating``, ``text``, ``yamlout``,
``targets.base``, ``targets.shell``, ``targets.namespaces``, ``targets.istio``,
``targets.traffic``, ``targets.vpn``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from ...artifacts import Artifact
from ...model import Controller, Topology
from . import argocd, flux
from .bootstrap import helper
from .bootstrap import steps as bootstrap_steps


def artifacts(t: Topology, written: Sequence[Artifact]) -> Iterator[Artifact]:
    """The trees of the controllers the topology chooses, from the files the others wrote."""
    if t.delivery.uses(Controller.FLUX):
        yield from flux.artifacts(t, written)
        yield from helper(t)
    if t.delivery.uses(Controller.ARGOCD):
        yield from argocd.artifacts(t, written)


__all__ = ["artifacts", "bootstrap_steps"]
