"""The strongSwan VPN target: both ends of every link, as chart values, configs and scripts.

Owns ``<cluster>/vpn/<peer>/`` and the runbook helpers ``vpn-install.sh`` and ``vpn-check.sh``.
May import the model, the artifact contract, ``targets.base`` and ``targets.shell``, the
templating and YAML helpers; nothing above the targets.
"""

from .target import TARGET

__all__ = ["TARGET"]
