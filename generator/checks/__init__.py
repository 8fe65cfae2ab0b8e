"""Semantic rules: what the schema cannot say about a topology.

Each check is a small generator of :class:`~generator.errors.Problem` values; the rule name in
each problem is stable and documented. Every check runs and every problem is reported together,
on every part of the model that could be built: an entry left out (a cluster with a schema
error, say) takes out its own checks only. A check that needs a field of every entry (the roles
of all clusters, to count primaries) declares it and stands aside while an entry left out lacks
it. One module per area registers its checks.

May import: ``model``, ``errors``, ``enums``, ``inputs`` (the did-you-mean of names; what a file
on disk is, for key files).
"""

from . import (
    addresses,
    apps,
    delivery,
    limits,
    mesh,
    names,
    proposals,
    regexes,
    sets,
    traffic,
    vpn,
)
from .proposals import proposal_problems
from .registry import CHECKS, run_checks

__all__ = [
    "CHECKS",
    "addresses",
    "apps",
    "delivery",
    "limits",
    "mesh",
    "names",
    "proposal_problems",
    "proposals",
    "regexes",
    "run_checks",
    "sets",
    "traffic",
    "vpn",
]
