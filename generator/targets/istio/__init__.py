"""The Istio target: install manifests, Helm values and runbook steps for every cluster.

Owns ``<cluster>/istio/``: the current east-west-gateway install (primary-remote and
multi-primary) and the article's Istio 1.0 install (:mod:`.legacy`). It never imports
the VPN target, nor the kustomizations or the runbook (made last).

May import: ``model``, ``artifacts``, ``enums``, ``templating``, ``text``, ``yamlout``,
``targets.base``, ``targets.shell``, ``targets.namespaces``.
"""

from .target import TARGET

__all__ = ["TARGET"]
