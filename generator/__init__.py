"""meshgen: one topology file in, every file to run a multicluster Istio mesh over a VPN out.

The public API is small and lives in :mod:`generator.api`; this module only names the version
so that ``meshgen --version`` imports nothing else.

May import: nothing of meshgen.
"""

__version__ = "0.1.0"
