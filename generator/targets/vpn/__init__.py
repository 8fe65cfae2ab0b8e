"""The strongSwan VPN target: both ends of every link, as chart values, configs and scripts.

Owns ``<cluster>/vpn/<peer>/`` and the runbook helpers ``vpn-install.sh`` and ``vpn-check.sh``.
It never imports the Istio target, nor the kustomizations or the runbook (made last).

May import: ``model``, ``artifacts``, ``enums``, ``templating``, ``text``, ``yamlout``,
``targets.base``, ``targets.shell``.
"""

from .target import TARGET

__all__ = ["TARGET"]
