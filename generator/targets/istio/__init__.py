"""The Istio target: install manifests, Helm values and runbook steps for every cluster.

Owns ``<cluster>/istio/``: the current east-west-gateway install (primary-remote and
multi-primary) and the article's Istio 1.0 install (:mod:`.legacy`). May import the model,
the artifact contract, ``targets.base``, ``targets.shell`` and ``targets.namespaces``, the
templating and YAML helpers; nothing above the targets.
"""

from .target import TARGET

__all__ = ["TARGET"]
