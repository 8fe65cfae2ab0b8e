"""Semantic rules: what the schema cannot say about a topology.

Each check is a small generator of :class:`~generator.errors.Problem` values; the rule name in
each problem is stable and documented. Every check runs and every problem is reported together.
A check that needs a whole section (say, all clusters to count primaries) declares it and stands
aside when that section lost entries to schema errors. One module per area registers its checks.

May import: ``model``, ``errors``, ``enums``.
"""

from . import addresses, apps, delivery, mesh, names, proposals, traffic, vpn
from .proposals import proposal_problems
from .registry import CHECKS, run_checks

__all__ = [
    "CHECKS",
    "addresses",
    "apps",
    "delivery",
    "mesh",
    "names",
    "proposal_problems",
    "proposals",
    "run_checks",
    "traffic",
    "vpn",
]
